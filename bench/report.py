"""Results JSON -> the README's Performance section and docs/performance.md (markdown).

python -m bench.report                      # bench/latest.json + bench/engines.json -> docs/performance.md
python -m bench.report results.json         # that file instead of bench/latest.json
python -m bench.report results.json -       # print instead of writing
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bench.machine import summary

ROOT = Path(__file__).resolve().parent.parent
LATEST = ROOT / "bench" / "latest.json"
ENGINES = ROOT / "bench" / "engines.json"  # bench/engines.py: the CPU engines compared
DOC = ROOT / "docs" / "performance.md"


def _mark(ok: bool | None) -> str:
    return "—" if ok is None else ("pass" if ok else "**fail**")


def _range(pair: list[float] | None) -> str:
    return f"{pair[0]:.2f}–{pair[1]:.2f}" if pair else "—"


def _pair_range(s: dict[str, Any]) -> list[float] | None:
    """Per-pair client/engine decode ratios (for results written before `ratio_range` was recorded)."""
    ratios = [
        p["client"]["decode_tps"] / p["engine"]["decode_tps"]
        for p in s.get("pairs", [])
        if p["client"].get("decode_tps") and p["engine"].get("decode_tps")
    ]
    return [min(ratios), max(ratios)] if ratios else None


def _noise(s: dict[str, Any]) -> str:
    """Flag a run whose engine alone sped up or slowed down by more than a quarter between pairs (other load)."""
    rates = [p["engine"]["decode_tps"] for p in s.get("pairs", []) if p["engine"].get("decode_tps")]
    if len(rates) > 1 and (max(rates) - min(rates)) / max(rates) > 0.25:
        return f" (noisy: the engine alone ran at {min(rates):.1f}–{max(rates):.1f} tokens/s across pairs)"
    return ""


def _fmt(value: Any, unit: str = "", digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        value = f"{value:.{digits}f}"
    return f"{value}{unit}"


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    f = results["figures"]
    lines = [
        "## Performance",
        "",
        f"Measured {m['date']} on {summary(m)}; commit `{m.get('commit')}`, profile `tiny` "
        f"(SmolLM2-135M on {results.get('engine', 'transformers')}, weights shared by the three lanes), "
        "default limits.",
        f"Load average at start {m['load_average_at_start']}, at end {results.get('load_average_at_end')}: "
        "the machine was shared, so absolute times are noisy; each ratio compares measurements from the same run.",
        "",
        "| Figure | Measured | Goal | Result |",
        "| --- | --- | --- | --- |",
    ]
    if "stream_efficiency" in f:
        s = f["stream_efficiency"]
        lines.append(
            f"| Stream efficiency: tokens/s received by a `gradio_client` consumer of `/generate` ÷ tokens/s of "
            f"the engine called directly (decode rate as the UI's stats define it; {s['tokens_requested']} tokens, "
            f"median of {len(s['pairs'])} pairs, which ranged {_range(s.get('ratio_range') or _pair_range(s))}; "
            f"end to end, "
            f"first-token wait included: "
            f"{_fmt(s.get('ratio_end_to_end'), digits=3)}) "
            f"| {_fmt(s['ratio'], digits=3)} | ≥ 0.97 | {_mark(s['pass'])}{_noise(s)} |"
        )
    if "added_latency" in f:
        a = f["added_latency"]
        g = a.get("gradio_client") or {}
        lines.append(
            f"| Added latency: client time to first token − engine time to first token, per request "
            f"(median / p95 of {a['requests']}; the page's protocol. With `gradio_client`: "
            f"{_fmt(g.get('median_ms'), ' ms', 1)} / {_fmt(g.get('p95_ms'), ' ms', 1)}, its reader polls every 50 ms) "
            f"| {_fmt(a['median_ms'], ' ms', 1)} / {_fmt(a['p95_ms'], ' ms', 1)} "
            f"| median < 25 ms | {_mark(a['pass'])} |"
        )
    if "wire_cost" in f:
        w = f["wire_cost"]
        s, g = w["short"], w["long"]
        lines.append(
            f"| Wire cost: bytes sent to the browser for a {g['max_tokens']:,}-token answer ÷ a "
            f"{s['max_tokens']:,}-token one (got {g['tokens']:,} and {s['tokens']:,} tokens: "
            f"{g['wire_bytes']:,} and {s['wire_bytes']:,} bytes; per-token normalised) "
            f"| {_fmt(w['ratio'])} | ≤ 10 | {_mark(w['pass'])} |"
        )
    if "startup" in f:
        st = f["startup"]
        lines.append(
            f"| Start-up: process start → HTTP 200 / lanes ready / first token (model cache {st['model_cache']}) "
            f"| {_fmt(st['http_200_s'], ' s', 1)} / {_fmt(st['lanes_ready_s'], ' s', 1)} / "
            f"{_fmt(st['first_token_s'], ' s', 1)} | — | — |"
        )
    if "concurrency" in f:
        c = f["concurrency"]
        lines += [
            "",
            f"Concurrency: N simultaneous `/compare` clients, three lanes, max_tokens {c['max_tokens_per_lane']} "
            "each, default limits (4 generation events at once, 32 waiting).",
            "",
            "| Clients | Completed | Rejected (queue full) | Errors | TTFT p50 | TTFT p95 | Aggregate tokens/s "
            "| Server peak RSS |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for row in c["levels"]:
            lines.append(
                f"| {row['clients']} | {row['completed']} | {row['rejected']} | {row['errors']} "
                f"| {_fmt(row['ttft_p50_s'], ' s')} | {_fmt(row['ttft_p95_s'], ' s')} "
                f"| {_fmt(row['aggregate_tokens_per_s'], digits=1)} | {row['server_peak_rss_mib']:,} MiB |"
            )
        rejections = {r["rejection_message"] for r in c["levels"] if r["rejection_message"]}
        if rejections:
            lines += ["", "Rejected clients were told: " + "; ".join(f"“{r}”" for r in sorted(rejections))]
    lines += [
        "",
        "Reproduce (about 10–15 minutes on 2 CPU cores; progress bars on stderr):",
        "",
        "```bash",
        ".venv/bin/python -m bench.run          # all figures; writes bench/results/<time>.json and bench/latest.json",
        ".venv/bin/python -m bench.report       # bench/latest.json -> this table (docs/performance.md)",
        "```",
        "",
        "Definitions, options and the method behind each figure: `bench/README.md`.",
        "",
    ]
    return "\n".join(lines)


def write_doc(latest: Path = LATEST) -> str:
    """docs/performance.md from `latest` (bench/run.py's results) and the CPU engines' bench; returns the text."""
    parts = []
    if latest.exists():
        parts.append(markdown(json.loads(latest.read_text())))
    if ENGINES.exists():
        from bench.engines_report import engines_markdown

        parts.append(engines_markdown(json.loads(ENGINES.read_text())))
    text = "\n\n".join(parts)
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text)
    return text


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) > 1 and argv[1] == "-":
        print(markdown(json.loads(Path(argv[0]).read_text())))
    else:
        write_doc(Path(argv[0]) if argv else LATEST)
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
