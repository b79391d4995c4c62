"""Sleep mode: servers that take turns on a GPU too small for all of them (e.g. 24 GB).

Servers whose extra flags include `--enable-sleep-mode` form one swap group,
of which only one is awake at a time. A request for a sleeping server waits
until the awake one has no requests in flight, puts it to sleep (level 1:
weights to CPU RAM, KV cache dropped) and wakes its own (`/sleep`,
`/wake_up`; the supervisor sets VLLM_SERVER_DEV_MODE=1 for them, which those
routes need). Requests, start-ups and restarts all run on the serving loop,
so one `asyncio.Condition` is the whole of the turn-taking.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from seedui.engines.vllm.server import VllmServer

SLEEP_FLAG = "--enable-sleep-mode"


class SwapGroup:
    """Servers in sleep mode that take turns on one GPU: at most one awake."""

    def __init__(self) -> None:
        self.awake: VllmServer | None = None
        self.users = 0  # requests in flight on the awake server
        self.cond = asyncio.Condition()

    @contextlib.asynccontextmanager
    async def lease(self, server: VllmServer) -> AsyncIterator[None]:
        """Hold the GPU for one request to `server`, waking it (and putting the awake one to sleep) if needed."""
        async with self.cond:
            await self.cond.wait_for(lambda: self.awake is server or self.users == 0)
            if self.awake is not server:
                if self.awake is not None:
                    await self.awake.sleep()
                    self.awake = None
                await server.wake()
                self.awake = server
            self.users += 1
        try:
            yield
        finally:
            async with self.cond:
                self.users -= 1
                self.cond.notify_all()

    async def make_room(self, server: VllmServer) -> None:
        """Before `server` (re)starts: wait for requests in flight, then put the awake one to sleep."""
        async with self.cond:
            await self.cond.wait_for(lambda: self.users == 0)
            if self.awake is not None and self.awake is not server:
                await self.awake.sleep()
                self.awake = None

    def started(self, server: VllmServer) -> None:
        server.asleep = False
        self.awake = server

    def gone(self, server: VllmServer) -> None:
        if self.awake is server:
            self.awake = None
