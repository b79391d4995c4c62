"""Faults: a lane whose engine crashes or hangs mid-stream, and a client that leaves mid-stream.

The app here is our own instance (not the session one) whose Instruct and
Reasoning lanes run the real transformers engine (explicitly: the tiny
profile's default is llama.cpp's server, see tests/engines/servers/ for its
faults) wrapped in a
`FaultInjectingEngine`: it passes the real chunks through, then raises, or
stops answering, after N chunks. The lane time-out is a few seconds. The faulty lane
must end with its own error while the other lanes finish, and every
generation thread must stop (a hung or crashed lane must not keep the CPU
busy generating tokens nobody reads).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Literal

import httpx
import pytest
from gradio_client import Client

from seedui.engines.base import Chunk, Engine, EngineStatus, GenerationRequest
from tests.conftest import ON_TRANSFORMERS, serving, tiny_config

pytestmark = [
    pytest.mark.e2e,
]

# Small, but above the worst gap between two tokens of a healthy lane on a busy 2-core machine: the time-out
# applies to every lane, and a healthy one must not trip it.
LANE_TIMEOUT_S = 8
LONG = 3_000  # max_tokens that would keep a leaked generation busy for minutes on this CPU


class InjectedFault(RuntimeError):
    pass


class FaultInjectingEngine:
    """TEST-ONLY fault injector around a real engine.

    Delegates everything to `inner`; its stream yields the real chunks, and
    after `after_chunks` of them either raises `InjectedFault` ("raise"),
    never answers again ("hang"), or keeps going (None: a pass-through probe).
    It counts the chunks it passed on, and closes the real stream when it is
    itself closed or cancelled, as any engine must.
    """

    def __init__(self, inner: Engine, fault: Literal["raise", "hang"] | None, after_chunks: int = 3) -> None:
        self.inner = inner
        self.fault = fault
        self.after_chunks = after_chunks
        self.chunks_passed = 0
        self.faults_injected = 0

    @property
    def name(self) -> str:
        return f"{self.inner.name} [fault injector: {self.fault or 'none'}]"

    @property
    def status(self) -> EngineStatus:
        return self.inner.status

    async def start(self) -> None:
        await self.inner.start()

    async def close(self) -> None:
        await self.inner.close()

    async def count_prompt_tokens(self, request: GenerationRequest) -> int | None:
        return await self.inner.count_prompt_tokens(request)

    async def stream(self, request: GenerationRequest) -> AsyncIterator[Chunk]:
        real = self.inner.stream(request)
        passed = 0
        try:
            async for chunk in real:
                if self.fault and passed >= self.after_chunks:
                    self.faults_injected += 1
                    if self.fault == "raise":
                        raise InjectedFault("injected fault: the engine crashed mid-stream")
                    await asyncio.Event().wait()  # hang: never answer again (until cancelled)
                passed += 1
                self.chunks_passed += 1
                yield chunk
        finally:
            await real.aclose()


@pytest.fixture(scope="module")
def faulty_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from seedui.webapp import build_app

    app = build_app(
        tiny_config(tmp_path_factory.mktemp("faults"), **ON_TRANSFORMERS, **{"limits.lane_timeout_s": LANE_TIMEOUT_S})
    )
    engines = app.engines.engines  # the playground holds the same dict
    engines["base"] = FaultInjectingEngine(engines["base"], fault=None)
    engines["instruct"] = FaultInjectingEngine(engines["instruct"], fault="raise")
    engines["reasoning"] = FaultInjectingEngine(engines["reasoning"], fault="hang")
    with serving(app):
        yield app


@pytest.fixture(scope="module")
def faulty_client(faulty_app: Any) -> Client:
    return Client(faulty_app.blocks.local_url, verbose=False)


def generation_threads() -> set[threading.Thread]:
    """The transformers engine's worker threads (one per running generation)."""
    return {t for t in threading.enumerate() if t.name.startswith("generate-") and t.is_alive()}


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.1)


def test_raising_and_hanging_lanes_fail_alone_while_the_other_finishes(faulty_app, faulty_client):
    before = generation_threads()
    engines = faulty_app.engines.engines
    settings = {"max_tokens": LONG, "temperature": 0, "base": {"max_tokens": 8}}
    job = faulty_client.submit("Write a Python function that reverses a list.", settings, [], api_name="/compare")
    started: set[threading.Thread] = set()

    def all_three_started() -> bool:
        started.update(generation_threads() - before)
        return len(started) >= 3 or job.done()

    wait_until(all_three_started, timeout=120, what="the three lanes to start generating")
    final = job.result(timeout=300)

    base, instruct, reasoning = final["base"], final["instruct"], final["reasoning"]
    assert base["error"] is None and base["text"], base
    assert base["stats"]["finish_reason"] in ("length", "stop")
    assert instruct["error"] and "InjectedFault: injected fault: the engine crashed mid-stream" in instruct["error"]
    assert instruct["stats"]["finish_reason"] == "error"
    assert instruct["text"], "what the lane generated before the fault is kept"
    assert reasoning["error"] == (
        f"{faulty_app.config.lanes['reasoning'].display_name} sent nothing for {LANE_TIMEOUT_S} s; the lane was stopped"
    )
    assert reasoning["stats"]["finish_reason"] == "error"
    assert engines["instruct"].faults_injected == 1 and engines["reasoning"].faults_injected == 1

    # The crashed and the hung lane's generations were stopped, not left running to max_tokens.
    assert len(started) == 3
    wait_until(lambda: not any(t.is_alive() for t in started), timeout=60, what="every generation thread to end")


def test_the_next_request_works_after_the_faults(faulty_client):
    out = faulty_client.predict("base", "def add(a, b):", {"max_tokens": 4, "temperature": 0}, api_name="/generate")
    assert out["error"] is None and out["stats"]["completion_tokens"] >= 1


def test_a_hang_on_a_single_lane_request_is_that_requests_error(faulty_app, faulty_client):
    out = faulty_client.predict("instruct", "hi", {"max_tokens": 16}, api_name="/generate")
    assert "injected fault" in out["error"]
    out = faulty_client.predict("reasoning", "Think about 2+2.", {"max_tokens": 64}, api_name="/generate")
    assert f"sent nothing for {LANE_TIMEOUT_S} s" in out["error"]


# --- a client that leaves mid-stream ------------------------------------------------------------------------------


def fn_index(app: Any, api_name: str) -> int:
    for index, fn in app.blocks.fns.items():
        if fn.api_name == api_name:
            return index
    raise LookupError(api_name)


def stream_then_disconnect(url: str, index: int, data: list[Any], messages_before_leaving: int) -> list[dict]:
    """Join the queue and read its SSE stream as a browser does, then drop the connection mid-stream."""
    session = uuid.uuid4().hex[:11]
    seen: list[dict] = []
    with httpx.Client(base_url=url.rstrip("/") + "/gradio_api", timeout=120) as http:
        body = {"data": data, "fn_index": index, "session_hash": session, "event_data": None, "trigger_id": None}
        http.post("/queue/join", json=body).raise_for_status()
        with http.stream("GET", "/queue/data", params={"session_hash": session}) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data: "):
                    continue
                message = json.loads(line[len("data: ") :])
                seen.append(message)
                if message.get("msg") == "process_completed":
                    break
                if sum(m.get("msg") == "process_generating" for m in seen) >= messages_before_leaving:
                    break  # leaving the `with` closes the connection, as a closed tab does
    return seen


def test_a_client_that_disconnects_mid_stream_frees_its_generation(faulty_app):
    probe = faulty_app.engines.engines["base"]
    before = generation_threads()
    data = ["base", "def fibonacci(n):", {"max_tokens": LONG, "temperature": 0}]
    seen = stream_then_disconnect(faulty_app.blocks.local_url, fn_index(faulty_app, "generate"), data, 4)
    assert not any(m.get("msg") == "process_completed" for m in seen), "the run ended before the client left"
    ours = generation_threads() - before
    assert len(ours) == 1, "the generation should still be running when the client leaves"

    # The engine stops producing tokens: its thread ends and the stream passes on no more chunks.
    wait_until(lambda: not any(t.is_alive() for t in ours), timeout=60, what="the abandoned generation to stop")
    passed = probe.chunks_passed
    time.sleep(1.0)
    assert probe.chunks_passed == passed
    assert passed < LONG

    # And the server goes on serving.
    out = Client(faulty_app.blocks.local_url, verbose=False).predict(
        "base", "x = ", {"max_tokens": 2}, api_name="/generate"
    )
    assert out["error"] is None
