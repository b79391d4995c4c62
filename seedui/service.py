"""The service behind the page and the API: validate a request, build each
lane's job, and stream the fan-out. No Gradio here.

Request-level problems (empty prompt, unknown lane, settings that are not a
dict, a limit hit) raise `UserError` before anything runs. Lane-level
problems (a bad override for one lane, a prompt that does not fit one lane's
context, FIM on a model without FIM tokens) become that lane's error.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Sequence
from typing import Any

from seedui.clients import ProxyTrust, client_id
from seedui.config import AppConfig
from seedui.engines.base import Message
from seedui.engines.engine_set import EngineSet
from seedui.errors import UserError
from seedui.fanout import LaneJob, fan_out
from seedui.limits import RateLimiter, check_settings_shape, check_text
from seedui.prompts import build_request, check_fits
from seedui.sampling import SamplingSettings

NON_SAMPLING_KEYS = ("system_prompt",)
MAX_HISTORY_TURNS = 64

LaneDict = dict[str, Any]


class LaneService:
    def __init__(self, config: AppConfig, engines: EngineSet) -> None:
        self.config = config
        self.engines = engines
        self.limits = config.limits
        self.rate = RateLimiter(config.limits.requests_per_minute)
        self.proxies = ProxyTrust.from_config(config.trusted_proxies, on_space=bool(os.environ.get("SPACE_ID")))

    def client(self, request: Any) -> str:
        """Who sent a request (the address per-client limits count against)."""
        return client_id(request, self.proxies)

    @property
    def lane_names(self) -> list[str]:
        return list(self.config.lanes)

    # --- public operations ------------------------------------------------

    async def compare(
        self, prompt: Any, settings: Any, lanes: Any, client: str = "local"
    ) -> AsyncIterator[dict[str, LaneDict]]:
        prompt = check_text(prompt, "prompt", self.limits.max_prompt_chars)
        names = self.resolve_lanes(lanes)
        self.rate.check(client)
        async for snap in self._run(names, settings, {"prompt": prompt}):
            yield snap

    async def generate(self, lane: Any, prompt: Any, settings: Any, client: str = "local") -> AsyncIterator[LaneDict]:
        prompt = check_text(prompt, "prompt", self.limits.max_prompt_chars)
        (name,) = self.resolve_lanes([lane], allow_empty=False)
        self.rate.check(client)
        async for snap in self._run([name], settings, {"prompt": prompt}, strict=True):
            yield snap[name]

    async def fim(
        self, prefix: Any, suffix: Any, settings: Any, client: str = "local", lane: str | None = None
    ) -> AsyncIterator[LaneDict]:
        prefix = check_text(prefix, "prefix", self.limits.max_prompt_chars, allow_empty=True)
        suffix = check_text(suffix, "suffix", self.limits.max_prompt_chars, allow_empty=True)
        if not (prefix + suffix).strip():
            raise UserError("both the prefix and the suffix are empty: give the code around the hole")
        name = lane or self.base_lane()
        self.rate.check(client)
        async for snap in self._run([name], settings, {"fim": (prefix, suffix)}, strict=True):
            yield snap[name]

    async def complete(self, text: Any, settings: Any, client: str = "local") -> AsyncIterator[LaneDict]:
        """Plain left-to-right completion on the Base lane."""
        async for snap in self.generate(self.base_lane(), text, settings, client):
            yield snap

    async def chat(
        self, histories: dict[str, Sequence[Message]], settings: Any, client: str = "local"
    ) -> AsyncIterator[dict[str, LaneDict]]:
        """One step of a side-by-side chat: each lane answers its own history."""
        names = self.resolve_lanes(list(histories), allow_empty=False)
        for name in names:
            if len(histories[name]) > MAX_HISTORY_TURNS:
                raise UserError(f"the conversation has more than {MAX_HISTORY_TURNS} turns: clear it to go on")
            for turn in histories[name]:
                check_text(turn.get("content"), "message", self.limits.max_prompt_chars, allow_empty=True)
        self.rate.check(client)
        inputs = {name: {"history": list(histories[name])} for name in names}
        async for snap in self._run(names, settings, inputs, per_lane=True):
            yield snap

    def base_lane(self) -> str:
        for name, lane in self.config.lanes.items():
            if not lane.chats:
                return name
        raise UserError("this configuration has no completion (Base) lane")

    # --- validation -------------------------------------------------------

    def resolve_lanes(self, lanes: Any, allow_empty: bool = True) -> list[str]:
        if lanes is None or lanes == [] or lanes == "":
            if allow_empty:
                return self.lane_names
            raise UserError(f"name a lane: one of {', '.join(self.lane_names)}")
        if isinstance(lanes, str):
            lanes = [lanes]
        if not isinstance(lanes, list) or not all(isinstance(x, str) for x in lanes):
            raise UserError("lanes must be a list of lane names")
        unknown = [x for x in lanes if x not in self.config.lanes]
        if unknown:
            raise UserError(f"unknown lane {unknown[0]!r}; lanes here: {', '.join(self.lane_names)}")
        return list(dict.fromkeys(lanes))

    def lane_settings(self, settings: Any, name: str) -> tuple[SamplingSettings, str | None]:
        """Global settings, then the lane's own overrides, over the lane's defaults."""
        return lane_settings(self.config, settings, name)

    async def _job(self, name: str, settings: Any, inputs: dict[str, Any]) -> LaneJob:
        lane = self.config.lanes[name]
        engine = self.engines.engines[name]
        sampling, system_prompt = self.lane_settings(settings, name)
        request = build_request(lane, sampling, system_prompt=system_prompt, **inputs)
        prompt_tokens = await engine.count_prompt_tokens(request)
        if prompt_tokens is not None:
            if prompt_tokens > self.limits.max_prompt_tokens:
                raise UserError(
                    f"the prompt is {prompt_tokens:,} tokens; "
                    f"this server allows at most {self.limits.max_prompt_tokens:,}"
                )
            check_fits(prompt_tokens, sampling.max_tokens or 0, lane.context_length)
        return LaneJob(name, lane, engine, request, prompt_tokens)

    def check_settings(self, settings: Any) -> dict[str, Any]:
        """A request's settings dict, refused early when it is not one or is oversized."""
        return check_settings_shape(settings, self.limits.max_prompt_chars, len(self.config.lanes))

    async def _run(
        self, names: list[str], settings: Any, inputs: dict[str, Any], *, per_lane: bool = False, strict: bool = False
    ) -> AsyncIterator[dict[str, LaneDict]]:
        settings = self.check_settings(settings)  # request errors, before any lane runs
        jobs: list[LaneJob] = []
        failed: dict[str, str] = {}
        total = 0
        for name in names:
            try:
                job = await self._job(name, settings, inputs[name] if per_lane else inputs)
            except UserError as exc:
                if strict:  # a single-lane call: the lane's problem is the request's problem
                    raise
                failed[name] = str(exc)
                continue
            total += job.request.sampling.max_tokens or 0
            jobs.append(job)
        if total > self.limits.max_total_tokens:
            raise UserError(
                f"this request asks for up to {total:,} new tokens over its lanes (max_tokens summed); "
                f"the limit here is {self.limits.max_total_tokens:,}: lower max_tokens"
            )
        async for snap in fan_out(jobs, timeout_s=self.limits.lane_timeout_s, failed=failed):
            yield {name: snap[name] for name in names}


def lane_settings(config: AppConfig, settings: Any, name: str) -> tuple[SamplingSettings, str | None]:
    """Lane `name`'s sampling and system prompt for a request's settings: the shared values, then the
    lane's own overrides (under its name), over the lane's model card defaults."""
    settings = settings or {}
    lane = config.lanes[name]
    shared = {k: v for k, v in settings.items() if k not in config.lanes}
    own = settings.get(name) or {}
    if not isinstance(own, dict):
        raise UserError(f"settings.{name} (overrides for lane {name}) must be a dict")
    merged = {**shared, **own}
    system_prompt = merged.pop("system_prompt", None)
    if system_prompt is not None:
        check_text(system_prompt, "system prompt", config.limits.max_prompt_chars, allow_empty=True)
    sampling = SamplingSettings.parse(merged, where=f"settings for lane {name}").merged_over(lane.sampling)
    sampling.check_for_lane(lane.context_length)
    return sampling, system_prompt
