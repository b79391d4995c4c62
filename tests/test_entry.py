"""The entry point's signals: SIGTERM and SIGHUP shut the app down cleanly, servers it started included.

`app.py` runs in a subprocess with its Instruct lane on a supervised server; the STAND-IN
`fake_openai_server.py` plays `vllm serve` (with a child process, as vLLM's engine core).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest
import yaml

from seedui.engines.servers.procgroup import group_members
from tests.conftest import ROOT, api_call, app_env, free_port

pytestmark = pytest.mark.e2e
FAKE = Path(__file__).parent / "engines" / "fake_openai_server.py"


def servers_of(app_pid: int) -> list[psutil.Process]:
    """The stand-in servers an app started, and everything in their process groups."""
    leaders = [p for p in psutil.Process(app_pid).children() if any(str(FAKE) in part for part in p.cmdline())]
    return [psutil.Process(pid) for leader in leaders for pid in group_members(leader.pid)]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_stop_signal_closes_the_app_and_the_servers_it_started(tmp_path, sig):
    config = {
        "profile": "tiny",
        "vllm_command": [sys.executable, str(FAKE)],
        "lanes": {"instruct": {"engine": "vllm"}, "reasoning": None},
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    port = free_port()
    cmd = [sys.executable, "app.py", "--config", str(tmp_path / "config.yaml"), "--port", str(port)]
    cmd += ["--db", str(tmp_path / "db.sqlite3")]
    env = app_env(FAKE_CHILD="1", PYTHONUNBUFFERED="1")
    log = tmp_path / "app.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 240
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, f"the lanes did not settle:\n{log.read_text()[-3000:]}"
            try:
                status, lanes = api_call(url, "lanes", "[]", timeout=10)
            except httpx.HTTPError:
                status, lanes = "down", {}
            if status == "complete" and all(lane["status"] != "starting" for lane in lanes.values()):
                break
            time.sleep(0.5)
        assert lanes["instruct"]["status"] == "ready", lanes
        mine = servers_of(proc.pid)
        assert len(mine) == 2, "the stand-in server and its child should be running"
        proc.send_signal(sig)
        assert proc.wait(60) == 0, log.read_text()[-3000:]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    _, alive = psutil.wait_procs(mine, timeout=5)
    assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE], f"left running: {alive}"
