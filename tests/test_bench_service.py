"""The Bench's server half: what each lane is asked (exact request bodies), the program it returns,
and the rate policy (in flight per client, per hour). The lanes are openai_http engines on the HumanEval
TEST DOUBLE (tests/evals/humaneval_double.py); nothing is checked here: checks run in the browser."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from seedui.bench_service import (
    BASE_STOPS,
    CHAT_INSTRUCTION,
    BenchService,
    bench_settings,
    default_in_flight,
    lane_prompt,
    resolve_problem,
)
from seedui.engines.engine_set import build_engines
from seedui.errors import UserError
from seedui.evals.suites import SuiteError, load_suite
from seedui.limits import RateLimited
from seedui.service import LaneService
from tests.conftest import LoopThread, tiny_config
from tests.evals.humaneval_double import MODEL, humaneval_double, lanes_on

PROBLEMS = {p.task_id: p for p in load_suite("humaneval")}
STRLEN = PROBLEMS["HumanEval/23"]


@pytest.fixture(scope="module")
def double() -> Iterator[Any]:
    server = humaneval_double("canonical")
    yield server
    server.close()


def bench_on(tmp_path: Path, double: Any, loop: LoopThread, **limits: Any) -> BenchService:
    values = {**lanes_on(double), **{f"limits.{k}": v for k, v in limits.items()}}
    config = tiny_config(tmp_path, **values)
    engines = build_engines(config)
    loop.run(engines.start())
    return BenchService(LaneService(config, engines))


def test_base_lanes_get_the_prompt_to_continue_and_chat_lanes_the_instruction():
    config = tiny_config(Path("/nonexistent"))
    assert lane_prompt(STRLEN, config.lanes["base"]) == STRLEN.prompt
    asked = lane_prompt(STRLEN, config.lanes["instruct"])
    assert asked.startswith(CHAT_INSTRUCTION + "\n```python\n") and STRLEN.prompt.strip() in asked


def test_answers_are_greedy_unless_asked_and_base_stops_at_the_next_statement():
    config = tiny_config(Path("/nonexistent"))
    assert bench_settings({}, "instruct", config.lanes["instruct"]) == {"temperature": 0.0}
    assert bench_settings({"temperature": 0.7}, "instruct", config.lanes["instruct"])["temperature"] == 0.7
    base = bench_settings({"stop": ["END"], "max_tokens": 9, "instruction_as": "rust"}, "base", config.lanes["base"])
    assert base["base"]["stop"] == ["END", *BASE_STOPS] and base["max_tokens"] == 9
    assert base["base"]["instruction_as"] == "typed"  # the prompt is code to continue, never put in a comment
    eight = [f"s{i}" for i in range(8)]
    assert bench_settings({"base": {"stop": eight}}, "base", config.lanes["base"])["base"]["stop"] == eight


def test_one_request_in_flight_on_an_in_process_cpu_engine_several_on_a_server():
    values = {"lanes.base.engine": "transformers", "lanes.instruct.engine": "openai_http"}
    config = tiny_config(Path("/nonexistent"), **values)
    assert default_in_flight(config.lanes["base"]) == 1
    assert default_in_flight(config.lanes["instruct"]) == 4
    assert config.lanes["reasoning"].engine == "llamacpp"  # the tiny profile's default: llama-server's slots
    assert default_in_flight(config.lanes["reasoning"]) == 4


@pytest.mark.parametrize(
    ("problem", "message"),
    [
        ("HumanEval/0", "problem must be a dict"),
        ({"suite": "mbpp", "task_id": "x"}, "unknown suite 'mbpp'"),
        ({"suite": "humaneval", "task_id": "HumanEval/999"}, "has no problem 'HumanEval/999'"),
        ({"suite": "humaneval", "task_id": "HumanEval/1", "prompt": "x"}, "field 'prompt' is not known beside"),
        ({"prompt": "def f():\n"}, "problem: field 'test' (HumanEval format) or 'tests'"),
    ],
)
def test_a_problem_that_cannot_be_found_or_read_says_why(problem, message):
    with pytest.raises(UserError) as info:
        resolve_problem(problem)
    assert message in str(info.value)


def test_a_problem_as_the_suite_gives_it_reads_back_as_itself():
    again = resolve_problem(STRLEN.as_dict())
    assert (again.task_id, again.prompt, again.check_code) == ("HumanEval/23", STRLEN.prompt, STRLEN.check_code)


def test_suites_built_in_and_uploaded(tmp_path, double, loop):
    bench = bench_on(tmp_path, double, loop)
    quick = bench.suite("humaneval-quick")
    assert quick["label"].startswith("HumanEval quick") and len(quick["problems"]) == 10
    mine = bench.suite("mine.jsonl", '{"prompt": "Write add(a, b).", "tests": "assert add(1, 2) == 3"}\n')
    assert mine["problems"] == [
        {"task_id": "line-1", "prompt": "Write add(a, b).", "entry_point": "add", "tests": "assert add(1, 2) == 3"}
    ]
    with pytest.raises(SuiteError, match="line 2: field 'prompt' is missing"):
        bench.suite("bad.jsonl", '{"prompt": "p", "tests": "assert f()"}\n{"tests": "assert f()"}\n')


def test_each_lane_gets_its_request_and_the_program_comes_back(tmp_path, double, loop):
    bench = bench_on(tmp_path, double, loop)
    problem = {"suite": "humaneval", "task_id": "HumanEval/23"}
    double.httpd.requests.clear()
    base = loop.run(bench.generate(problem, "base", {"max_tokens": 64}))
    chat = loop.run(bench.generate(problem, "instruct", None))
    assert base["code"] == STRLEN.prompt + STRLEN.canonical_solution and base["error"] is None
    assert chat["code"] == STRLEN.prompt + STRLEN.canonical_solution
    assert base["tests"] == STRLEN.check_code and base["model"] == MODEL and base["task_id"] == "HumanEval/23"
    sent = [r["body"] for r in double.posts if r["path"].startswith("/v1/")]
    assert sent[0]["prompt"] == STRLEN.prompt and sent[0]["temperature"] == 0.0 and sent[0]["max_tokens"] == 64
    assert sent[0]["stop"] == list(BASE_STOPS)
    assert sent[1]["messages"][-1] == {
        "role": "user",
        "content": lane_prompt(STRLEN, bench.lanes.config.lanes["instruct"]),
    }
    assert sent[1]["temperature"] == 0.0 and "stop" not in sent[1]


def test_a_lanes_failure_is_the_answers_error_and_a_bad_request_raises(tmp_path, double, loop):
    bench = bench_on(tmp_path, double, loop)
    problem = {"suite": "humaneval", "task_id": "HumanEval/23"}
    failed = loop.run(bench.generate(problem, "base", {"max_tokens": 9000}))  # more than the lane's context
    assert "context" in failed["error"] and failed["code"] == "" and failed["text"] == ""
    with pytest.raises(UserError, match="unknown lane 'nope'"):
        loop.run(bench.generate(problem, "nope", None))
    with pytest.raises(UserError, match="settings must be a JSON object"):
        loop.run(bench.generate(problem, "base", "hot"))


def test_one_client_may_have_only_so_many_running_at_once(tmp_path, double, loop):
    bench = bench_on(tmp_path, double, loop, bench_in_flight=2)
    double.httpd.plan = {"hang_s": 0.6}
    try:

        async def three_at_once() -> list[Any]:
            problem = {"suite": "humaneval", "task_id": "HumanEval/23"}
            calls = [bench.generate(problem, "instruct", None, client="a") for _ in range(3)]
            calls.append(bench.generate(problem, "instruct", None, client="b"))
            return await asyncio.gather(*calls, return_exceptions=True)

        results = loop.run(three_at_once())
    finally:
        double.httpd.plan = {}
    refused = [r for r in results if isinstance(r, RateLimited)]
    assert len(refused) == 1 and "at most 2" in str(refused[0])
    assert sum(isinstance(r, dict) and r["error"] is None for r in results) == 3  # client b was not held back
    assert bench.in_flight.running("a") == 0


def test_one_client_may_start_only_so_many_an_hour(tmp_path, double, loop):
    bench = bench_on(tmp_path, double, loop, bench_per_hour=2)
    problem = {"suite": "humaneval", "task_id": "HumanEval/23"}
    for _ in range(2):
        assert loop.run(bench.generate(problem, "base", None, client="a"))["error"] is None
    with pytest.raises(RateLimited, match="2 per hour"):
        loop.run(bench.generate(problem, "base", None, client="a"))
    assert loop.run(bench.generate(problem, "base", None, client="b"))["error"] is None
