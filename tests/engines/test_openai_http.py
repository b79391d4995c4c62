"""The openai_http engine: the exact request it sends, and how it reads answers and errors.

The server here is a STAND-IN (`fake_openai_server.py`) that records request
bodies and plays back scripted events; real generation is tested against
vLLM in `tests/vllm/`.
"""

from __future__ import annotations

import time

import pytest

from seedui.config import LaneConfig, load_config
from seedui.engines.base import GenerationRequest
from seedui.engines.openai_http import OpenAIHttpEngine
from seedui.errors import EngineError
from seedui.sampling import SamplingSettings
from tests.conftest import LoopThread, free_port, run_async
from tests.engines.fake_openai_server import FakeServer

LANES = load_config(profile="seed-coder", environ={}).lanes
_loop: LoopThread


@pytest.fixture
def server():
    srv = FakeServer(models=("m",))
    yield srv
    srv.close()


def lane(role: str = "instruct", **changes) -> LaneConfig:
    base = LANES[role].model_dump()
    base.update({"served_model_name": "m", **changes})
    return LaneConfig.model_validate(base)


def engine_for(srv: FakeServer, role: str = "instruct", *, environ=None, timeout_s=30.0, **changes):
    changes.setdefault("engine", "openai_http")
    changes.setdefault("base_url", srv.base_url)
    return OpenAIHttpEngine(lane(role, **changes), base_url=changes["base_url"], timeout_s=timeout_s, environ=environ)


@pytest.fixture(autouse=True)
def serving_loop():
    """One loop per test for its engines, as the app's serving loop is: an engine never changes loops."""
    global _loop
    _loop = LoopThread()
    yield
    _loop.stop()


def run(coro):
    return _loop.run(coro)


async def started(engine):
    await engine.start()
    return engine


async def collect(engine, request):
    await engine.start()
    return [c async for c in engine.stream(request)]


def chat(**sampling) -> GenerationRequest:
    return GenerationRequest(SamplingSettings(**sampling), messages=({"role": "user", "content": "hi"},))


def raw(prompt: str = "def f(", **sampling) -> GenerationRequest:
    return GenerationRequest(SamplingSettings(**sampling), prompt=prompt)


# --- the request body -----------------------------------------------------------


def test_chat_body_carries_every_set_setting_and_nothing_else(server):
    request = chat(
        temperature=0.6, top_p=0.8, top_k=20, min_p=0.05, repetition_penalty=1.05, presence_penalty=0.5,
        frequency_penalty=0.25, max_tokens=64, seed=7, stop=["\n\n", "```"],
    )  # fmt: skip
    run(collect(engine_for(server), request))
    (post,) = server.posts
    assert post["path"] == "/v1/chat/completions"
    assert post["body"] == {
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": 0.6,
        "top_p": 0.8,
        "presence_penalty": 0.5,
        "frequency_penalty": 0.25,
        "max_tokens": 64,
        "seed": 7,
        "stop": ["\n\n", "```"],
        # vLLM's own sampling parameters travel in the extra body, at the top level.
        "top_k": 20,
        "min_p": 0.05,
        "repetition_penalty": 1.05,
    }


def test_raw_prompt_goes_to_completions_with_only_what_was_set(server):
    run(collect(engine_for(server, "base"), raw("<[fim-suffix]>x<[fim-prefix]>y<[fim-middle]>", max_tokens=5)))
    (post,) = server.posts
    assert post["path"] == "/v1/completions"
    assert post["body"] == {
        "model": "m",
        "prompt": "<[fim-suffix]>x<[fim-prefix]>y<[fim-middle]>",
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": 5,
    }


def test_vllm_lanes_ask_for_usage_in_every_chunk(server):
    run(collect(engine_for(server, engine="vllm"), chat(max_tokens=3)))
    assert server.posts[0]["body"]["stream_options"] == {"include_usage": True, "continuous_usage_stats": True}


def test_the_vllm_reasoning_lane_keeps_special_tokens_so_think_tags_survive(server):
    run(collect(engine_for(server, "reasoning", engine="vllm"), chat(max_tokens=3, top_k=5)))
    assert server.posts[0]["body"] == {
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
        "stream_options": {"include_usage": True, "continuous_usage_stats": True},
        "max_tokens": 3,
        "top_k": 5,
        "skip_special_tokens": False,
    }
    for role in ("instruct", "base"):  # the other vLLM lanes keep vLLM's default (skip them)
        request = chat(max_tokens=3) if role == "instruct" else raw(max_tokens=3)
        run(collect(engine_for(server, role, engine="vllm"), request))
        assert "skip_special_tokens" not in server.posts[-1]["body"], role


def test_greedy_temperature_zero_is_sent_not_dropped(server):
    run(collect(engine_for(server), chat(temperature=0)))
    assert server.posts[0]["body"]["temperature"] == 0


def test_api_key_from_the_named_env_var_goes_in_the_header(server):
    eng = engine_for(server, api_key_env="GPU_KEY", environ={"GPU_KEY": "s3cret"})
    run(collect(eng, chat()))
    assert all(r["headers"]["authorization"] == "Bearer s3cret" for r in server.httpd.requests)


# --- reading the stream ------------------------------------------------------------


def test_text_usage_and_finish_reason(server):
    server.httpd.plan = {"words": ["def", " f", "():"]}
    chunks = run(collect(engine_for(server, engine="vllm"), chat()))
    assert "".join(c.text for c in chunks) == "def f():"
    assert [c.completion_tokens for c in chunks if c.text] == [1, 2, 3]  # the server's running usage
    assert chunks[-1].finish_reason == "length"
    assert chunks[-1].prompt_tokens == 7 and chunks[-1].completion_tokens == 3
    assert all(c.finish_reason is None for c in chunks[:-1])


def test_running_counts_without_continuous_usage_then_the_final_usage(server):
    server.httpd.plan = {"words": ["a", "b", "c", "d"]}
    chunks = run(collect(engine_for(server), raw()))
    assert [c.completion_tokens for c in chunks if c.text] == [1, 2, 3, 4]
    assert chunks[-1].completion_tokens == 4 and chunks[-1].prompt_tokens == 7


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_server_side_reasoning_goes_to_chunk_reasoning(server, field):
    server.httpd.plan = {
        "events": [
            {"choices": [{"index": 0, "delta": {field: "think "}, "finish_reason": None}]},
            {"choices": [{"index": 0, "delta": {field: "more"}, "finish_reason": None}]},
            {"choices": [{"index": 0, "delta": {"content": "answer"}, "finish_reason": "stop"}]},
        ]
    }
    chunks = run(collect(engine_for(server, "reasoning"), chat()))
    assert "".join(c.reasoning for c in chunks) == "think more"
    assert "".join(c.text for c in chunks) == "answer"
    assert chunks[-1].finish_reason == "stop"


def test_think_tags_stay_in_text_when_the_server_does_not_split(server):
    server.httpd.plan = {"words": ["<think>", "hm", "</think>", "ok"], "finish": "stop"}
    chunks = run(collect(engine_for(server, "reasoning"), chat()))
    assert "".join(c.text for c in chunks) == "<think>hm</think>ok"
    assert not any(c.reasoning for c in chunks)


def test_a_stream_that_ends_without_finishing_is_an_error(server):
    server.httpd.plan = {"events": [{"choices": [{"index": 0, "delta": {"content": "x"}, "finish_reason": None}]}]}
    with pytest.raises(EngineError, match="ended the stream without finishing"):
        run(collect(engine_for(server), chat()))


# --- errors ---------------------------------------------------------------------


def test_the_servers_own_4xx_message_reaches_the_lane(server):
    server.httpd.plan = {"status": 400, "message": "max_tokens=5000 cannot be greater than max_model_len=2048."}
    with pytest.raises(EngineError) as err:
        run(collect(engine_for(server), chat()))
    assert "400" in str(err.value) and "max_tokens=5000 cannot be greater than max_model_len=2048." in str(err.value)
    assert server.base_url in str(err.value)


def test_connection_refused_names_the_url_at_start_and_at_request_time():
    url = f"http://127.0.0.1:{free_port()}/v1"
    eng = OpenAIHttpEngine(lane(engine="openai_http", base_url=url), base_url=url)
    run(eng.start())
    assert eng.status.state == "failed"
    assert url in eng.status.detail and "connection refused" in eng.status.detail
    with pytest.raises(EngineError) as err:
        run(collect(eng, chat()))
    assert url in str(err.value) and "connection refused" in str(err.value)
    assert eng.name == f"openai @ {url}"


def test_time_out_is_a_clear_lane_error(server):
    server.httpd.plan = {"hang_s": 2}
    eng = engine_for(server, timeout_s=0.5)
    t0 = time.monotonic()
    with pytest.raises(EngineError, match=r"did not answer within 0.5 s"):
        run(collect(eng, chat()))
    assert time.monotonic() - t0 < 1.9


def test_a_connection_dropped_mid_answer_is_an_error(server):
    server.httpd.plan = {"words": ["a", "b", "c", "d"], "drop_after": 2}
    with pytest.raises(EngineError, match="broke while streaming"):
        run(collect(engine_for(server), chat()))


def test_missing_model_and_missing_key_are_reported_at_start(server):
    eng = engine_for(server, served_model_name="not-there")
    run(eng.start())
    assert eng.status.state == "failed"
    assert "'not-there'" in eng.status.detail and "it serves: m" in eng.status.detail
    eng = engine_for(server, api_key_env="NOPE_KEY", environ={})
    run(eng.start())
    assert eng.status.state == "failed" and "NOPE_KEY" in eng.status.detail


def test_remote_lane_is_ready_when_the_model_is_served(server):
    eng = run(started(engine_for(server)))
    assert eng.status.state == "ready"
    assert server.httpd.requests[0]["path"] == "/v1/models"


# --- closing ----------------------------------------------------------------------


def test_closing_the_stream_closes_the_http_stream(server):
    server.httpd.plan = {"words": [f"w{i} " for i in range(200)], "delay_s": 0.02}
    eng = engine_for(server)

    async def go():
        await eng.start()
        stream = eng.stream(chat())
        got = [await anext(stream) for _ in range(3)]
        await stream.aclose()
        return got

    run(go())
    assert server.httpd.disconnected.wait(2), "the server kept streaming to nobody"


def test_one_client_per_engine_made_and_closed_on_its_loop(server):
    eng = engine_for(server, engine="vllm")

    async def go():
        await eng.start()
        client = eng._http
        await eng.count_prompt_tokens(chat())
        assert [c async for c in eng.stream(chat())]
        assert eng._http is client, "the start-up check, token counts and streams share one client"
        return client

    client = run(go())
    assert not client.is_closed()
    with pytest.raises(RuntimeError, match="second event loop"):
        run_async(collect(eng, chat()))  # a stray loop gets a clear error, not a broken connection pool
    run(eng.close())
    assert client.is_closed() and eng._http is None


# --- prompt tokens ------------------------------------------------------------------


def test_count_prompt_tokens_uses_vllm_tokenize_with_the_chat_template(server):
    eng = run(started(engine_for(server, engine="vllm")))
    assert run(eng.count_prompt_tokens(chat())) is not None
    assert run(eng.count_prompt_tokens(raw("a b c"))) == 3
    chat_post, raw_post = server.posts
    assert chat_post["path"] == "/tokenize"
    assert chat_post["body"] == {
        "model": "m", "messages": [{"role": "user", "content": "hi"}], "add_generation_prompt": True,
    }  # fmt: skip
    assert raw_post["body"] == {"model": "m", "prompt": "a b c"}


def test_count_prompt_tokens_is_none_without_tokenize():
    srv = FakeServer(models=("m",), tokenize=False)
    try:
        eng = run(started(engine_for(srv, engine="vllm")))
        assert run(eng.count_prompt_tokens(raw())) is None
        assert run(eng.count_prompt_tokens(raw())) is None
        assert len(srv.posts) == 1  # learnt after one 404: no more round trips
        plain = run(started(engine_for(srv)))
        assert run(plain.count_prompt_tokens(raw())) is None  # not vLLM: not asked at all
        assert len(srv.posts) == 1
    finally:
        srv.close()
