"""Taking turns: servers that share memory too small for all of them (a 24 GB GPU, an 8 GB laptop).

Servers that take turns (vLLM with `--enable-sleep-mode`, llama.cpp with
`take_turns`) form one swap group per engine, of which only one is awake at a
time. A request for a sleeping server waits until the awake one has no
requests in flight, puts it to sleep and wakes its own. How a server sleeps is
its own business (`ManagedServer.sleep`): vLLM in place (level 1: weights to
CPU RAM, KV cache dropped), llama.cpp by stopping its process and starting it
again. Requests, start-ups and restarts all run on the serving loop, so one
`asyncio.Condition` is the whole of the turn-taking.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from seedui.engines.servers.server import ManagedServer


class SwapGroup:
    """Servers that take turns on one machine's memory: at most one awake."""

    def __init__(self) -> None:
        self.awake: ManagedServer | None = None
        self.users = 0  # requests in flight on the awake server
        self.cond = asyncio.Condition()

    @contextlib.asynccontextmanager
    async def lease(self, server: ManagedServer) -> AsyncIterator[None]:
        """Hold the memory for one request to `server`, waking it (and putting the awake one to sleep) if needed."""
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

    async def make_room(self, server: ManagedServer) -> None:
        """Before `server` (re)starts: wait for requests in flight, then put the awake one to sleep."""
        async with self.cond:
            await self.cond.wait_for(lambda: self.users == 0)
            if self.awake is not None and self.awake is not server:
                await self.awake.sleep()
                self.awake = None

    def started(self, server: ManagedServer) -> None:
        server.asleep = False
        self.awake = server

    def gone(self, server: ManagedServer) -> None:
        if self.awake is server:
            self.awake = None
