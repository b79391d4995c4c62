"""All the vLLM servers of an app: one per distinct model, shared by the lanes naming it."""

from __future__ import annotations

import asyncio

from seedui.config import AppConfig, LaneConfig
from seedui.engines.vllm.server import ServerSpec, VllmServer
from seedui.engines.vllm.swap import SLEEP_FLAG, SwapGroup
from seedui.errors import ConfigError


class VllmSupervisor:
    """Makes and closes the servers. Goes into `EngineSet.resources`, so closing the app stops them."""

    def __init__(self, config: AppConfig, env: dict[str, str] | None = None) -> None:
        self.config = config
        self.env = env
        self.servers: dict[str, VllmServer] = {}
        self._lanes: dict[str, str] = {}  # model -> first lane naming it (for error messages)
        # Servers start one after another: vLLM sizes its KV cache from the GPU
        # memory free while it profiles, which a server starting beside it skews.
        self._start_lock = asyncio.Lock()
        self.swap = SwapGroup()

    def server_for(self, lane_name: str, lane: LaneConfig) -> VllmServer:
        served = lane.served_model_name or lane.model
        spec = ServerSpec(lane.model, served, lane.vllm)
        server = self.servers.get(lane.model)
        if server is not None:
            if server.spec != spec:
                first = self._lanes[lane.model]
                raise ConfigError(
                    f"lanes {first} and {lane_name} share the model {lane.model}, so they share one vLLM server, "
                    "but their `vllm` options or served_model_name differ: make them the same"
                )
            return server
        server = VllmServer(
            spec,
            command=self.config.vllm_command,
            cache_dir=self.config.cache_dir,
            startup_timeout_s=self.config.vllm_startup_timeout_s,
            start_lock=self._start_lock,
            env=self.env,
            swap=self.swap if SLEEP_FLAG in lane.vllm.extra_args else None,
        )
        self.servers[lane.model] = server
        self._lanes[lane.model] = lane_name
        return server

    async def close(self) -> None:
        await asyncio.gather(*(server.close() for server in self.servers.values()))
