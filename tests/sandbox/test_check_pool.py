"""Checks in bulk, in headless Chromium: the pristine interpreters a bench run keeps booted ahead
(`seedui.warm(n)`) serve checks, and one is reset after a check in Python alone or retired after one that
reached JavaScript, files or packages, so no answer changes another's verdict, however it patches
builtins, modules, the harness, files or the worker's JavaScript."""

from __future__ import annotations

import random

import pytest

from bench.bench_speed import (
    ATTACK_TEST,
    ATTACKS,
    CHECK_ALL,
    HONEST,
    HONEST_FAILING,
    HONEST_JS,
    PYTHON_ATTACKS,
    humaneval_jobs,
)
from seedui.evals.extract import base_program
from seedui.evals.suites import load_suite

pytestmark = pytest.mark.browser


def test_answers_that_patch_builtins_modules_files_or_javascript_change_no_other_verdict(page):
    jobs = [list(HONEST) for _ in range(2 * len(ATTACKS))] + [[attack, ATTACK_TEST] for attack in ATTACKS]
    random.Random(3).shuffle(jobs)
    got = page.evaluate(CHECK_ALL, [jobs, 3, True])["verdicts"]
    honest = [v for job, v in zip(jobs, got, strict=True) if job[0] == HONEST[0]]
    attacks = [v for job, v in zip(jobs, got, strict=True) if job[0] != HONEST[0]]
    assert honest == ["pass"] * len(honest)
    assert "pass" not in attacks and not any(v.startswith("sandbox") for v in attacks)


def test_checks_in_bulk_reach_the_right_verdicts(page):
    jobs = humaneval_jobs(12)
    problem = load_suite("humaneval")[3]
    jobs[3] = [base_program(problem, "    return None\n"), problem.check_code]
    got = page.evaluate(CHECK_ALL, [jobs, 2, True])["verdicts"]
    assert got[:3] + got[4:] == ["pass"] * 11 and got[3] in ("fail", "error")


def test_a_worker_reset_after_an_answer_in_python_checks_the_next_as_a_fresh_one_would(page):
    # One at a time, so the next check takes the worker the last one left (reset) when there is one: after
    # each attack, an honest answer that passes, one that fails, and one whose tests look at JavaScript.
    jobs = []
    for attack in ATTACKS:
        jobs += [[attack, ATTACK_TEST], list(HONEST), list(HONEST_FAILING), list(HONEST_JS)]
    out = page.evaluate(CHECK_ALL, [jobs, 1, True])
    verdicts, resets = out["verdicts"], out["resets"]
    for k, attack in enumerate(ATTACKS):
        i = 4 * k
        assert verdicts[i] not in ("pass", "timeout") and not verdicts[i].startswith("sandbox"), attack
        assert verdicts[i + 1 : i + 4] == ["pass", "fail", "pass"], attack
        if attack in PYTHON_ATTACKS:  # the same interpreter, reset: one more check behind it
            assert resets[i + 1] == resets[i] + 1, attack
        else:  # it reached JavaScript or the files: retired, and the next check had another interpreter
            assert resets[i + 1] != resets[i] + 1, attack
        assert resets[i + 2] == resets[i + 1] + 1, "an honest check leaves its interpreter to be reset"
        # the last one's tests reached JavaScript: its worker was retired too
        assert i + 4 >= len(jobs) or resets[i + 4] != resets[i + 3] + 1
