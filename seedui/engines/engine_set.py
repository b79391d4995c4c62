"""The engines of all lanes, made from config, and their life together: start, settle, close.

A new server is a line of config, not a new branch here. The set starts on
the event loop that serves requests, in the background (`start_soon`): the
page answers at once while weights load or vLLM boots. "Settled" means every
engine's start-up has ended, ready or failed; requests can await it
(`settled()`), other threads (tests, app.py) can block on it (`wait_settled`).
A request for one lane still starting awaits that lane's start-up alone
(`wait_started`), woken the moment it ends rather than on a poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from seedui.config import AppConfig, LaneConfig
from seedui.engines.base import Engine
from seedui.engines.fallback import FallbackEngine
from seedui.engines.servers import ServerSupervisor, is_managed
from seedui.errors import ConfigError

log = logging.getLogger(__name__)


@dataclass
class EngineSet:
    """The engines of all lanes, plus whatever must be closed with them (servers)."""

    engines: dict[str, Engine]
    resources: list[Any] = field(default_factory=list)  # objects with `async close()`
    _starting: asyncio.Task[None] | None = field(default=None, init=False, repr=False)
    _settled: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    # Per lane: set when its engine's start() has returned (ready or failed). Made afresh by each start().
    _started: dict[str, asyncio.Event] = field(default_factory=dict, init=False, repr=False)

    async def start(self) -> None:
        """Start every lane at once and wait for all; a lane that fails shows it in its status."""
        self._started = {name: asyncio.Event() for name in self.engines}
        await asyncio.gather(*(self._start_one(name, engine) for name, engine in self.engines.items()))

    async def _start_one(self, name: str, engine: Engine) -> None:
        try:
            await engine.start()
        finally:
            self._started[name].set()

    async def wait_started(self, name: str, timeout: float) -> None:
        """Wait (on the serving loop) until lane `name`'s start-up ends, or `timeout` seconds pass.

        When its start-up has ended already (a lane starting again is a vLLM restart) or the set was never
        started, nothing will wake it: it waits the whole `timeout`. The caller reads the status after.
        """
        event = self._started.get(name)
        if event is None or event.is_set():
            await asyncio.sleep(timeout)
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):  # not wait_for: see fanout.run_lane
                await event.wait()

    def start_soon(self) -> asyncio.Task[None]:
        """Start in the background on the running loop (once); the task ends when the set has settled."""
        if self._starting is None:
            self._settled.clear()
            self._starting = asyncio.get_running_loop().create_task(self.start(), name="seedui-engines-start")
            self._starting.add_done_callback(self._on_settled)
        return self._starting

    def _on_settled(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:  # engines must not raise from start()
            log.error("starting the engines failed", exc_info=task.exception())
        self._settled.set()

    @property
    def is_settled(self) -> bool:
        return self._settled.is_set()

    async def settled(self) -> None:
        """Wait (on the serving loop) until every engine's start-up has ended, ready or failed."""
        if self._starting is None:
            raise RuntimeError("the engines were not started (EngineSet.start_soon)")
        await asyncio.wait({self._starting})  # a waiter that is cancelled does not cancel the start-up

    def wait_settled(self, timeout: float | None = None) -> bool:
        """From any thread: block until settled; False when `timeout` passed first."""
        return self._settled.wait(timeout)

    async def close(self) -> None:
        """Stop a start-up still running, then close every engine and resource (one failing does not stop the rest).

        A later `start_soon()` starts them afresh (uvicorn runs the lifespan again when Gradio retries a port).
        """
        starting, self._starting = self._starting, None
        if starting is not None and not starting.done():
            starting.cancel()
            await asyncio.wait({starting})
        for what in [*self.engines.values(), *self.resources]:
            try:
                await what.close()
            except Exception:
                log.exception("closing %r failed", what)


FALLBACK_WHAT = "the transformers engine in this process (several times slower on a CPU)"


def build_engines(config: AppConfig) -> EngineSet:
    engines: dict[str, Engine] = {}
    resources: list[Any] = []
    pool = None
    supervisor = None

    def transformers_engine(lane: LaneConfig) -> Engine:
        nonlocal pool
        from seedui.engines import zerogpu
        from seedui.engines.transformers_local import ModelPool, TransformersEngine

        if zerogpu.ON_ZEROGPU:  # placed before launch (app.py); the tokens come from ZeroGPU's workers
            return zerogpu.ZeroGPUEngine(lane, zerogpu.PLACED)
        pool = pool or ModelPool(config.cache_dir)  # one copy of each model, shared by the lanes naming it
        return TransformersEngine(lane, pool)

    for name, lane in config.lanes.items():
        if lane.engine == "transformers":
            engines[name] = transformers_engine(lane)
            continue
        from seedui.engines.openai_http import OpenAIHttpEngine

        timeout_s = config.limits.lane_timeout_s
        if lane.base_url:  # a server that runs elsewhere (vLLM, llama.cpp, SGLang)
            engines[name] = OpenAIHttpEngine(lane, base_url=lane.base_url, timeout_s=timeout_s)
        elif is_managed(lane):  # a server we start and supervise (`llama-server`, `vllm serve`)
            if supervisor is None:
                supervisor = ServerSupervisor(config)
                resources.append(supervisor)
            server = supervisor.server_for(name, lane)
            engines[name] = OpenAIHttpEngine(lane, server=server, timeout_s=timeout_s)
            if lane.engine == "llamacpp" and lane.llamacpp.fallback == "transformers":
                plain = lane.model_copy(update={"engine": "transformers"})
                make = functools.partial(transformers_engine, plain)
                engines[name] = FallbackEngine(name, engines[name], server.kind.label, make, FALLBACK_WHAT)
        else:
            raise ConfigError(f"lane {name}: engine openai_http needs base_url (the server's URL, ending in /v1)")
    return EngineSet(engines, resources)
