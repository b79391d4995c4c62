"""Concurrency: N clients call /compare at the same moment, each as its own visitor (own connection and id).

Clients are browser-like queue clients in one event loop (bench/sse.py), so
that 32 of them do not compete with the server for the CPU the way 32
polling threads would. The server keeps its default limits (those of a
public Space): requests beyond the queue are refused with its queue-full
message, and are counted as such.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from tqdm import tqdm

from bench.server import RssSampler
from bench.sse import find_dependency, run_event
from bench.stream import median, percentile

PROMPT = "Write a Python function that checks whether a string is a palindrome."


async def _one(url: str, fn_index: int, who: str, tokens: int, start: asyncio.Event, bar: tqdm) -> dict[str, Any]:
    first: dict[str, float] = {}

    def on_outputs(t: float, values: list[Any]) -> None:
        lanes = values[0] if values and isinstance(values[0], dict) else {}
        if "t" not in first and any(isinstance(v, dict) and v.get("text") for v in lanes.values()):
            first["t"] = t

    async with httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(30, read=900)) as http:
        await start.wait()
        run = await run_event(
            http,
            fn_index,
            [PROMPT, {"max_tokens": tokens}, []],
            headers={"X-Forwarded-For": who},
            on_outputs=on_outputs,
        )
    bar.update()
    lanes = run.outputs[0] if run.outputs else {}
    lane_errors = [v["error"] for v in lanes.values() if v.get("error")]
    return {
        "rejected": run.rejected,
        "error": run.error or ("; ".join(lane_errors) if lane_errors else None),
        "ttft_s": first.get("t"),
        "end_s": run.ended_at,
        "tokens": sum((v.get("stats") or {}).get("completion_tokens") or 0 for v in lanes.values()),
    }


async def _batch(url: str, fn_index: int, n: int, tokens: int) -> tuple[list[dict[str, Any]], float]:
    start = asyncio.Event()
    with tqdm(total=n, desc=f"concurrency N={n}", unit="client", leave=False) as bar:
        tasks = [asyncio.create_task(_one(url, fn_index, f"bench-load-{n}-{i}", tokens, start, bar)) for i in range(n)]
        await asyncio.sleep(0.2)  # every client connected and waiting
        t0 = time.perf_counter()
        start.set()
        results = await asyncio.gather(*tasks)
    return results, time.perf_counter() - t0


def concurrency(url: str, server_pid: int, levels: list[int], tokens: int) -> dict[str, Any]:
    config = httpx.get(url + "config", timeout=30).json()
    fn_index = find_dependency(config, "compare")["id"]
    rows = []
    for n in tqdm(levels, desc="concurrency", unit="level"):
        sampler = RssSampler(server_pid)
        rss_before = sampler.rss()
        with sampler:
            results, wall = asyncio.run(_batch(url, fn_index, n, tokens))
        done = [r for r in results if not r["rejected"] and not r["error"]]
        rejected = [r for r in results if r["rejected"]]
        errors = [r for r in results if not r["rejected"] and r["error"]]
        ttfts = [r["ttft_s"] for r in done if r["ttft_s"] is not None]
        total_tokens = sum(r["tokens"] for r in done)
        rows.append(
            {
                "clients": n,
                "completed": len(done),
                "rejected": len(rejected),
                "rejection_message": rejected[0]["rejected"] if rejected else None,
                "errors": len(errors),
                "error_sample": errors[0]["error"] if errors else None,
                "ttft_p50_s": round(median(ttfts), 3) if ttfts else None,
                "ttft_p95_s": round(percentile(ttfts, 0.95), 3) if ttfts else None,
                "aggregate_tokens_per_s": round(total_tokens / wall, 2),
                "tokens": total_tokens,
                "wall_s": round(wall, 1),
                "server_rss_before_mib": round(rss_before / 2**20),
                "server_peak_rss_mib": round(sampler.peak / 2**20),
            }
        )
    return {
        "definition": f"N simultaneous /compare clients (3 lanes, max_tokens {tokens} each), default limits "
        "(concurrency 4 events, queue 32); time to first token = join -> first update with any lane's text",
        "max_tokens_per_lane": tokens,
        "levels": rows,
    }
