"""One in-process engine candidate of bench/engines.py, in a process of its own (for its own RSS, its own venv).

    python bench/engine_worker.py llama-cpp-python --model FILE.gguf     (in a venv with llama-cpp-python)
    python bench/engine_worker.py transformers                           (in .venv: SeedUI's transformers engine)

Reads nothing else; prints one JSON object: single-stream runs, then N concurrent requests for each
level (threads or tasks calling the same loaded model, as a web server's requests would), the process's
RSS, and the load time. Only the standard library at the top: each candidate imports its own package.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def timed(tokens_iter: Any) -> dict[str, Any]:
    """Consume an iterator of token counts (running totals); first/last token times from the call."""
    t0 = time.perf_counter()
    first = last = None
    tokens = at_first = 0
    for count in tokens_iter:
        now = time.perf_counter()
        if count > tokens:
            tokens, last = count, now
            if first is None:
                first, at_first = now, count
    assert first is not None and last is not None, "no tokens"
    return {"start": t0, "ttft_s": first - t0, "total_s": last - t0, "tokens": tokens, "tokens_at_first": at_first}


# --- llama-cpp-python: one Llama; one sequence at a time (a lock, as its own server takes) ----------------


def llama_cpp_python(model: str, threads: int) -> tuple[Any, float]:
    from llama_cpp import Llama

    t0 = time.perf_counter()
    llm = Llama(model_path=model, n_ctx=2048, n_threads=threads, n_threads_batch=threads, verbose=False)
    lock = threading.Lock()

    def run(prompt: str, max_tokens: int) -> dict[str, Any]:
        with lock:
            stream = llm.create_completion(prompt, max_tokens=max_tokens, temperature=0.0, stream=True)
            return timed(i + 1 for i, _ in enumerate(stream))

    return run, time.perf_counter() - t0


# --- transformers: SeedUI's own engine (today's CPU default) ------------------------------------------------


def transformers_engine(model: str, threads: int) -> tuple[Any, float]:
    from seedui.config import LaneConfig
    from seedui.engines.base import GenerationRequest
    from seedui.engines.transformers_local import ModelPool, TransformersEngine
    from seedui.paths import DEFAULT_CACHE_DIR
    from seedui.sampling import SamplingSettings

    lane = LaneConfig(role="base", display_name="bench", model=model, engine="transformers", context_length=2048)
    engine = TransformersEngine(lane, ModelPool(DEFAULT_CACHE_DIR))
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    t0 = time.perf_counter()
    asyncio.run_coroutine_threadsafe(engine.start(), loop).result()
    if engine.status.state != "ready":
        raise RuntimeError(engine.status.detail)

    def run(prompt: str, max_tokens: int) -> dict[str, Any]:
        request = GenerationRequest(SamplingSettings(temperature=0, max_tokens=max_tokens), prompt=prompt)

        async def counts() -> list[tuple[float, int]]:
            marks = [(time.perf_counter(), 0)]
            async for chunk in engine.stream(request):
                if chunk.completion_tokens:
                    marks.append((time.perf_counter(), chunk.completion_tokens))
            return marks

        t_start = time.perf_counter()
        marks = asyncio.run_coroutine_threadsafe(counts(), loop).result()
        first = next(m for m in marks if m[1] > 0)
        return {"start": t_start, "ttft_s": first[0] - t_start, "total_s": marks[-1][0] - t_start,
                "tokens": marks[-1][1], "tokens_at_first": first[1]}  # fmt: skip

    return run, time.perf_counter() - t0


CANDIDATES = {"llama-cpp-python": llama_cpp_python, "transformers": transformers_engine}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("engine", choices=sorted(CANDIDATES))
    p.add_argument("--model", required=True, help="a GGUF file (llama-cpp-python) or a model id (transformers)")
    p.add_argument("--prompts", required=True, help="JSON list of prompts: one per request, warm-up first")
    p.add_argument("--tokens", type=int, default=128)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--levels", default="1,4,8")
    p.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    args = p.parse_args()
    prompts = iter(json.loads(args.prompts))
    run, load_s = CANDIDATES[args.engine](args.model, args.threads)
    run(next(prompts), 8)  # warm-up
    single = [run(next(prompts), args.tokens) for _ in range(args.reps)]
    concurrent: dict[str, Any] = {}
    for n in (int(x) for x in args.levels.split(",")):
        batch = [next(prompts) for _ in range(n)]
        t0 = time.perf_counter()
        with ThreadPoolExecutor(n) as pool:
            runs = list(pool.map(lambda prompt: run(prompt, args.tokens), batch))
        concurrent[str(n)] = {"wall_s": time.perf_counter() - t0, "runs": runs, "t0": t0}
    print(json.dumps({"load_s": load_s, "single": single, "concurrent": concurrent, "rss_bytes": rss_bytes()}))


if __name__ == "__main__":
    main()
