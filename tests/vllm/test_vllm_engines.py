"""The supervisor and the openai_http engine against a real vLLM server (CPU, tiny model).

One server for the module: the three lanes of examples/configs/tiny-vllm-cpu.yaml
share it (same model). The last test stops it and checks that nothing is left.
"""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from seedui.config import load_config
from seedui.engines.base import GenerationRequest
from seedui.engines.engine_set import build_engines
from seedui.engines.servers.ports import port_is_free
from seedui.engines.servers.procgroup import group_members
from seedui.prompts import build_request
from seedui.sampling import SamplingSettings
from tests.conftest import LoopThread
from tests.vllm.conftest import CPU_CONFIG, START_TIMEOUT_S

pytestmark = pytest.mark.vllm

CFG = load_config(config_file=CPU_CONFIG, environ={})


@pytest.fixture(scope="module")
def stack():
    loop = LoopThread()
    engines = build_engines(CFG)
    states = []
    server = engines.engines["instruct"].server
    start = loop.run(_start_watching(engines, states), timeout=START_TIMEOUT_S)
    print(f"\nvLLM start-up (spawn to /health OK): {server.startup_s:.1f} s; engines.start(): {start:.1f} s")
    yield loop, engines, states
    loop.run(engines.close(), timeout=60)
    loop.stop()


async def _start_watching(engines, states: list) -> float:
    """Start the lanes while recording the states a page would have shown."""
    t0 = time.monotonic()
    task = asyncio.create_task(engines.start())
    while not task.done():
        states.append({name: e.status for name, e in engines.engines.items()})
        await asyncio.sleep(0.5)
    await task
    return time.monotonic() - t0


def request(lane: str, prompt: str = "Write a Python function that adds two numbers.", **sampling):
    s = SamplingSettings.parse(sampling).merged_over(CFG.lanes[lane].sampling)
    return build_request(CFG.lanes[lane], s, prompt=prompt)


async def _collect(engine, req: GenerationRequest):
    return [c async for c in engine.stream(req)]


def collect(stack, lane: str, req: GenerationRequest):
    loop, engines, _ = stack
    return loop.run(_collect(engines.engines[lane], req))


def text_of(chunks) -> str:
    return "".join(c.text for c in chunks)


def test_one_server_started_with_visible_progress_then_ready(stack):
    _, engines, states = stack
    servers = {e.server for e in engines.engines.values()}
    assert len(servers) == 1, "lanes naming the same model share one server"
    (server,) = servers
    starting = [s["instruct"] for s in states if s["instruct"].state == "starting"]
    assert starting, "the start-up state was never visible"
    assert any("vLLM is loading" in s.detail for s in starting)
    assert any(s.log_tail for s in starting), "the page had no log lines to show during start-up"
    assert all(e.status.state == "ready" for e in engines.engines.values())
    assert all(e.name == f"vLLM @ http://127.0.0.1:{server.port}" for e in engines.engines.values())


def test_all_three_lanes_stream_through_it_at_once(stack):
    loop, engines, _ = stack

    async def all_lanes():
        reqs = {
            "base": request("base", "def fibonacci(n):", max_tokens=24),
            "instruct": request("instruct", max_tokens=24),
            "reasoning": request("reasoning", max_tokens=24),
        }
        results = await asyncio.gather(*(_collect(engines.engines[n], r) for n, r in reqs.items()))
        return dict(zip(reqs, results, strict=True))

    results = loop.run(all_lanes())
    for name, chunks in results.items():
        assert len([c for c in chunks if c.text]) > 3, name
        assert chunks[-1].finish_reason in ("stop", "length"), name
        assert chunks[-1].completion_tokens and chunks[-1].completion_tokens <= 24, name


def test_same_seed_same_text_other_seed_other_text(stack):
    def run(seed):
        return text_of(collect(stack, "instruct", request("instruct", temperature=1.0, max_tokens=24, seed=seed)))

    a, b, c = run(11), run(11), run(12)
    assert a and a == b
    assert c != a


def test_max_tokens_is_obeyed(stack):
    chunks = collect(stack, "instruct", request("instruct", "Tell me a long story.", temperature=0.8, max_tokens=7))
    assert chunks[-1].finish_reason == "length"
    assert chunks[-1].completion_tokens == 7


def test_stop_strings_are_obeyed(stack):
    prompt = "1, 2, 3, 4, 5,"
    free = text_of(collect(stack, "base", request("base", prompt, temperature=0, max_tokens=30)))
    assert " 8" in free, free
    chunks = collect(stack, "base", request("base", prompt, temperature=0, max_tokens=30, stop=[" 8"]))
    assert text_of(chunks) == free[: free.index(" 8")]
    assert chunks[-1].finish_reason == "stop"


def test_usage_counts_match_the_tokens_streamed(stack):
    loop, engines, _ = stack
    engine = engines.engines["instruct"]
    req = request("instruct", temperature=0.9, max_tokens=40, seed=5)
    chunks = collect(stack, "instruct", req)
    counts = [c.completion_tokens for c in chunks if c.text]
    assert counts == sorted(counts) and counts[-1] <= chunks[-1].completion_tokens
    assert chunks[-1].prompt_tokens == loop.run(engine.count_prompt_tokens(req))
    # The same request straight to vLLM, asking for the ids of the tokens it streams.
    body = engine.request_kwargs(req)
    body.update(body.pop("extra_body", {}), return_token_ids=True)
    ids, text = [], ""
    with httpx.stream("POST", f"{engine.base_url}/chat/completions", json=body, timeout=60) as resp:
        for line in resp.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            for choice in json.loads(line[6:])["choices"]:
                ids += choice.get("token_ids") or []
                text += choice["delta"].get("content") or ""
    assert text == text_of(chunks)
    assert len(ids) == chunks[-1].completion_tokens


def test_closing_stops_the_server_and_leaves_no_process(stack):
    loop, engines, _ = stack
    server = engines.engines["instruct"].server
    pgid = server.group.pgid
    assert len(group_members(pgid)) >= 2  # the API server and vLLM's engine core
    loop.run(engines.close(), timeout=60)
    assert group_members(pgid) == []
    assert port_is_free(server.port)
    assert engines.engines["instruct"].status.state == "failed"
