"""Checks in bulk, in headless Chromium: the pristine interpreters a bench run keeps booted ahead
(`seedui.warm(n)`) each serve one check, so no answer changes another's verdict, however it patches
builtins, modules, files or the worker's JavaScript."""

from __future__ import annotations

import random

import pytest

from bench.bench_speed import ATTACK_TEST, ATTACKS, CHECK_ALL, HONEST, humaneval_jobs
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
