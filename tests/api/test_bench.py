"""The Bench endpoints through gradio_client on the real app (the tiny model): suites, bad suite files,
one generation, and a run saved, opened and deleted under its permalink."""

from __future__ import annotations

import json

import pytest
from gradio_client.exceptions import AppError

from seedui.evals.suites import load_suite
from tests.test_bench_runs import run

pytestmark = pytest.mark.e2e

STRLEN = next(p for p in load_suite("humaneval") if p.task_id == "HumanEval/23")


def test_a_built_in_suite_lists_its_problems(client):
    quick = client.predict("humaneval-quick", None, api_name="/bench_suite")
    assert quick["suite"] == "humaneval-quick" and len(quick["problems"]) == 10
    assert quick["problems"][0] == load_suite("humaneval-quick")[0].as_dict()


GOOD = json.dumps({"task_id": "t/1", "prompt": "def f():\n", "entry_point": "f", "test": "def check(c):\n    pass\n"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            GOOD + "\n" + json.dumps({"prompt": "p"}),
            "line 2: field 'test' (HumanEval format) or 'tests' (plain asserts) is missing",
        ),
        (GOOD + "\n{not json", "line 2: not valid JSON"),
        ("\n\n", "the suite file has no problems"),
        (
            json.dumps({"task_id": "t", "prompt": "p", "test": "def check(c): pass"}),
            "line 1: field 'entry_point' is missing",
        ),
    ],
    ids=["missing field", "bad JSON", "empty", "missing entry point"],
)
def test_a_bad_suite_file_is_refused_whole_naming_line_and_field(client, text, message):
    with pytest.raises(AppError) as info:
        client.predict("mine.jsonl", text, api_name="/bench_suite")
    assert message in str(info.value)


def test_one_problem_on_the_base_lane_answers_with_the_program_to_check(client):
    out = client.predict(
        {"suite": "humaneval", "task_id": "HumanEval/23"}, "base", {"max_tokens": 12}, api_name="/bench_generate"
    )
    assert out["error"] is None and out["task_id"] == "HumanEval/23" and out["lane"] == "base"
    assert out["code"].startswith(STRLEN.prompt) and out["tests"] == STRLEN.check_code
    assert out["stats"]["completion_tokens"] <= 12 and out["model"] == "HuggingFaceTB/SmolLM2-135M-Instruct"


def test_a_problem_of_ones_own_runs_too_and_bad_input_is_an_error(client):
    mine = {"prompt": "def add(a, b):\n", "tests": "assert add(1, 2) == 3"}
    out = client.predict(mine, "base", {"max_tokens": 8}, api_name="/bench_generate")
    assert out["task_id"] == "problem" and out["code"].startswith("def add(a, b):\n") and out["error"] is None
    with pytest.raises(AppError, match="unknown lane 'nope'"):
        client.predict(mine, "nope", None, api_name="/bench_generate")
    with pytest.raises(AppError, match="has no problem 'HumanEval/999'"):
        client.predict({"suite": "humaneval", "task_id": "HumanEval/999"}, "base", None, api_name="/bench_generate")


def test_a_run_is_saved_opened_by_its_permalink_and_deleted(client):
    made = client.predict(run(), api_name="/save_bench")
    assert made["url"].endswith(f"/?bench={made['id']}") and made["delete_token"]
    loaded = client.predict(made["url"], api_name="/load_bench")
    assert loaded["lanes"]["instruct"]["passed"] == 3 and loaded["problems"] == run()["problems"]
    with pytest.raises(AppError, match="wrong delete token"):
        client.predict(made["id"], "nope", api_name="/delete_bench")
    assert client.predict(made["id"], made["delete_token"], api_name="/delete_bench") == {"deleted": made["id"]}
    with pytest.raises(AppError, match="not found"):
        client.predict(made["id"], api_name="/load_bench")
    with pytest.raises(AppError, match="invalid bench run"):
        client.predict({"suite": "x", "problems": [], "lanes": {}}, api_name="/save_bench")
