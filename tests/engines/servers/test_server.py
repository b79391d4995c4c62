"""The server supervisor's mechanics (seedui/engines/servers/) on vLLM's side, with a STAND-IN server process.

`fake_openai_server.py` plays `vllm serve` here (port, /health, a child
process like vLLM's engine core, scripted failures) so that start-up, crash
restarts and the no-orphans guarantee are checked in seconds. The same
supervisor runs a real vLLM server in `tests/vllm/`. Everything runs on one
loop (`loop`), as on the app's serving loop.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from seedui.config import Overrides, load_config
from seedui.engines.base import GenerationRequest
from seedui.engines.engine_set import build_engines
from seedui.engines.servers.logtail import read_log_tail, short_line
from seedui.engines.servers.ports import port_is_free
from seedui.engines.servers.procgroup import group_members
from seedui.errors import ConfigError
from seedui.sampling import SamplingSettings

FAKE = [sys.executable, str(Path(__file__).parent.parent / "fake_openai_server.py")]


def config(tmp_path: Path, command=FAKE, **values):
    ov = Overrides()
    ov.add("vllm_command", list(command), "test")
    ov.add("cache_dir", str(tmp_path), "test")
    for key, value in values.items():
        ov.add(key, value, "test")
    return load_config(profile="seed-coder", cli=ov, environ={})


def one_lane(tmp_path: Path, command=FAKE, **values):
    return config(tmp_path, command, **{"lanes.base": None, "lanes.reasoning": None, **values})


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def request() -> GenerationRequest:
    return GenerationRequest(SamplingSettings(max_tokens=2), messages=({"role": "user", "content": "hi"},))


async def collect(engine):
    return [c async for c in engine.stream(request())]


# --- the log tail the page shows ----------------------------------------------------


def test_log_tail_keeps_the_last_lines_and_the_latest_progress(tmp_path):
    log = tmp_path / "x.log"
    log.write_text("".join(f"line {i}\n" for i in range(50)) + "Loading: 10%\rLoading: 90%\n\x1b[31mred\x1b[0m\n")
    tail = read_log_tail(log, 3)
    assert tail == ["line 49", "Loading: 90%", "red"]
    assert read_log_tail(tmp_path / "missing.log") == []
    assert short_line("(APIServer pid=6481) INFO 11-25 22:00:23 [model.py:733] Resolved architecture: X") == (
        "Resolved architecture: X"
    )


# --- sharing -----------------------------------------------------------------------


def test_one_server_per_distinct_model_shared_by_its_lanes(tmp_path):
    same = "org/One"
    cfg = config(
        tmp_path,
        **{f"lanes.{n}.model": same for n in ("base", "instruct", "reasoning")},
        **{"lanes.reasoning.vllm.gpu_memory_utilization": 0.29},
    )
    es = build_engines(cfg)
    (sup,) = es.resources
    assert len(sup.servers) == 1
    assert len({e.server for e in es.engines.values()}) == 1
    es = build_engines(config(tmp_path))
    assert len(es.resources[0].servers) == 3
    ports = {s.port for s in es.resources[0].servers.values()}
    assert len(ports) == 3


def test_lanes_sharing_a_model_with_different_options_is_a_config_error(tmp_path):
    cfg = config(tmp_path, **{"lanes.base.model": "org/One", "lanes.reasoning.model": "org/One"})
    with pytest.raises(ConfigError, match="share the model org/One"):
        build_engines(cfg)


def test_openai_http_without_url_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="needs base_url"):
        build_engines(one_lane(tmp_path, **{"lanes.instruct.engine": "openai_http"}))


def test_a_lane_with_base_url_uses_the_remote_server_and_starts_nothing(tmp_path):
    es = build_engines(one_lane(tmp_path, **{"lanes.instruct.base_url": "http://gpu-box:8000/v1"}))
    assert es.resources == []
    assert es.engines["instruct"].name == "vLLM @ http://gpu-box:8000"  # engine: vllm, run elsewhere
    es = build_engines(
        one_lane(
            tmp_path, **{"lanes.instruct.base_url": "http://gpu-box:8000/v1", "lanes.instruct.engine": "openai_http"}
        )
    )
    assert es.engines["instruct"].name == "openai @ http://gpu-box:8000/v1"


# --- life cycle (stand-in server process) ---------------------------------------------


def test_starts_streams_and_stops_without_orphans(tmp_path, loop, monkeypatch):
    monkeypatch.setenv("FAKE_CHILD", "1")
    es = build_engines(one_lane(tmp_path))
    engine = es.engines["instruct"]
    server = engine.server
    assert engine.name == f"vLLM @ http://127.0.0.1:{server.port}"
    assert engine.status.state == "starting"
    loop.run(es.start())
    assert engine.status.state == "ready", engine.status
    pgid = server.group.pgid
    assert len(group_members(pgid)) == 2  # the server and its child
    chunks = loop.run(collect(engine))
    assert "".join(c.text for c in chunks) == "Hello world"
    loop.run(es.close())
    assert group_members(pgid) == []
    assert port_is_free(server.port)
    assert engine.status.state == "failed" and engine.status.detail == "stopped"


def test_a_server_that_fails_to_start_shows_its_log_and_is_not_retried(tmp_path, loop, monkeypatch):
    monkeypatch.setenv("FAKE_FAIL", "1")
    es = build_engines(one_lane(tmp_path))
    loop.run(es.start())
    status = es.engines["instruct"].status
    assert status.state == "failed"
    assert "exited during start-up (code 3)" in status.detail
    assert "ValueError: the fake server was told to fail" in status.detail
    assert any("told to fail" in line for line in status.log_tail)
    assert es.engines["instruct"].server.restarts == 0
    with pytest.raises(Exception, match="unavailable: vLLM exited during start-up"):
        loop.run(collect(es.engines["instruct"]))
    loop.run(es.close())


def test_start_up_time_out_stops_the_server(tmp_path, loop, monkeypatch):
    monkeypatch.setenv("FAKE_STARTUP_S", "60")
    es = build_engines(one_lane(tmp_path, vllm_startup_timeout_s=1.5))
    server = es.engines["instruct"].server
    t0 = time.monotonic()
    loop.run(es.start())
    assert time.monotonic() - t0 < 15
    assert server.status.state == "failed" and "not healthy within 1.5 s" in server.status.detail
    assert server.group is None
    loop.run(es.close())


def test_a_missing_command_is_a_clear_failure(tmp_path, loop):
    es = build_engines(one_lane(tmp_path, command=["/nonexistent/bin/vllm", "serve"]))
    loop.run(es.start())
    status = es.engines["instruct"].status
    assert status.state == "failed" and "cannot run '/nonexistent/bin/vllm serve'" in status.detail
    loop.run(es.close())


def test_a_log_folder_that_cannot_be_made_says_so_not_cannot_run(tmp_path, loop):
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")  # so cache/logs cannot be made
    es = build_engines(one_lane(blocker))
    loop.run(es.start())
    status = es.engines["instruct"].status
    assert status.state == "failed", status
    assert "cannot write the vLLM log" in status.detail and str(blocker / "logs") in status.detail, status.detail
    assert "cannot run" not in status.detail
    loop.run(es.close())


def test_a_crashed_server_is_restarted_and_its_children_do_not_linger(tmp_path, loop, monkeypatch):
    monkeypatch.setenv("FAKE_CHILD", "1")
    es = build_engines(one_lane(tmp_path))
    engine = es.engines["instruct"]
    server = engine.server
    loop.run(es.start())
    old_pgid = server.group.pgid
    os.kill(old_pgid, signal.SIGKILL)  # only the API process: its child must not outlive it
    wait_for(lambda: engine.status.state == "starting", 5, "the crash to be noticed")
    assert "exited (killed by SIGKILL); restart 1 of 5 in 1 s" in engine.status.detail
    with pytest.raises(Exception, match="not ready yet"):
        loop.run(collect(engine))
    wait_for(lambda: engine.status.state == "ready", 30, "the restart")
    assert group_members(old_pgid) == []
    assert server.restarts == 1
    assert "".join(c.text for c in loop.run(collect(engine))) == "Hello world"
    new_pgid = server.group.pgid
    loop.run(es.close())
    assert group_members(new_pgid) == []


def test_restarts_are_bounded(tmp_path, loop, monkeypatch):
    es = build_engines(one_lane(tmp_path))
    server = es.engines["instruct"].server
    server.max_restarts = 0
    loop.run(es.start())
    os.kill(server.group.pgid, signal.SIGKILL)
    wait_for(lambda: server.status.state == "failed", 5, "giving up")
    assert "gave up after 0 restarts" in server.status.detail
    loop.run(es.close())


# --- sleep mode (a GPU too small for all lanes at once) ---------------------------------


def sleepy(tmp_path: Path):
    flags = ["--enable-sleep-mode"]
    return config(
        tmp_path,
        **{
            "lanes.base": None,
            "lanes.instruct.model": "org/A",
            "lanes.reasoning.model": "org/B",
            "lanes.instruct.vllm.extra_args": flags,
            "lanes.reasoning.vllm.extra_args": flags,
        },
    )


def test_sleep_mode_servers_take_turns_one_awake_at_a_time(tmp_path, loop, monkeypatch):
    monkeypatch.setenv("FAKE_PLAN", json.dumps({"words": [f"w{i} " for i in range(10)], "delay_s": 0.05}))
    es = build_engines(sleepy(tmp_path))
    a, b = es.engines["instruct"].server, es.engines["reasoning"].server
    assert a.swap is b.swap is es.resources[0].swaps["vllm"]
    loop.run(es.start())
    assert a.status.state == b.status.state == "ready"
    awake, asleep = (a, b) if a.swap.awake is a else (b, a)
    assert not awake.asleep and asleep.asleep, "the first server slept so the second could start"
    assert "asleep (taking turns)" in asleep.status.detail
    lane_of = {a: "instruct", b: "reasoning"}

    # A request for the sleeping server wakes it and puts the other to sleep.
    text = "".join(c.text for c in loop.run(collect(es.engines[lane_of[asleep]])))
    assert text.startswith("w0 w1")
    assert a.swap.awake is asleep and not asleep.asleep and awake.asleep

    # Both lanes at once: the second waits until the first is done, then the GPU changes hands.
    async def both():
        marks = {}

        async def run(lane):
            async for _ in es.engines[lane].stream(request()):
                marks.setdefault(lane, [time.monotonic()]).append(time.monotonic())

        await asyncio.gather(run(lane_of[awake]), run(lane_of[asleep]))
        return marks

    marks = loop.run(both())
    first, second = sorted(marks.values(), key=lambda m: m[0])
    assert second[0] >= first[-1], "the two servers streamed at the same time"
    assert a.swap.users == 0
    loop.run(es.close())


def test_sleep_mode_without_the_sleep_routes_fails_the_lane_clearly(tmp_path, loop, monkeypatch):
    monkeypatch.setenv("FAKE_OLD_VLLM", "1")  # /sleep and /wake_up answer 404
    es = build_engines(sleepy(tmp_path))
    loop.run(es.start())
    a, b = es.engines["instruct"].server, es.engines["reasoning"].server
    assert a.env["VLLM_SERVER_DEV_MODE"] == "1"  # the supervisor asks for the routes
    states = sorted([a.status.state, b.status.state])
    assert states == ["failed", "ready"]
    failed = a if a.status.state == "failed" else b
    assert "/sleep?level=1 answered 404 (is sleep mode enabled" in failed.status.detail
    loop.run(es.close())
