"""One lane alone vs the three tiny lanes at once, on the engines directly.

Prints decode tokens/s of one lane, of each lane when all three run together,
the aggregate, the wall time of the three together against the sum of three
single runs (concurrency: well below 1.0 means the lanes overlap), and the
process RSS (the three lanes share one copy of the weights).

    .venv/bin/python -m bench.lanes [--tokens 96]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

import psutil

from bench.machine import describe
from seedui.config import load_config
from seedui.engines.engine_set import build_engines
from seedui.prompts import build_request
from seedui.sampling import SamplingSettings

ROOT = Path(__file__).resolve().parent.parent
PROMPTS = {  # by prompt style: the Base lane continues code, the chat lanes answer a question
    "completion": 'class HashMap:\n    """A hash map with open addressing."""\n\n    def __init__(self',
    "chat": "Write a long, detailed explanation of how a hash map works, with Python code.",
}


async def one_lane(engines: Any, config: Any, name: str, tokens: int) -> dict[str, float]:
    lane = config.lanes[name]
    # Greedy with a stop-free prompt: every run decodes (up to) the same number of tokens.
    sampling = SamplingSettings.parse({"max_tokens": tokens, "temperature": 0}).merged_over(lane.sampling)
    request = build_request(lane, sampling, prompt=PROMPTS["chat" if lane.chats else "completion"])
    start = time.perf_counter()
    first = last = None
    count = 0
    async for chunk in engines.engines[name].stream(request):
        if chunk.text:
            first = first or time.perf_counter()
            last = time.perf_counter()
        count = chunk.completion_tokens or count
    decode = (count - 1) / (last - first) if first and last and last > first else 0.0
    return {"tokens": count, "decode_tok_s": round(decode, 2), "wall_s": round(time.perf_counter() - start, 3)}


async def measure(tokens: int) -> dict[str, Any]:
    config = load_config(profile="tiny", environ={})
    engines = build_engines(config)
    await engines.start()
    names = list(config.lanes)
    await one_lane(engines, config, names[0], 8)  # warm-up: first-call costs out of the figures
    singles = {name: await one_lane(engines, config, name, tokens) for name in names}
    start = time.perf_counter()
    runs = await asyncio.gather(*(one_lane(engines, config, n, tokens) for n in names))
    together = dict(zip(names, runs, strict=True))
    wall = time.perf_counter() - start
    sum_single = sum(r["wall_s"] for r in singles.values())
    return {
        "tokens_per_lane": tokens,
        "single": singles,
        "together": together,
        "single_decode_tok_s_median": sorted(r["decode_tok_s"] for r in singles.values())[1],
        "together_aggregate_tok_s": round(sum(r["tokens"] for r in together.values()) / wall, 2),
        "together_wall_over_sum_of_singles": round(wall / sum_single, 3),
        "rss_mb": round(psutil.Process().memory_info().rss / 2**20, 1),
        "distinct_weight_copies": len({id(e._loaded.model) for e in engines.engines.values()}),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=96, help="tokens per lane (default 96)")
    args = parser.parse_args(argv)
    result = {"machine": describe(ROOT), "lanes": asyncio.run(measure(args.tokens))}
    print(json.dumps(result["lanes"], indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "lanes.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
