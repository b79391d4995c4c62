"""The whole app (`python app.py --config ...`) with a supervised vLLM lane, driven through gradio_client.

Lanes: base on transformers (in-process), instruct on a vLLM server the app
starts, reasoning on a "remote" server at a closed port. vLLM is killed in the
middle of an answer: its lane must fail fast while the other finishes, and
the supervisor must bring it back. At the end the app gets SIGTERM and no vLLM
process may survive it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
import yaml

from seedui.engines.servers.procgroup import group_members
from tests.conftest import end_process, free_port
from tests.vllm.conftest import CPU_CONFIG, ROOT, START_TIMEOUT_S, server_pids

pytestmark = pytest.mark.vllm


def write_config(path: Path, closed_port: int) -> None:
    cpu = yaml.safe_load(CPU_CONFIG.read_text())
    config = {
        "profile": "tiny",
        "vllm_command": cpu["vllm_command"],
        "lanes": {
            "instruct": {"engine": "vllm", "context_length": 2048, "vllm": dict(cpu["lanes"]["instruct"]["vllm"])},
            "reasoning": {"engine": "openai_http", "base_url": f"http://127.0.0.1:{closed_port}/v1"},
        },
        "limits": {"requests_per_minute": 10_000},
    }
    path.write_text(yaml.safe_dump(config))


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from gradio_client import Client

    tmp = tmp_path_factory.mktemp("vllm-app")
    closed = free_port()
    write_config(tmp / "config.yaml", closed)
    port = free_port()
    log_path = tmp / "app.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "app.py", "--config", str(tmp / "config.yaml"), "--port", str(port),
             "--db", str(tmp / "db.sqlite3")],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, log_path.read_text()[-3000:]
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the app did not come up"
            time.sleep(0.5)
        client = Client(url, verbose=False)
        yield SimpleNamespace(
            proc=proc, client=client, log=log_path, remote=f"http://127.0.0.1:{closed}/v1", seen_states=[]
        )
    finally:
        end_process(proc)


def lanes(app) -> dict:
    info = app.client.predict(api_name="/lanes")
    app.seen_states.append({name: lane["status"] for name, lane in info.items()})
    return info


def wait_state(app, lane: str, state: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = lanes(app)
        if info[lane]["status"] == state:
            return info
        assert app.proc.poll() is None, app.log.read_text()[-3000:]
        time.sleep(0.5)
    raise AssertionError(f"lane {lane} not {state} after {timeout} s: {lanes(app)}")


def vllm_port(info: dict) -> int:
    match = re.fullmatch(r"vLLM @ http://127\.0\.0\.1:(\d+)", info["instruct"]["engine"])
    assert match, info["instruct"]["engine"]
    return int(match.group(1))


def test_lanes_show_start_up_then_ready_and_the_remote_failure(app):
    first = lanes(app)
    assert first["instruct"]["status"] == "starting"  # vLLM takes a minute: the page says so meanwhile
    info = wait_state(app, "instruct", "ready", START_TIMEOUT_S)
    assert info["base"]["status"] == "ready"
    assert info["reasoning"]["status"] == "failed"
    assert info["reasoning"]["engine"] == f"openai @ {app.remote}"
    log = app.log.read_text()
    assert f"cannot connect to {app.remote}: connection refused" in log


def answered(lane: dict, max_tokens: int) -> None:
    """A lane that finished its answer: text, a normal finish, and token counts within bounds."""
    stats = lane["stats"]
    assert lane["error"] is None, lane
    assert lane["text"].strip(), lane
    assert stats["finish_reason"] in ("stop", "length"), stats
    assert stats["prompt_tokens"] and stats["prompt_tokens"] > 0, stats
    assert 1 <= stats["completion_tokens"] <= max_tokens, stats
    if stats["finish_reason"] == "length":
        assert stats["completion_tokens"] == max_tokens, stats


def test_remote_lane_at_a_closed_port_fails_clearly_and_the_rest_works(app):
    result = app.client.predict("Say hi.", {"max_tokens": 8}, [], api_name="/compare")
    assert f"cannot connect to {app.remote}: connection refused" in result["reasoning"]["error"]
    assert result["reasoning"]["stats"]["finish_reason"] == "error"
    for name in ("base", "instruct"):
        answered(result[name], 8)


def test_killing_vllm_mid_stream_fails_that_lane_fast_and_the_other_finishes(app):
    port = vllm_port(lanes(app))
    (pid,) = [p for p in server_pids(port) if os.getpgid(p) == p]
    # Greedy Base on a story opening runs to its max_tokens (a bare instruction would end it at once).
    settings = {"instruct": {"max_tokens": 400, "temperature": 0.8}, "base": {"max_tokens": 64, "temperature": 0}}
    prompt = "Write a long story about a robot. Once upon a time, there was a robot who"
    job = app.client.submit(prompt, settings, ["base", "instruct"], api_name="/compare")
    killed_at = failed_at = None
    last = None
    text_at_kill = ""
    for snap in job:
        last = snap
        now = time.monotonic()
        inst = snap["instruct"]
        if killed_at is None and (inst["stats"]["completion_tokens"] or 0) >= 3:
            text_at_kill = inst["text"]
            os.killpg(pid, signal.SIGKILL)
            killed_at = now
        if killed_at is not None and failed_at is None and inst["error"]:
            failed_at = now
    assert killed_at is not None, last
    assert failed_at is not None, last["instruct"]
    print(f"\ninstruct lane error {failed_at - killed_at:.3f} s after the kill: {last['instruct']['error']}")
    assert failed_at - killed_at < 2.0
    instruct = last["instruct"]
    assert re.search(r"connection to .* broke|stopped|ended the stream", instruct["error"])
    assert instruct["stats"]["finish_reason"] == "error"
    assert text_at_kill.strip() and instruct["text"].startswith(text_at_kill), "what it wrote before the kill is kept"
    assert instruct["stats"]["completion_tokens"] >= 3
    answered(last["base"], 64)
    assert last["base"]["stats"]["completion_tokens"] > 3


def test_the_supervisor_restarts_vllm_and_the_next_request_succeeds(app):
    info = lanes(app)
    if info["instruct"]["status"] == "ready":  # the restart has not been noticed yet
        time.sleep(1)
    wait_state(app, "instruct", "ready", START_TIMEOUT_S)
    assert any(s["instruct"] == "starting" for s in app.seen_states[-50:]), "the restart was not visible"
    result = app.client.predict("instruct", "Say hi.", {"max_tokens": 8}, api_name="/generate")
    answered(result, 8)


def test_stopping_the_app_leaves_no_vllm_process(app):
    port = vllm_port(lanes(app))
    pids = server_pids(port)
    assert pids
    groups = {os.getpgid(p) for p in pids}
    app.proc.send_signal(signal.SIGTERM)
    app.proc.wait(60)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and (server_pids(port) or any(group_members(g) for g in groups)):
        time.sleep(0.2)
    assert server_pids(port) == []
    assert all(group_members(g) == [] for g in groups)
