"""All the supervised servers of an app: one per distinct model and engine, shared by the lanes naming it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from seedui.config import AppConfig, LaneConfig
from seedui.engines.servers.llamacpp import LlamaCppKind
from seedui.engines.servers.server import ManagedServer, ServerSpec
from seedui.engines.servers.swap import SwapGroup
from seedui.engines.servers.vllm import VllmKind
from seedui.errors import ConfigError
from seedui.paths import DEFAULT_CACHE_DIR

# A lane's `engine` -> how its server is run. Each reads its options from the lane's block of the same name.
KINDS: dict[str, Callable[[AppConfig], Any]] = {
    "vllm": lambda config: VllmKind(config.vllm_command, config.vllm_startup_timeout_s),
    "llamacpp": lambda config: LlamaCppKind(
        config.llama_server, (config.cache_dir, DEFAULT_CACHE_DIR), config.llamacpp_startup_timeout_s
    ),
}
# Servers that size their KV cache from the lanes' context (and so must agree on it).
SIZED_BY_LANE = {"llamacpp"}


def server_key(lane: LaneConfig) -> tuple[str, str]:
    """The lanes with one key share one server."""
    return (lane.engine, lane.model)


def is_managed(lane: LaneConfig) -> bool:
    """A lane whose server SeedUI starts (no base_url: nobody else runs it)."""
    return lane.engine in KINDS and not lane.base_url


class ServerSupervisor:
    """Makes and closes the servers. Goes into `EngineSet.resources`, so closing the app stops them."""

    def __init__(self, config: AppConfig, env: dict[str, str] | None = None) -> None:
        self.config = config
        self.env = env
        self.servers: dict[tuple[str, str], ManagedServer] = {}
        self._lanes: dict[tuple[str, str], str] = {}  # first lane naming each server (for error messages)
        # Servers start one after another: vLLM sizes its KV cache from the GPU memory free while it profiles,
        # which a server starting beside it skews; llama.cpp servers read their files one at a time.
        self._start_lock = asyncio.Lock()
        self.swaps: dict[str, SwapGroup] = {}  # per engine: the servers of one engine take turns together

    def server_for(self, lane_name: str, lane: LaneConfig) -> ManagedServer:
        served = lane.served_model_name or lane.model
        context = lane.context_length if lane.engine in SIZED_BY_LANE else None
        spec = ServerSpec(lane.engine, lane.model, served, getattr(lane, lane.engine), context)
        key = server_key(lane)
        server = self.servers.get(key)
        if server is not None:
            if server.spec != spec:
                raise ConfigError(
                    f"lanes {self._lanes[key]} and {lane_name} share the model {lane.model}, so they share one "
                    f"{server.kind.label} server, but their `{lane.engine}` options, served_model_name or "
                    "context_length differ: make them the same"
                )
            return server
        kind = KINDS[lane.engine](self.config)
        swap = self.swaps.setdefault(lane.engine, SwapGroup()) if kind.takes_turns(spec.options) else None
        server = ManagedServer(
            spec, kind, cache_dir=self.config.cache_dir, start_lock=self._start_lock, env=self.env, swap=swap
        )
        self.servers[key] = server
        self._lanes[key] = lane_name
        return server

    async def close(self) -> None:
        await asyncio.gather(*(server.close() for server in self.servers.values()))
