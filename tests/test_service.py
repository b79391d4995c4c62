"""LaneService: how a Base lane gets its instruction (`instruction_as`), the prompt a lane dict reports against
what its engine received, and a request for a lane still starting woken by its start-up, not a poll.

The engines are openai_http engines on the in-process STAND-IN server (tests/engines/fake_openai_server.py),
which records every request body; a `GatedEngine` wraps one to hold its start-up."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

from seedui import service as service_module
from seedui.config import Overrides, load_config
from seedui.engines.base import EngineStatus
from seedui.engines.engine_set import build_engines
from seedui.errors import UserError
from seedui.service import LaneService, lane_settings
from tests.conftest import LoopThread
from tests.engines.fake_openai_server import FakeServer

TINY = load_config(profile="tiny", environ={})
LANES = ("base", "instruct", "reasoning")


@pytest.mark.parametrize(
    ("settings", "base", "instruct"),
    [
        ({}, {}, {}),
        ({"instruction_as": "python"}, {"instruction_as": "python"}, {}),  # shared: Base lanes only
        ({"base": {"instruction_as": "go"}}, {"instruction_as": "go"}, {}),
        ({"instruction_as": "python", "base": {"instruction_as": "typed"}}, {"instruction_as": "typed"}, {}),
        ({"system_prompt": "Be terse."}, {"system_prompt": "Be terse."}, {"system_prompt": "Be terse."}),
    ],
)
def test_lane_settings_give_each_lane_its_prompt_options(settings, base, instruct):
    assert lane_settings(TINY, settings, "base")[1] == base
    assert lane_settings(TINY, settings, "instruct")[1] == instruct


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"instruct": {"instruction_as": "python"}}, r"only a completion \(Base\) lane"),
        ({"instruction_as": "cobol"}, "instruction_as must be 'typed'"),
        ({"base": {"instruction_as": 1}}, "instruction_as must be 'typed'"),
    ],
)
def test_bad_instruction_as_is_a_clear_error(settings, message):
    lane = "instruct" if "instruct" in settings else "base"
    with pytest.raises(UserError, match=message):
        lane_settings(TINY, settings, lane)


@pytest.fixture
def stand_in() -> Iterator[tuple[FakeServer, LoopThread]]:
    server = FakeServer(models=("m",))
    loop = LoopThread()
    try:
        yield server, loop
    finally:
        loop.stop()
        server.close()


def remote_service(server: FakeServer) -> LaneService:
    ov = Overrides()
    for lane in LANES:
        ov.add(f"lanes.{lane}.engine", "openai_http", "test")
        ov.add(f"lanes.{lane}.base_url", server.base_url, "test")
        ov.add(f"lanes.{lane}.served_model_name", "m", "test")
    config = load_config(profile="tiny", cli=ov, environ={})
    return LaneService(config, build_engines(config))


async def last(stream: Any) -> Any:
    final = None
    async for snap in stream:
        final = snap
    return final


def test_the_prompt_a_lane_reports_is_the_one_its_engine_received(stand_in):
    server, loop = stand_in
    service = remote_service(server)
    loop.run(service.engines.start())
    try:
        settings = {"max_tokens": 4, "base": {"instruction_as": "python"}}
        final = loop.run(last(service.compare('Write is_prime(n) & "test" it.', settings, list(LANES))))
        (body,) = [r["body"] for r in server.posts if r["path"] == "/v1/completions"]
        assert final["base"]["prompt"] == body["prompt"] == '# Write is_prime(n) & "test" it.\n'
        assert final["instruct"]["prompt"] is None and final["reasoning"]["prompt"] is None  # templated elsewhere
        chats = [r["body"] for r in server.posts if r["path"] == "/v1/chat/completions"]
        assert [b["messages"][-1]["content"] for b in chats] == ['Write is_prime(n) & "test" it.'] * 2
    finally:
        loop.run(service.engines.close())


class GatedEngine:
    """TEST-ONLY wrapper: a real engine whose start-up waits for `open` (an engine loading for minutes)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.open: asyncio.Event | None = None
        self.name = inner.name

    @property
    def status(self) -> EngineStatus:
        if self.open is not None and self.open.is_set():
            return self.inner.status
        return EngineStatus("starting", "loading")

    async def start(self) -> None:
        self.open = self.open or asyncio.Event()
        await self.open.wait()
        await self.inner.start()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_request_for_a_lane_still_starting_wakes_when_it_is_ready_not_on_a_poll(stand_in, monkeypatch):
    server, loop = stand_in
    monkeypatch.setattr(service_module, "NOTE_REFRESH_S", 60.0)  # a poll would sleep a minute
    service = remote_service(server)
    gated = GatedEngine(service.engines.engines["base"])
    service.engines.engines["base"] = gated

    async def scenario() -> tuple[Any, float]:
        gated.open = asyncio.Event()
        service.engines.start_soon()
        run = asyncio.create_task(last(service.compare("hi", {"max_tokens": 2}, ["base"])))
        await asyncio.sleep(0.5)
        assert not run.done()  # waiting for the lane
        opened = time.monotonic()
        gated.open.set()
        final = await asyncio.wait_for(run, 20)  # woken by the start-up's end: a poll would sleep a minute
        return final, time.monotonic() - opened

    try:
        final, waited_after_opening = loop.run(scenario(), timeout=30)
        assert final["base"]["error"] is None and final["base"]["text"] == "Hello world"
        assert final["base"]["stats"]["startup_wait_s"] >= 0.4
        assert waited_after_opening < service_module.NOTE_REFRESH_S / 3
    finally:
        loop.run(service.engines.close())
