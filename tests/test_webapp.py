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


def remote_app(
    tmp_path: Any, server: FakeServer, gate: threading.Event | None = None, **config: Any
) -> tuple[Any, dict]:
    """The tiny profile's lanes on the stand-in `server` (plus `config` values, e.g. limits), engines wrapped."""
    from seedui.webapp import build_app

    values: dict[str, Any] = dict(config)
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
        assert httpx.get(f"{url}seedui/sandbox/seedui.css", timeout=10).status_code == 200  # mounted by the lifespan
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


# --- lanes still loading: requests wait for them; /seedui/ready says when all are up ---------------------------


def test_a_request_sent_right_after_http_200_waits_for_its_lanes_then_streams(tmp_path, stand_in):
    from gradio_client import Client

    gate = threading.Event()  # the lanes stay "starting" until the test opens it
    app, _ = remote_app(tmp_path, stand_in, gate)
    app.launch(prevent_thread_lock=True, server_port=free_port(), quiet=True)
    try:
        url = app.blocks.local_url
        assert httpx.get(url, timeout=10).status_code == 200
        ready = httpx.get(f"{url}seedui/ready", timeout=10)
        assert ready.status_code == 503
        body = ready.json()
        assert body["ready"] is False
        assert set(body["lanes"]) == set(LANES)
        assert all(lane["state"] == "starting" and lane["engine"] for lane in body["lanes"].values()), body
        assert all(lane["detail"] == f"checking {stand_in.base_url}" for lane in body["lanes"].values())

        client = Client(url, verbose=False)
        job = client.submit("hi", {"max_tokens": 2}, [], api_name="/compare")
        deadline = time.monotonic() + 30
        while not any(
            lane.get("status", "").startswith("loading") for out in job.outputs() for lane in out.values()
        ):  # the lanes say what they wait for while the engines start
            assert time.monotonic() < deadline, job.outputs()
            time.sleep(0.05)
        assert not job.done()
        waiting = job.outputs()[-1]
        assert all(lane["text"] == "" and lane["error"] is None and lane["stats"] == {} for lane in waiting.values())
        assert all(f"checking {stand_in.base_url}" in lane["status"] for lane in waiting.values()), waiting
        gate.set()
        result = job.result(timeout=60)
        assert all(result[lane]["error"] is None and result[lane]["text"] for lane in LANES), result
        assert all(result[lane]["status"] == "" for lane in LANES)
        assert all(result[lane]["stats"]["startup_wait_s"] > 0 for lane in LANES), result

        app.wait_settled(10)
        ready = httpx.get(f"{url}seedui/ready", timeout=10)
        assert ready.status_code == 200
        assert ready.json()["ready"] is True
        assert {lane["state"] for lane in ready.json()["lanes"].values()} == {"ready"}
    finally:
        gate.set()
        app.close()


def test_generate_waits_for_a_loading_lane_and_a_failed_lane_answers_at_once_with_its_reason(tmp_path, stand_in):
    from seedui.engines.transformers_local import TransformersEngine

    class BrokenPool:  # TEST DOUBLE: loading the weights fails
        def get(self, model_id: str) -> Any:
            raise OSError(f"no weights for {model_id} here (disk full)")

    gate = threading.Event()
    app, _ = remote_app(tmp_path, stand_in, gate)
    app.engines.engines["base"] = TransformersEngine(app.config.lanes["base"], BrokenPool())
    app.launch(prevent_thread_lock=True, server_port=free_port(), quiet=True)
    try:
        url = app.blocks.local_url
        deadline = time.monotonic() + 30
        while app.engines.engines["base"].status.state != "failed":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        body = httpx.get(f"{url}seedui/ready", timeout=10).json()
        assert body["lanes"]["base"]["state"] == "failed" and "disk full" in body["lanes"]["base"]["detail"]
        assert body["lanes"]["instruct"]["state"] == "starting" and body["ready"] is False

        t0 = time.monotonic()
        status, message = api_call(url, "generate", '["base", "hi", {"max_tokens": 2}]', timeout=30)
        assert status == "error" and "disk full" in message, (status, message)
        assert time.monotonic() - t0 < 5, "a failed lane must not wait"

        from gradio_client import Client

        job = Client(url, verbose=False).submit("hi", {"max_tokens": 2}, ["base", "instruct"], api_name="/compare")
        time.sleep(1.0)
        assert not job.done(), "compare ended before the instruct lane was ready"
        gate.set()
        snap = job.result(timeout=60)
        assert "disk full" in snap["base"]["error"]
        assert snap["instruct"]["error"] is None and snap["instruct"]["text"]
        status, lane = api_call(url, "generate", '["instruct", "hi", {"max_tokens": 2}]', timeout=60)
        assert status == "complete" and lane["text"] and lane["error"] is None, lane
    finally:
        gate.set()
        app.close()
