"""The app under test: `python app.py --profile tiny` in its own process, as it is deployed.

Start-up is measured here (process start -> HTTP 200 -> every lane ready),
and the server's memory is sampled from outside with psutil.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from seedui.engines.servers.procgroup import die_with_parent

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RssSampler:
    """Peak resident memory of a process (and its children) while active, sampled every `interval_s`."""

    def __init__(self, pid: int, interval_s: float = 0.05) -> None:
        self.proc = psutil.Process(pid)
        self.interval_s = interval_s
        self.peak = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def rss(self) -> int:
        try:
            total = self.proc.memory_info().rss
            for child in self.proc.children(recursive=True):
                total += child.memory_info().rss
            return total
        except psutil.Error:
            return 0

    def __enter__(self) -> RssSampler:
        self.peak = self.rss()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.peak = max(self.peak, self.rss())

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        self.peak = max(self.peak, self.rss())


class AppProcess:
    """`app.py` on the tiny profile with the default (public Space) limits, on a free port."""

    def __init__(self, workdir: Path, extra_args: list[str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.workdir = workdir
        self.log_path = workdir / "server.log"
        self.args = [
            sys.executable, "app.py", "--profile", "tiny", "--port", str(self.port),
            "--db", str(workdir / "bench.sqlite3"), "--log-level", "WARNING", *(extra_args or []),
        ]  # fmt: skip
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0

    def start(self) -> None:
        env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}
        self.log = self.log_path.open("wb")
        self.started_at = time.perf_counter()
        # The app must not outlive a bench that is killed (e.g. by `timeout`).
        self.proc = subprocess.Popen(
            self.args, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent if sys.platform == "linux" else None,
        )  # fmt: skip

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            tail = self.log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the app exited with {self.proc.returncode}:\n{tail}")

    def wait_http_200(self, timeout_s: float = 300) -> float:
        """Seconds from process start to the first HTTP 200 on the page."""
        deadline = time.perf_counter() + timeout_s
        with httpx.Client(timeout=2) as http:
            while time.perf_counter() < deadline:
                self.check_alive()
                try:
                    if http.get(self.url).status_code == 200:
                        return time.perf_counter() - self.started_at
                except httpx.HTTPError:
                    pass
                time.sleep(0.02)
        raise TimeoutError(f"no HTTP 200 from {self.url} within {timeout_s} s")

    def lanes(self) -> dict[str, Any]:
        from gradio_client import Client

        return Client(self.url, verbose=False).predict(api_name="/lanes")

    def wait_ready(self, timeout_s: float = 300) -> float:
        """Seconds from process start until every lane's engine reports ready."""
        from gradio_client import Client

        client = Client(self.url, verbose=False)
        deadline = time.perf_counter() + timeout_s
        while time.perf_counter() < deadline:
            self.check_alive()
            states = {lane["status"] for lane in client.predict(api_name="/lanes").values()}
            if states == {"ready"}:
                return time.perf_counter() - self.started_at
            if "failed" in states:
                raise RuntimeError(f"a lane failed to start: {client.predict(api_name='/lanes')}")
            time.sleep(0.05)
        raise TimeoutError("lanes not ready")

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        self.proc = None
