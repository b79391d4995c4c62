"""The transformers engine on the real tiny model (CPU)."""

from __future__ import annotations

import asyncio
import time

import pytest

from seedui.config import Overrides, load_config
from seedui.engines.engine_set import build_engines
from seedui.prompts import build_request
from seedui.sampling import SamplingSettings
from tests.conftest import ON_TRANSFORMERS, close_after_text, generations_end, run_async

CFG = load_config(profile="tiny", cli=Overrides(dict(ON_TRANSFORMERS)), environ={})


@pytest.fixture(scope="module")
def engines():
    es = build_engines(CFG)
    run_async(es.start())
    return es


def collect(engine, request):
    async def go():
        chunks = [c async for c in engine.stream(request)]
        return chunks

    return run_async(go())


def request(lane="instruct", prompt="Write a Python function that reverses a string.", **sampling):
    s = SamplingSettings.parse(sampling).merged_over(CFG.lanes[lane].sampling)
    return build_request(CFG.lanes[lane], s, prompt=prompt)


def text_of(chunks):
    return "".join(c.text for c in chunks)


def test_lanes_share_one_copy_of_the_weights(engines):
    models = {id(e._loaded.model) for e in engines.engines.values()}
    assert len(models) == 1
    assert all(e.status.state == "ready" for e in engines.engines.values())


def test_streams_many_chunks_with_counts_and_length_finish(engines):
    chunks = collect(engines.engines["instruct"], request(max_tokens=24, temperature=0))
    assert chunks[0].prompt_tokens and chunks[0].prompt_tokens > 5
    assert len([c for c in chunks if c.text]) > 3
    assert chunks[-1].completion_tokens == 24 and chunks[-1].finish_reason == "length"


def test_same_seed_same_text_other_seed_other_text(engines):
    eng = engines.engines["instruct"]
    a = text_of(collect(eng, request(max_tokens=24, temperature=1.0, seed=11)))
    b = text_of(collect(eng, request(max_tokens=24, temperature=1.0, seed=11)))
    c = text_of(collect(eng, request(max_tokens=24, temperature=1.0, seed=12)))
    assert a == b and a != c


def test_stop_string_cuts_the_text_and_ends_generation(engines):
    eng = engines.engines["instruct"]
    full = text_of(collect(eng, request(max_tokens=40, temperature=0)))
    stop = full[10:14]
    assert stop.strip(), full
    chunks = collect(eng, request(max_tokens=40, temperature=0, stop=[stop]))
    assert text_of(chunks) == full[: full.index(stop)]
    assert chunks[-1].finish_reason == "stop" and chunks[-1].completion_tokens < 40


def test_generate_receives_the_exact_kwargs(engines, monkeypatch):
    eng = engines.engines["instruct"]
    seen = {}
    real = eng._loaded.model.generate

    def spy(**kwargs):
        seen.update(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(eng._loaded.model, "generate", spy)
    collect(eng, request(max_tokens=4, temperature=0.7, top_p=0.9, top_k=5, min_p=0.1, repetition_penalty=1.1))
    picked = {k: seen[k] for k in ("max_new_tokens", "do_sample", "temperature", "top_p", "top_k", "min_p",
                                   "repetition_penalty")}  # fmt: skip
    assert picked == {"max_new_tokens": 4, "do_sample": True, "temperature": 0.7, "top_p": 0.9, "top_k": 5,
                      "min_p": 0.1, "repetition_penalty": 1.1}  # fmt: skip


def test_closing_the_stream_stops_generation_promptly(engines):
    close_after_text(engines.engines["instruct"], request(max_tokens=400, temperature=0))
    assert generations_end(timeout=5)


def test_three_lanes_stream_concurrently(engines):
    async def one(name):
        lane = CFG.lanes[name]
        s = SamplingSettings.parse({"max_tokens": 12, "temperature": 0}).merged_over(lane.sampling)
        first = None
        async for c in engines.engines[name].stream(build_request(lane, s, prompt="Say hi")):
            if c.text and first is None:
                first = time.perf_counter()
        return first, time.perf_counter()

    async def all_three():
        return await asyncio.gather(*(one(n) for n in ("base", "instruct", "reasoning")))

    spans = run_async(all_three())
    # Every lane produced its first token before any lane finished: they ran at the same time.
    assert max(first for first, _ in spans) < min(end for _, end in spans)


# --- the Reasoning lane keeps <think> when it is a special token ---------------------------------------------


@pytest.fixture(scope="module")
def think_tokenizer(tmp_path_factory):
    """The tiny model's tokenizer with <think> and </think> added as SPECIAL tokens (as a reasoning model may have)."""
    from transformers import AutoTokenizer

    from seedui.weights import resolve_weights

    tok = AutoTokenizer.from_pretrained(resolve_weights(CFG.lanes["reasoning"].model, CFG.cache_dir))
    tok.add_special_tokens({"additional_special_tokens": ["<think>", "</think>"]})
    folder = tmp_path_factory.mktemp("think-tokenizer")
    tok.save_pretrained(folder)
    return AutoTokenizer.from_pretrained(folder)


def stream_decode(decoder, ids):
    """Feed ids one at a time, as generate() streams them."""
    return "".join(decoder.add([i]) for i in ids) + decoder.add([], final=True)


def test_the_reasoning_decoder_keeps_special_think_tags_and_drops_end_of_text(think_tokenizer):
    from seedui.engines.transformers_local import IncrementalDecoder
    from seedui.streaming import ThinkSplitter

    tok = think_tokenizer
    think, end_think = tok.convert_tokens_to_ids(["<think>", "</think>"])
    assert {think, end_think} <= set(tok.all_special_ids)
    ids = [think, *tok.encode("plan: reverse it", add_special_tokens=False), end_think]
    ids += tok.encode("def rev(s): return s[::-1]", add_special_tokens=False) + [tok.eos_token_id]
    # What every lane did before: special tokens skipped, so the thinking reads as the answer.
    assert stream_decode(IncrementalDecoder(tok), ids) == "plan: reverse itdef rev(s): return s[::-1]"

    text = stream_decode(IncrementalDecoder(tok, keep_special=True, drop_ids=[tok.pad_token_id]), ids)
    assert text == "<think>plan: reverse it</think>def rev(s): return s[::-1]"  # no eos text
    splitter = ThinkSplitter(*CFG.lanes["reasoning"].think_tags)
    reasoning, answer = splitter.feed(text)
    more_reasoning, more_answer = splitter.flush()
    assert (reasoning + more_reasoning, answer + more_answer) == ("plan: reverse it", "def rev(s): return s[::-1]")


def test_lanes_decode_per_role_reasoning_keeps_think_others_drop_eos(engines, think_tokenizer, monkeypatch):
    """Through the engines' stream: the model's ids are replayed by a stand-in generate (TEST DOUBLE of
    model.generate only; the decoder, the engine and the tokenizer are real)."""
    import seedui.engines.transformers_local as tl

    tok = think_tokenizer
    think, end_think = tok.convert_tokens_to_ids(["<think>", "</think>"])
    out = [think, *tok.encode("hmm", add_special_tokens=False), end_think, *tok.encode("42", add_special_tokens=False)]
    out.append(tok.eos_token_id)

    def replay(model, *, streamer, **kwargs):
        import torch

        streamer.put(kwargs["input_ids"])
        for i in out:
            streamer.put(torch.tensor([i]))

    monkeypatch.setattr(tl, "_model_generate", replay)
    texts = {}
    for name in ("reasoning", "instruct"):
        eng = engines.engines[name]
        monkeypatch.setattr(eng._loaded, "tokenizer", tok)
        chunks = collect(eng, request(name, prompt="q", max_tokens=32, temperature=0))
        texts[name] = text_of(chunks)
    assert texts["reasoning"] == "<think>hmm</think>42"
    assert texts["instruct"] == "hmm42"
    assert tok.eos_token not in texts["reasoning"] + texts["instruct"]
