"""One command for every figure: python -m bench.run  (or: python bench/run.py)

Starts `app.py --profile tiny` in its own process (that start is the
start-up figure), then measures stream efficiency, added latency, wire cost
and concurrency against it, prints the figures with their goals, and writes
them to bench/results/<time>.json, bench/latest.json and docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python bench/run.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import machine
from bench.report import DOC, LATEST, markdown, write_doc
from bench.server import ROOT, AppProcess

RESULTS = ROOT / "bench" / "results"
FIGURES = ("startup", "stream", "latency", "wire", "load")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--only", help=f"comma-separated subset of {','.join(FIGURES)} (start-up is always measured)")
    p.add_argument("--stream-tokens", type=int, default=128, help="answer length for stream efficiency (128)")
    p.add_argument("--stream-pairs", type=int, default=5, help="engine/client pairs for stream efficiency (5)")
    p.add_argument("--latency-requests", type=int, default=20, help="requests for added latency (20)")
    p.add_argument("--wire-short", type=int, default=256, help="short answer for wire cost (256 tokens)")
    p.add_argument("--wire-long", type=int, default=2048, help="long answer for wire cost (2048 tokens)")
    p.add_argument("--loads", default="1,8,32", help="numbers of simultaneous /compare clients (1,8,32)")
    p.add_argument("--load-tokens", type=int, default=16, help="max_tokens per lane in the concurrency runs (16)")
    p.add_argument("--no-latest", action="store_true", help="write only bench/results/, not latest.json nor docs")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    chosen = set(FIGURES) if not args.only else {x.strip() for x in args.only.split(",")} | {"startup"}
    unknown = chosen - set(FIGURES)
    if unknown:
        print(f"unknown figure(s): {', '.join(sorted(unknown))}; choose from {', '.join(FIGURES)}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING)
    warnings.filterwarnings("ignore", category=UserWarning)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

    results: dict[str, Any] = {"machine": machine.describe(ROOT), "figures": {}, "options": vars(args)}
    print(f"machine: {machine.summary(results['machine'])}", file=sys.stderr)
    print(f"load average: {results['machine']['load_average_at_start']}", file=sys.stderr)
    started = time.perf_counter()
    figures = results["figures"]

    from bench.startup import startup

    with tempfile.TemporaryDirectory(prefix="seedui-bench-") as tmp:
        app = AppProcess(Path(tmp))
        app.start()
        try:
            figures["startup"] = startup(app)
            _show("start-up", figures["startup"])
            results["engine"] = app.lanes()["base"]["engine"].split(" @ ")[0]  # "llama.cpp", "transformers (cpu)"
            engine = None
            if chosen & {"stream", "latency"}:
                from bench.stream import DirectEngine, added_latency, stream_efficiency

                engine = DirectEngine()
                if "stream" in chosen:
                    figures["stream_efficiency"] = stream_efficiency(
                        app.url, args.stream_tokens, args.stream_pairs, engine
                    )
                    _show("stream efficiency", figures["stream_efficiency"])
                if "latency" in chosen:
                    figures["added_latency"] = added_latency(app.url, args.latency_requests, engine)
                    _show("added latency", figures["added_latency"])
                engine.close()
            if "wire" in chosen:
                from bench.wire import wire_cost

                figures["wire_cost"] = wire_cost(app.url, args.wire_short, args.wire_long)
                _show("wire cost", figures["wire_cost"])
            if "load" in chosen:
                from bench.load import concurrency

                levels = [int(x) for x in args.loads.split(",") if x.strip()]
                figures["concurrency"] = concurrency(app.url, app.pid, levels, args.load_tokens)
                _show("concurrency", figures["concurrency"])
        finally:
            app.stop()

    results["load_average_at_end"] = machine.load()
    results["duration_s"] = round(time.perf_counter() - started, 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    text = json.dumps(results, indent=2)
    out.write_text(text)
    written = [out]
    if not args.no_latest:
        LATEST.write_text(text)
        write_doc()
        written += [LATEST, DOC]
    print()
    print(markdown(results))
    print(f"took {results['duration_s'] / 60:.1f} min; wrote " + ", ".join(str(p.relative_to(ROOT)) for p in written))
    return 0


def _show(name: str, figure: dict[str, Any]) -> None:
    """A short line per figure as soon as it is measured."""
    keys = ("ratio", "median_ms", "p95_ms", "pass", "http_200_s", "lanes_ready_s", "first_token_s")
    brief = {k: figure[k] for k in keys if k in figure}
    if "levels" in figure:
        brief = {
            f"N={r['clients']}": f"{r['completed']} ok/{r['rejected']} rejected/{r['errors']} errors, "
            f"TTFT p50 {r['ttft_p50_s']} s, {r['aggregate_tokens_per_s']} tok/s, peak {r['server_peak_rss_mib']} MiB"
            for r in figure["levels"]
        }
    print(f"{name}: {json.dumps(brief, ensure_ascii=False)}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
