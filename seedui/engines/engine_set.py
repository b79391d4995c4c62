"""Config -> one engine per lane. A new server is a line of config, not a new branch here."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from seedui.config import AppConfig
from seedui.engines.base import Engine
from seedui.errors import ConfigError


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
    supervisor = None
    for name, lane in config.lanes.items():
        if lane.engine == "transformers":
            from seedui.engines.transformers_local import ModelPool, TransformersEngine

            pool = pool or ModelPool(config.cache_dir)
            engines[name] = TransformersEngine(lane, pool)
        else:
            from seedui.engines.openai_http import OpenAIHttpEngine

            timeout_s = config.limits.lane_timeout_s
            if lane.base_url:  # a server that runs elsewhere (vLLM, llama.cpp, SGLang)
                engines[name] = OpenAIHttpEngine(lane, base_url=lane.base_url, timeout_s=timeout_s)
            elif lane.engine == "vllm":  # a `vllm serve` we start and supervise
                from seedui.engines.vllm_process import VllmSupervisor

                if supervisor is None:
                    supervisor = VllmSupervisor(config)
                    resources.append(supervisor)
                server = supervisor.server_for(name, lane)
                engines[name] = OpenAIHttpEngine(lane, server=server, timeout_s=timeout_s)
            else:
                raise ConfigError(f"lane {name}: engine openai_http needs base_url (the server's URL, ending in /v1)")
    return EngineSet(engines, resources)
