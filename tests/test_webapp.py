"""How the app runs its engines: on the loop that serves requests, started in the background, closed with it.

The lanes here are openai_http engines on an in-process STAND-IN server (no model to load), each wrapped in
a `LoopRecorder` that notes on which event loop and thread the app calls it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from seedui.engines.base import Chunk, Engine, EngineStatus, GenerationRequest
from tests.conftest import api_call, free_port, serving, tiny_config
from tests.engines.fake_openai_server import FakeServer

pytestmark = [pytest.mark.e2e]

LANES = ("base", "instruct", "reasoning")


class LoopRecorder:
    """TEST-ONLY wrapper: delegates to a real engine and notes (call, loop, thread) for each call the app makes.

    `gate`, when given, holds `start()` until it is set: an engine that takes long to start (vLLM).
    """

    def __init__(self, inner: Engine, gate: threading.Event | None = None) -> None:
        self.inner = inner
        self.gate = gate
        self.calls: list[tuple[str, asyncio.AbstractEventLoop, threading.Thread]] = []

    def _note(self, what: str) -> None:
        self.calls.append((what, asyncio.get_running_loop(), threading.current_thread()))

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def status(self) -> EngineStatus:
        return self.inner.status

    async def start(self) -> None:
        self._note("start")
        while self.gate is not None and not self.gate.is_set():
            await asyncio.sleep(0.02)
        await self.inner.start()

    async def close(self) -> None:
        self._note("close")
        await self.inner.close()

    async def count_prompt_tokens(self, request: GenerationRequest) -> int | None:
        return await self.inner.count_prompt_tokens(request)

    async def stream(self, request: GenerationRequest) -> AsyncIterator[Chunk]:
        self._note("stream")
        async with contextlib.aclosing(self.inner.stream(request)) as chunks:
            async for chunk in chunks:
                yield chunk


@pytest.fixture(scope="module")
def stand_in() -> Iterator[FakeServer]:
    server = FakeServer(models=("m",))
    yield server
    server.close()


def remote_app(tmp_path: Any, server: FakeServer, gate: threading.Event | None = None) -> tuple[Any, dict]:
    from seedui.webapp import build_app

    values: dict[str, Any] = {}
    for lane in LANES:
        values |= {f"lanes.{lane}.engine": "openai_http", f"lanes.{lane}.base_url": server.base_url}
        values[f"lanes.{lane}.served_model_name"] = "m"
    app = build_app(tiny_config(tmp_path, **values))
    recorders = {name: LoopRecorder(engine, gate) for name, engine in app.engines.engines.items()}
    app.engines.engines.update(recorders)  # the service reads the same dict
    return app, recorders


def test_engines_start_stream_and_close_on_the_loop_that_serves_requests(tmp_path, stand_in):
    app, recorders = remote_app(tmp_path, stand_in)
    with serving(app):
        serving_thread = app.blocks.server.thread  # uvicorn's thread, running the loop that serves HTTP
        status, result = api_call(app.blocks.local_url, "compare", '["hi", {"max_tokens": 2}, []]')
        assert status == "complete", result
        assert all(result[lane]["error"] is None and result[lane]["text"] for lane in LANES), result
        client_loops = {rec.inner._loop for rec in recorders.values()}  # where each engine made its one client
    calls = [call for rec in recorders.values() for call in rec.calls]
    assert [[what for what, _, _ in rec.calls] for rec in recorders.values()] == [["start", "stream", "close"]] * 3
    loops = {loop for _, loop, _ in calls}
    assert len(loops) == 1, "start, the request handlers' streams and close ran on more than one loop"
    assert client_loops == loops
    assert {thread for _, _, thread in calls} == {serving_thread}
    assert all(rec.inner._http is None for rec in recorders.values()), "closing the app closes the clients"


def test_the_page_answers_while_engines_start_and_closing_stops_a_start_up(tmp_path, stand_in):
    gate = threading.Event()  # the engines' start-up does not end until the test says so
    app, recorders = remote_app(tmp_path, stand_in, gate)
    app.launch(prevent_thread_lock=True, server_port=free_port(), quiet=True)
    try:
        url = app.blocks.local_url
        assert httpx.get(url, timeout=10).status_code == 200
        assert httpx.get(f"{url}seedui/sandbox/seedui.js", timeout=10).status_code == 200  # mounted by the lifespan
        assert all(rec.calls and rec.calls[0][0] == "start" for rec in recorders.values())
        status, lanes = api_call(url, "lanes", "[]")
        assert status == "complete" and {lane["status"] for lane in lanes.values()} == {"starting"}
        with pytest.raises(TimeoutError):
            app.wait_settled(0.3)
        t0 = time.monotonic()
    finally:
        app.close()
    assert time.monotonic() - t0 < 10
    assert app.engines.is_settled  # the start-up was cancelled: nothing is left waiting for it
    assert all([what for what, _, _ in rec.calls] == ["start", "close"] for rec in recorders.values())
