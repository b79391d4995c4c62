"""Suites: HumanEval as shipped, the quick subset, and visitors' files with errors that name line and field."""

from __future__ import annotations

import json

import pytest

from seedui.evals.scoring import pass_at_1, wilson_interval
from seedui.evals.suites import QUICK_IDS, SuiteError, load_suite, parse_suite


def test_humaneval_has_its_164_problems_and_the_quick_subset_10():
    problems = load_suite("humaneval")
    assert len(problems) == 164 and len({p.task_id for p in problems}) == 164
    assert problems[0].task_id == "HumanEval/0" and problems[0].entry_point == "has_close_elements"
    assert [p.task_id for p in load_suite("humaneval-quick")] == list(QUICK_IDS)
    assert all(p.check_code.endswith(f"check({p.entry_point})\n") for p in problems)


def line(**fields) -> str:
    return json.dumps(fields)


def test_both_formats_parse():
    text = "\n".join(
        [
            line(task_id="t/1", prompt="def f(x):\n", entry_point="f", test="def check(c):\n    assert c(1) == 1\n"),
            "",
            line(prompt="Write add(a, b).", tests="assert add(1, 2) == 3\nassert add(0, 0) == 0"),
        ]
    )
    first, second = parse_suite(text)
    assert first.humaneval_format and first.check_code.endswith("check(f)\n")
    assert not second.humaneval_format and second.entry_point == "add" and second.task_id == "line-3"
    assert second.check_code == "assert add(1, 2) == 3\nassert add(0, 0) == 0"


GOOD = line(task_id="t/1", prompt="p", entry_point="f", test="def check(c):\n    pass\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the suite file has no problems"),
        ("\n \n", "the suite file has no problems"),
        (GOOD + "\n{not json", "line 2: not valid JSON"),
        (GOOD + "\n[1, 2]", "line 2: a problem must be a JSON object, got list"),
        (line(task_id="t", entry_point="f", test="def check(c): pass"), "line 1: field 'prompt' is missing"),
        (line(task_id="t", prompt="p", test="def check(c): pass"), "line 1: field 'entry_point' is missing"),
        (line(prompt="p"), "line 1: field 'test' (HumanEval format) or 'tests' (plain asserts) is missing"),
        (line(prompt="p", tests=5), "line 1: field 'tests' must be a string, got int"),
        (line(prompt="  ", tests="assert f()"), "line 1: field 'prompt' is empty"),
        (line(prompt="p", tests="assert f(", entry_point="f"), "line 1: field 'tests' is not valid Python"),
        (line(prompt="p", tests="assert len([]) == 0"), "line 1: field 'entry_point' must name the function"),
        (line(task_id="t", prompt="p", entry_point="f", test="assert f()"), "field 'test' must define check"),
        (line(prompt="p", tests="assert f()", colour="red"), "line 1: field 'colour' is not known"),
        (GOOD + "\n" + GOOD, "line 2: field 'task_id': 't/1' is also on line 1"),
    ],
)
def test_bad_suite_files_name_the_line_and_field(text, message):
    with pytest.raises(SuiteError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        parse_suite(text)


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        (8, 10, 0.4902, 0.9433),  # by hand: centre (0.8 + z²/20) / (1 + z²/10), margin z·√(pq/n + z²/4n²) / (1 + z²/n)
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (1, 2, 0.0945, 0.9055),
        (82, 164, 0.4244, 0.5756),
    ],
)
def test_wilson_interval_against_hand_computed_values(successes, trials, low, high):
    lo, hi = wilson_interval(successes, trials)
    assert lo == pytest.approx(low, abs=1e-4) and hi == pytest.approx(high, abs=1e-4)


def test_pass_at_1_and_no_trials():
    assert wilson_interval(0, 0) == (0.0, 1.0)
    summary = pass_at_1(["pass", "fail", "error", "timeout", "pass"])
    assert summary["passed"] == 2 and summary["total"] == 5 and summary["pass_at_1"] == 0.4
    assert summary["ci_low"] < 0.4 < summary["ci_high"]
