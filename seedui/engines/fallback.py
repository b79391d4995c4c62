"""A lane that runs on a second engine when its first cannot start here, and says so.

The tiny profile's lanes run on llama.cpp's server; where it cannot run (not
built: no compiler or cmake; built for a CPU with features this one lacks; it
dies at start-up) they fall back to the transformers engine. The reason and
what to install become the lane's `notice`, which the page shows and the log
records: a slower lane, never a dead one.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

from seedui.engines.base import Chunk, Engine, EngineStatus, GenerationRequest

log = logging.getLogger(__name__)


class FallbackEngine:
    """`primary` unless its start fails; then `make_fallback()`, with a notice saying why."""

    def __init__(
        self, lane_name: str, primary: Engine, label: str, make_fallback: Callable[[], Engine], what: str
    ) -> None:
        self.lane_name = lane_name
        self.primary = primary
        self.label = label  # the primary in words: "llama.cpp"
        self.make_fallback = make_fallback
        self.what = what  # the fallback in words: "the transformers engine (about 3x slower on a CPU)"
        self.active: Engine = primary
        self.notice = ""

    @property
    def name(self) -> str:
        return self.active.name

    @property
    def status(self) -> EngineStatus:
        status = self.active.status
        return replace(status, notice=self.notice) if self.notice else status

    async def start(self) -> None:
        await self.primary.start()
        if self.primary.status.state != "failed":
            return
        why = self.primary.status.detail
        self.notice = f"{self.label} could not start ({why}); this lane runs on {self.what} instead."
        log.warning("lane %s: %s", self.lane_name, self.notice)
        self.active = self.make_fallback()
        await self.active.start()

    async def count_prompt_tokens(self, request: GenerationRequest) -> int | None:
        return await self.active.count_prompt_tokens(request)

    def stream(self, request: GenerationRequest) -> AsyncIterator[Chunk]:
        return self.active.stream(request)

    async def close(self) -> None:
        await self.primary.close()
        if self.active is not self.primary:
            await self.active.close()
