"""`--share` without a reachable tunnel server (offline): the app says so and keeps serving locally.

The end-to-end test runs the real entry point (`app.py --share`) in a subprocess, so the blocking launch
path and the clean SIGTERM shutdown are the ones users get. The app learns that the tunnel failed from
Gradio's state (`share_url` is None) and says why from facts it checks (`tunnel_failure_reason`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest
from gradio.tunneling import BINARY_PATH

from seedui.webapp import tunnel_failure_reason
from tests.conftest import ROOT, free_port

START_TIMEOUT_S = 240
MESSAGE = "could not create a public share link"


class Output:
    """Collects a process's output lines on a thread."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def find(self, text: str) -> str | None:
        return next((line for line in list(self.lines) if text in line), None)

    def text(self) -> str:
        return "\n".join(self.lines[-60:])


@pytest.mark.parametrize(
    ("frpc_exists", "share_server", "says", "does_not_say"),
    [
        (True, None, ["needs internet access to the Gradio share server (api.gradio.app)"], ["frpc"]),
        (False, None, ["needs internet access", "tunnel client (frpc) is missing at {frpc}"], []),
        (True, "frp.example.org:7000", ["needs internet access to frp.example.org:7000"], ["api.gradio.app", "frpc"]),
    ],
)
def test_the_reason_names_what_was_checked(tmp_path, frpc_exists, share_server, says, does_not_say):
    frpc = tmp_path / "frpc_linux_amd64_v0.3"
    if frpc_exists:
        frpc.write_bytes(b"")
    reason = tunnel_failure_reason(frpc, share_server)
    for text in says:
        assert text.format(frpc=frpc) in reason
    for text in does_not_say:
        assert text not in reason


@pytest.mark.e2e
def test_share_without_a_tunnel_keeps_serving_locally(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("SPACE_ID", "GRADIO_SHARE")}
    env["PYTHONUNBUFFERED"] = "1"
    cmd = [sys.executable, "app.py", "--profile", "tiny", "--share", "--port", str(port)]
    cmd += ["--db", str(tmp_path / "shares.sqlite3")]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = Output(proc)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and proc.poll() is None:
            if out.find(MESSAGE) or out.find("Running on public URL"):
                break
            time.sleep(0.5)
        if out.find("Running on public URL"):
            pytest.skip("this machine is online: Gradio made the tunnel")
        line = out.find(MESSAGE)
        assert line, f"no '{MESSAGE}' message; the app printed:\n{out.text()}"
        assert f"serving locally at http://127.0.0.1:{port}/" in line
        assert "the tunnel needs internet access to the Gradio share server" in line, line
        assert ("frpc) is missing" in line) == (not os.path.exists(BINARY_PATH)), line
        assert line.startswith("SeedUI:") or " WARNING seedui.webapp: " in line, line  # ours: a logged warning
        assert proc.poll() is None, f"the app exited:\n{out.text()}"
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=30)
        assert page.status_code == 200 and "gradio" in page.text.lower()
        lanes = httpx.get(f"http://127.0.0.1:{port}/config", timeout=30)
        assert lanes.status_code == 200 and lanes.json()["components"]  # the app itself, not only a page
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    assert proc.returncode == 0, f"exit status {proc.returncode}:\n{out.text()}"
