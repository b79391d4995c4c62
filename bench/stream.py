"""Stream efficiency and added latency: what a `gradio_client` consumer of /generate gets vs. the engine itself.

Both sides run the same request (greedy, same prompt, same lane settings as
the server builds them) on the same machine, alternating, so that load
drifts hit both alike. The engine is called directly in this process; the
server is `app.py` in its own process. Each figure is a ratio or difference
of measurements taken in this one run.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any

import httpx
from tqdm import tqdm

from bench.sse import find_dependency, run_event

LANE = "base"
PROMPT = "# Utility functions for working with lists of numbers\n\n\ndef mean(values):\n"
LATENCY_PROMPT = "def add(a, b):\n"


@dataclass
class Timing:
    """One streamed answer. Times in seconds from the request; rates in tokens per second."""

    ttft_s: float
    total_s: float  # request -> last token received
    tokens: int
    tokens_at_first: int

    @property
    def e2e_tps(self) -> float:
        return self.tokens / self.total_s

    @property
    def decode_tps(self) -> float | None:
        span = self.total_s - self.ttft_s
        return (self.tokens - self.tokens_at_first) / span if span > 0 else None


class DirectEngine:
    """The lane's engine in this process, fed exactly the request the server would build."""

    def __init__(self) -> None:
        from seedui.config import load_config
        from seedui.engines.engine_set import build_engines
        from seedui.service import LaneService

        self.config = load_config(profile="tiny", environ={})
        self.engines = build_engines(self.config)
        self.playground = LaneService(self.config, self.engines)
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(self.engines.start())
        state = self.engines.engines[LANE].status
        if state.state != "ready":
            raise RuntimeError(f"engine did not start: {state.detail}")

    def request(self, prompt: str, settings: dict[str, Any]) -> Any:
        from seedui.prompts import build_request

        sampling, prompt_options = self.playground.lane_settings(settings, LANE)
        return build_request(self.config.lanes[LANE], sampling, **prompt_options, prompt=prompt)

    def run(self, prompt: str, settings: dict[str, Any]) -> Timing:
        return self.loop.run_until_complete(self._run(self.request(prompt, settings)))

    async def _run(self, request: Any) -> Timing:
        engine = self.engines.engines[LANE]
        t0 = time.perf_counter()
        first = last = None
        tokens = at_first = 0
        async for chunk in engine.stream(request):
            now = time.perf_counter()
            if chunk.completion_tokens is not None and chunk.completion_tokens > tokens:
                tokens = chunk.completion_tokens
                last = now
            if chunk.text and first is None:
                first, at_first = now, tokens
        assert first is not None and last is not None, "the engine produced no text"
        return Timing(first - t0, last - t0, tokens, at_first)

    def close(self) -> None:
        self.loop.run_until_complete(self.engines.close())
        self.loop.close()


def client_for(url: str) -> Any:
    """A gradio_client with its own client id (the rate limit is per client, as on a Space)."""
    from gradio_client import Client

    return Client(url, verbose=False, headers={"X-Forwarded-For": f"bench-{uuid.uuid4().hex[:8]}"})


def client_run(client: Any, prompt: str, settings: dict[str, Any]) -> tuple[Timing, float | None]:
    """(what the consumer saw, the engine's own time to first token as the server measured it)."""
    t0 = time.perf_counter()
    job = client.submit(LANE, prompt, settings, api_name="/generate")
    first = last = None
    tokens = at_first = 0
    final: dict[str, Any] = {}
    for out in job:  # the ordinary consumer loop
        now = time.perf_counter()
        final = out
        count = out["stats"]["completion_tokens"] or 0
        if count > tokens:
            tokens, last = count, now
        if out["text"] and first is None:
            first, at_first = now, count
    if final.get("error"):
        raise RuntimeError(f"/generate failed: {final['error']}")
    assert first is not None and last is not None, "no text received"
    return Timing(first - t0, last - t0, tokens, at_first), final["stats"]["ttft_s"]


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def page_client_run(url: str, fn_index: int, prompt: str, settings: dict[str, Any]) -> tuple[Timing, float | None]:
    """The same request through a browser-like queue client (bench/sse.py), as the page's JavaScript makes it."""

    async def go() -> tuple[Timing, float | None]:
        seen: dict[str, Any] = {"first": None, "last": None, "tokens": 0, "at_first": 0}

        def on_outputs(t: float, values: list[Any]) -> None:
            lane = values[0] if values else {}
            count = (lane.get("stats") or {}).get("completion_tokens") or 0
            if count > seen["tokens"]:
                seen["tokens"], seen["last"] = count, t
            if lane.get("text") and seen["first"] is None:
                seen["first"], seen["at_first"] = t, count

        async with httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(30, read=600)) as http:
            run = await run_event(
                http,
                fn_index,
                [LANE, prompt, settings],
                headers={"X-Forwarded-For": f"bench-page-{uuid.uuid4().hex[:8]}"},
                on_outputs=on_outputs,
            )
        if run.rejected or run.error or not run.outputs:
            raise RuntimeError(f"/generate failed: {run.rejected or run.error}")
        assert seen["first"] is not None and seen["last"] is not None, "no text received"
        timing = Timing(seen["first"], seen["last"], seen["tokens"], seen["at_first"])
        return timing, run.outputs[0]["stats"]["ttft_s"]

    return asyncio.run(go())


def _timing_dict(t: Timing) -> dict[str, Any]:
    return {
        **{k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(t).items()},
        "decode_tps": round(t.decode_tps, 2) if t.decode_tps else None,
        "e2e_tps": round(t.e2e_tps, 2),
    }


def stream_efficiency(url: str, tokens: int, reps: int, engine: DirectEngine) -> dict[str, Any]:
    settings = {"max_tokens": tokens, "temperature": 0}
    client = client_for(url)
    client_run(client, PROMPT, {"max_tokens": 4, "temperature": 0})  # warm both sides up
    engine.run(PROMPT, {"max_tokens": 4, "temperature": 0})
    pairs = []
    for _ in tqdm(range(reps), desc=f"stream efficiency ({tokens} tokens x {reps} pairs)", unit="pair"):
        direct = engine.run(PROMPT, settings)
        via_client, _ = client_run(client, PROMPT, settings)
        pairs.append((direct, via_client))
    decode = [c.decode_tps / d.decode_tps for d, c in pairs if c.decode_tps and d.decode_tps]
    e2e = [c.e2e_tps / d.e2e_tps for d, c in pairs]
    ratio = median(decode)
    return {
        "goal": ">= 0.97",
        "ratio": round(ratio, 4) if ratio is not None else None,
        "pass": ratio is not None and ratio >= 0.97,
        "ratio_range": [round(min(decode), 3), round(max(decode), 3)] if decode else None,
        "ratio_end_to_end": round(median(e2e), 4),
        "definition": "tokens/s as SeedUI's stats define it (tokens after the first / time after the first) seen "
        "by a gradio_client consumer of /generate (`for update in job`), over the same for the engine called "
        "in-process; median of alternating pairs. ratio_end_to_end uses tokens / (request -> last token) instead, "
        "so it also pays the time to first token (see added_latency)",
        "tokens_requested": tokens,
        "pairs": [{"engine": _timing_dict(d), "client": _timing_dict(c)} for d, c in pairs],
    }


def added_latency(url: str, requests: int, engine: DirectEngine) -> dict[str, Any]:
    """Client time to first token minus the engine's, per request (the server reports the engine's own TTFT).

    Measured for two clients, alternating: the page's own protocol (a browser-like queue client) and
    gradio_client. gradio_client's reader thread polls for new messages every 50 ms, which adds ~25 ms
    on average by itself; that is the client's, not the server's.
    """
    settings = {"max_tokens": 4, "temperature": 0}
    config = httpx.get(url + "config", timeout=30).json()
    fn_index = find_dependency(config, "generate")["id"]
    client = client_for(url)
    client_run(client, LATENCY_PROMPT, settings)
    page_client_run(url, fn_index, LATENCY_PROMPT, settings)
    samples: dict[str, dict[str, list[float]]] = {
        "page": {"added": [], "client": [], "engine": []},
        "gradio_client": {"added": [], "client": [], "engine": []},
    }
    for _ in tqdm(range(requests), desc="added latency", unit="req pair"):
        for kind in samples:
            if kind == "page":
                timing, server_ttft = page_client_run(url, fn_index, LATENCY_PROMPT, settings)
            else:
                timing, server_ttft = client_run(client, LATENCY_PROMPT, settings)
            if server_ttft is None:
                continue
            samples[kind]["client"].append(timing.ttft_s)
            samples[kind]["engine"].append(server_ttft)
            samples[kind]["added"].append(timing.ttft_s - server_ttft)
    direct = [engine.run(LATENCY_PROMPT, settings).ttft_s for _ in range(5)]

    def ms(x: float | None) -> float | None:
        return round(x * 1000, 1) if x is not None else None

    def summary(s: dict[str, list[float]]) -> dict[str, Any]:
        return {
            "median_ms": ms(median(s["added"])),
            "p95_ms": ms(percentile(s["added"], 0.95)),
            "client_ttft_median_ms": ms(median(s["client"])),
            "server_engine_ttft_median_ms": ms(median(s["engine"])),
            "added_ms": [ms(x) for x in s["added"]],
        }

    page = summary(samples["page"])
    return {
        "goal": "median < 25 ms",
        "median_ms": page["median_ms"],
        "p95_ms": page["p95_ms"],
        "pass": page["median_ms"] is not None and page["median_ms"] < 25,
        "definition": "per request: the client's time to first token (request -> first update carrying text) "
        "minus the engine's time to first token that the server measured for that same request. Headline: the "
        "page's own protocol (browser-like queue client); gradio_client measured alongside",
        "requests": len(samples["page"]["added"]),
        "page_client": page,
        "gradio_client": summary(samples["gradio_client"]),
        "direct_engine_ttft_median_ms": ms(median(direct)),
    }
