"""Config -> one engine per lane. A new server is a line of config, not a new branch here."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from seedui.config import AppConfig
from seedui.engines.base import Engine


@dataclass
class EngineSet:
    """The engines of all lanes, plus whatever must be closed with them (servers)."""

    engines: dict[str, Engine]
    resources: list[Any] = field(default_factory=list)  # objects with `async close()`

    async def start(self) -> None:
        """Start every lane at once; a lane that fails shows it in its status."""
        await asyncio.gather(*(engine.start() for engine in self.engines.values()))

    async def close(self) -> None:
        for engine in self.engines.values():
            await engine.close()
        for resource in self.resources:
            await resource.close()


def build_engines(config: AppConfig) -> EngineSet:
    engines: dict[str, Engine] = {}
    resources: list[Any] = []
    pool = None
    for name, lane in config.lanes.items():
        if lane.engine == "transformers":
            from seedui.engines.transformers_local import ModelPool, TransformersEngine

            pool = pool or ModelPool(config.cache_dir)
            engines[name] = TransformersEngine(lane, pool)
        else:
            raise NotImplementedError(f"engine {lane.engine!r} arrives with the vLLM issue")
    return EngineSet(engines, resources)
