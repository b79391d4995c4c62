"""Saved bench runs: the schema, the size limits, permalinks (save, load, delete) and the samples export."""

from __future__ import annotations

import copy
import gzip
import json
import os
from pathlib import Path
from typing import Any

import pytest

from seedui.bench_runs import (
    MAX_PAYLOAD_BYTES,
    BenchRunError,
    BenchRunNotFound,
    BenchRuns,
    encode_run,
    samples_jsonl,
    validate_run,
)
from seedui.evals.extract import program
from seedui.evals.suites import load_suite
from seedui.limits import RateLimited
from seedui.shares import MAX_LANE_TEXT_BYTES
from seedui.store import Store

QUICK = load_suite("humaneval-quick")


def result(verdict: str = "pass", **extra: Any) -> dict[str, Any]:
    return {"verdict": verdict, "code": "def f():\n    return 1\n", "error": None, "answer": "ok", **extra}


def run(**extra: Any) -> dict[str, Any]:
    """A run of the quick subset on two lanes: base passes every problem, instruct the first three."""
    problems = [p.as_dict() for p in QUICK]
    base = {p.task_id: result(code=program(p, "base", p.canonical_solution or "")) for p in QUICK}
    instruct = {
        p.task_id: result("pass" if i < 3 else "fail", error=None if i < 3 else "assert 1 == 2")
        for i, p in enumerate(QUICK)
    }
    return {
        "suite": "humaneval-quick",
        "label": "HumanEval quick subset (10 problems)",
        "problems": problems,
        "settings": {"temperature": 0},
        "meta": {"profile": "tiny"},
        "lanes": {
            "base": {"model": "m/base", "role": "base", "passed": 999, "total": 1, "results": base},
            "instruct": {"model": "m/instruct", "role": "instruct", "results": instruct},
        },
        **extra,
    }


@pytest.fixture
def runs(tmp_path: Path):
    with Store(tmp_path / "runs.sqlite3") as store:
        yield BenchRuns(store, rate_per_minute=100)


def test_passed_and_total_are_recounted_from_the_results():
    lanes = validate_run(run())["lanes"]
    assert (lanes["base"]["passed"], lanes["base"]["total"]) == (10, 10)
    assert (lanes["instruct"]["passed"], lanes["instruct"]["total"]) == (3, 10)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.update(colour="red"), "unknown"),
        (lambda r: r["lanes"]["base"]["results"]["HumanEval/2"].update(verdict="maybe"), "verdict"),
        (lambda r: r["lanes"]["base"]["results"].update({"HumanEval/999": result()}), "'HumanEval/999', not a problem"),
        (lambda r: r["problems"][0].update(prompt="def f():\n"), "is not humaneval-quick's as shipped"),
        (lambda r: r["problems"].append(dict(r["problems"][0])), "a task_id appears twice"),
        (lambda r: r["lanes"].update({"bad name": r["lanes"]["base"]}), "must be a simple identifier"),
        (lambda r: r.update(problems=[]), "problems"),
    ],
)
def test_a_run_that_does_not_fit_the_schema_is_refused_with_the_reason(change, message):
    data = run()
    change(data)
    with pytest.raises(BenchRunError) as info:
        validate_run(data)
    assert message in str(info.value)


def test_how_the_run_ended_and_the_thinking_are_not_kept():
    data = run(stopped=False, error=None)
    data["lanes"]["base"]["results"]["HumanEval/2"]["reasoning"] = "long thoughts"
    kept = validate_run(data)
    assert "stopped" not in kept and "error" not in kept
    assert "reasoning" not in kept["lanes"]["base"]["results"]["HumanEval/2"]


def test_a_visitors_suite_keeps_its_own_problems():
    data = run(suite="mine.jsonl")
    data["problems"][0]["prompt"] = "def f():\n"
    assert validate_run(data)["problems"][0]["prompt"] == "def f():\n"


def test_an_answer_over_the_share_limit_is_refused_and_the_run_is_stored_gzipped():
    data = run()
    data["lanes"]["base"]["results"]["HumanEval/2"]["answer"] = "x" * (MAX_LANE_TEXT_BYTES + 1)
    with pytest.raises(BenchRunError, match="per answer"):
        encode_run(data)
    normalised, packed = encode_run(run())
    assert json.loads(gzip.decompress(packed)) == normalised


def test_a_full_humaneval_run_on_three_lanes_fits_and_an_incompressible_one_does_not():
    # Realistic sizes: each answer ~1.5 KB of prose and code, its program ~0.8 KB.
    problems = load_suite("humaneval")
    lanes = {}
    for name in ("base", "instruct", "reasoning"):
        results = {}
        for p in problems:
            code = program(p, "base", p.canonical_solution or "")
            answer = f"Here is a solution to {p.entry_point}.\n```python\n{code}```\nIt loops once over the input." * 2
            results[p.task_id] = result(code=code, answer=answer, stats={"completion_tokens": 300, "total_s": 3.2})
        lanes[name] = {"model": f"m/{name}", "role": "instruct", "results": results}
    full = {"suite": "humaneval", "problems": [p.as_dict() for p in problems], "lanes": lanes}
    _, packed = encode_run(full)
    assert len(packed) < MAX_PAYLOAD_BYTES / 2
    noise = copy.deepcopy(full)
    for r in noise["lanes"]["base"]["results"].values():
        r["answer"] = os.urandom(8000).hex()  # 16 KB each, which gzip shrinks only to ~8 KB
    with pytest.raises(BenchRunError, match="compressed; the limit is"):
        encode_run(noise)


def test_save_load_and_delete(runs):
    made = runs.save(run(), "client")
    assert set(made) == {"id", "delete_token"}
    loaded = runs.load(made["id"])
    assert loaded == validate_run(run())
    with pytest.raises(BenchRunError, match="wrong delete token"):
        runs.delete(made["id"], "not-it")
    runs.delete(made["id"], made["delete_token"])
    with pytest.raises(BenchRunNotFound, match="not found"):
        runs.load(made["id"])
    with pytest.raises(BenchRunNotFound, match="not a valid id"):
        runs.load("../../etc")
    assert runs.store.count_bench_runs() == 0


def test_saving_is_rate_limited_as_shares_are_and_a_refused_run_takes_no_slot(tmp_path):
    with Store(tmp_path / "r.sqlite3") as store:
        runs = BenchRuns(store, rate_per_minute=2)
        with pytest.raises(BenchRunError):
            runs.save({"suite": "x"}, "a")
        runs.save(run(), "a")
        runs.save(run(), "a")
        with pytest.raises(RateLimited, match="too many saved runs from this client: 2 per minute"):
            runs.save(run(), "a")
        runs.save(run(), "b")


def test_samples_export_in_human_evals_format():
    data = validate_run(run())
    lines = [json.loads(line) for line in samples_jsonl(data, "base").splitlines()]
    assert [line["task_id"] for line in lines] == [p.task_id for p in QUICK]
    assert all(set(line) == {"task_id", "completion"} for line in lines)
    assert lines[0]["completion"] == QUICK[0].canonical_solution  # prompt + completion is the program
    chat = json.loads(samples_jsonl(data, "instruct").splitlines()[0])
    assert chat["completion"] == "\ndef f():\n    return 1\n"  # a whole program follows the prompt
    with pytest.raises(BenchRunError, match="no lane 'nope'"):
        samples_jsonl(data, "nope")
