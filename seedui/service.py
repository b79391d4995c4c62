"""The service behind the page and the API: validate a request, build each
lane's job, and stream the fan-out. No Gradio here.

A lane whose engine is still starting (the page answers seconds to minutes
before weights are loaded or vLLM is up) is not refused: its job waits for
the engine, up to that engine's start-up time, and its lane dict says what it
waits for (`status`: state, seconds, the last log line) until it streams.
A lane whose start failed answers at once with the reason.

Request-level problems (empty prompt, unknown lane, settings that are not a
dict, a limit hit) raise `UserError` before anything runs. Lane-level
problems (a bad override for one lane, a prompt that does not fit one lane's
context, FIM on a model without FIM tokens) become that lane's error.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

from seedui.clients import ProxyTrust, client_id
from seedui.config import AppConfig, LaneConfig
from seedui.engines.base import Engine, EngineStatus, Message
from seedui.engines.engine_set import EngineSet
from seedui.engines.servers.supervisor import KINDS, is_managed, server_key
from seedui.errors import UserError
from seedui.fanout import LaneJob, fan_out
from seedui.limits import RateLimiter, check_settings_shape, check_text
from seedui.prompts import build_request, check_fits, check_instruction_as
from seedui.sampling import SamplingSettings

# Settings that shape a lane's prompt rather than its sampling: the Instruct system prompt, and how an
# instruction reaches a Base lane (seedui/prompts.py `completion_prompt`).
NON_SAMPLING_KEYS = ("system_prompt", "instruction_as")
MAX_HISTORY_TURNS = 64
# How long a request waits for a lane still starting. vLLM lanes: the configured start-up timeout (per
# server: they start one at a time). Others: loading weights in process (a download included), or checking
# a remote server.
TRANSFORMERS_STARTUP_WAIT_S = 600.0
REMOTE_STARTUP_WAIT_S = 60.0
# A lane still starting wakes the moment its start-up ends (EngineSet.wait_started); until then its note is
# refreshed this often (a vLLM server's last log line changes; the page ticks the seconds itself).
NOTE_REFRESH_S = 1.0

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

    async def answer(self, name: str, prompt: str, settings: Any) -> LaneDict:
        """Lane `name`'s whole answer to `prompt`, for a caller with a rate policy of its own (the Bench).

        Request problems (settings) raise; the lane's own (its settings, its context, its engine) are the
        answer's `error`.
        """
        last: dict[str, LaneDict] = {}
        async for snap in self._run([name], settings, {"prompt": prompt}):
            last = snap
        return last[name]

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

    def lane_settings(self, settings: Any, name: str) -> tuple[SamplingSettings, dict[str, Any]]:
        """Global settings, then the lane's own overrides, over the lane's defaults."""
        return lane_settings(self.config, settings, name)

    async def _job(self, name: str, settings: Any, inputs: dict[str, Any]) -> LaneJob:
        lane = self.config.lanes[name]
        engine = self.engines.engines[name]
        sampling, prompt_options = self.lane_settings(settings, name)
        request = build_request(lane, sampling, **prompt_options, **inputs)
        job = LaneJob(name, lane, engine, request)
        if engine.status.state == "starting":  # counted once it is ready, in the fan-out
            job.prepare = lambda note: self._when_ready(job, note)
        else:  # ready, or failed: the engine says why at once
            await self._count(job)
        return job

    async def _count(self, job: LaneJob) -> None:
        prompt_tokens = await job.engine.count_prompt_tokens(job.request)
        if prompt_tokens is not None:
            if prompt_tokens > self.limits.max_prompt_tokens:
                raise UserError(
                    f"the prompt is {prompt_tokens:,} tokens; "
                    f"this server allows at most {self.limits.max_prompt_tokens:,}"
                )
            check_fits(prompt_tokens, job.request.sampling.max_tokens or 0, job.lane.context_length)
        job.prompt_tokens = prompt_tokens

    def startup_wait_s(self, lane: LaneConfig) -> float:
        """How long a request waits for this lane's engine to finish starting."""
        if is_managed(lane):  # servers start one at a time; a download before one is not counted
            servers = {server_key(x) for x in self.config.lanes.values() if is_managed(x)}
            wait = KINDS[lane.engine](self.config).startup_timeout_s * max(1, len(servers))
            if lane.engine == "llamacpp" and lane.llamacpp.fallback:
                wait += TRANSFORMERS_STARTUP_WAIT_S
            return wait
        if lane.engine == "transformers":
            return TRANSFORMERS_STARTUP_WAIT_S
        return REMOTE_STARTUP_WAIT_S

    async def _when_ready(self, job: LaneJob, note: Any) -> None:
        """Wait for a lane's engine to leave "starting", telling `note` what it waits for; then count the prompt."""
        limit = self.startup_wait_s(job.lane)
        t0 = time.monotonic()
        while (status := job.engine.status).state == "starting":
            waited = time.monotonic() - t0
            if waited > limit:
                raise UserError(
                    f"{job.lane.display_name} had not finished starting after {limit:g} s "
                    f"({status.detail or 'no news from it'}); try again later"
                )
            note(waiting_text(status, waited))
            await self.engines.wait_started(job.name, min(NOTE_REFRESH_S, limit - waited + 0.01))
        await self._count(job)  # a lane that failed to start: its engine raises with the reason

    def readiness(self) -> dict[str, Any]:
        """Every lane's start-up state: {"ready": bool, "lanes": {name: {state, detail, engine}}}."""
        lanes = {name: lane_state(engine) for name, engine in self.engines.engines.items()}
        return {"ready": all(x["state"] == "ready" for x in lanes.values()), "lanes": lanes}

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


def lane_settings(config: AppConfig, settings: Any, name: str) -> tuple[SamplingSettings, dict[str, Any]]:
    """Lane `name`'s sampling, and its prompt options (`build_request` keywords: system_prompt,
    instruction_as), for a request's settings: the shared values, then the lane's own overrides (under its
    name), over the lane's model card defaults."""
    settings = settings or {}
    lane = config.lanes[name]
    shared = {k: v for k, v in settings.items() if k not in config.lanes}
    own = settings.get(name) or {}
    if not isinstance(own, dict):
        raise UserError(f"settings.{name} (overrides for lane {name}) must be a dict")
    merged = {**shared, **own}
    options: dict[str, Any] = {}
    system_prompt = merged.pop("system_prompt", None)
    if system_prompt is not None:
        options["system_prompt"] = check_text(
            system_prompt, "system prompt", config.limits.max_prompt_chars, allow_empty=True
        )
    if "instruction_as" in merged:
        instruction_as = check_instruction_as(merged.pop("instruction_as"))
        if lane.chats and "instruction_as" in own:
            raise UserError(
                f"settings.{name}.instruction_as: {lane.display_name} chats; only a completion (Base) lane "
                "takes an instruction as text to continue"
            )
        if not lane.chats:
            options["instruction_as"] = instruction_as
    sampling = SamplingSettings.parse(merged, where=f"settings for lane {name}").merged_over(lane.sampling)
    sampling.check_for_lane(lane.context_length)
    return sampling, options


def waiting_text(status: EngineStatus, waited_s: float) -> str:
    """'loading (12 s): vLLM is loading ... (10 s): <last log line>' for a lane dict's `status`."""
    text = f"loading ({waited_s:.0f} s)"
    detail = status.detail
    if status.log_tail and status.log_tail[-1].strip() and status.log_tail[-1].strip()[:40] not in detail:
        detail = f"{detail}: {status.log_tail[-1].strip()}" if detail else status.log_tail[-1].strip()
    return f"{text}: {detail}" if detail else text


def lane_state(engine: Engine) -> dict[str, str]:
    status = engine.status
    return {"state": status.state, "detail": status.detail, "engine": engine.name}
