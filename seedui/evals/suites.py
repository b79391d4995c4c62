"""Benchmark suites: HumanEval (shipped), its quick subset, and visitors' own JSONL files.

A problem is checked in the browser as `program + "\\n" + tests`, where the
program is what the lane wrote (see extract.py) and `tests` is `check_code`:
for HumanEval's format the problem's `test` followed by
`check(<entry_point>)`, exactly as the official evaluator runs it.

Two file formats, one problem per line:

- HumanEval's: ``{"task_id", "prompt", "entry_point", "test"}`` (``canonical_solution`` optional);
- a simpler one: ``{"prompt", "tests"}``, where ``tests`` are plain asserts and
  ``entry_point`` (optional) names the function they call; ``task_id`` optional.

A file is checked whole before anything runs: a bad line gets an error that
names the line and the field.
"""

from __future__ import annotations

import builtins
import gzip
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from seedui.errors import UserError

HUMANEVAL_FILE = Path(__file__).with_name("data") / "HumanEval.jsonl.gz"
# Short problems the tiny CPU profile answers in a few minutes, three lanes at once.
QUICK_IDS = (
    "HumanEval/2", "HumanEval/7", "HumanEval/13", "HumanEval/15", "HumanEval/23",
    "HumanEval/28", "HumanEval/30", "HumanEval/42", "HumanEval/45", "HumanEval/53",
)  # fmt: skip
SUITES = {"humaneval": "HumanEval (164 problems)", "humaneval-quick": "HumanEval quick subset (10 problems)"}
MAX_SUITE_BYTES = 4 * 1024 * 1024
MAX_PROBLEMS = 1000
MAX_FIELD_CHARS = 64_000
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CALL = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*\(")


class SuiteError(UserError):
    """A suite file that cannot be used; the message names the line and field."""


@dataclass(frozen=True)
class Problem:
    task_id: str
    prompt: str
    entry_point: str
    test: str  # HumanEval: defines check(candidate); simple form: plain asserts
    humaneval_format: bool = True
    canonical_solution: str | None = None

    def as_dict(self) -> dict[str, str]:
        """The problem as the browser and the API get it (`problem_from_dict` reads it back)."""
        return {
            "task_id": self.task_id,
            "prompt": self.prompt,
            "entry_point": self.entry_point,
            "tests": self.check_code,
        }

    @property
    def check_code(self) -> str:
        """The tests run after the program: `check(entry_point)` for HumanEval's format."""
        if self.humaneval_format:
            return f"{self.test}\n\ncheck({self.entry_point})\n"
        return self.test


@cache
def humaneval() -> tuple[Problem, ...]:
    with gzip.open(HUMANEVAL_FILE, "rt", encoding="utf-8") as fh:
        lines = enumerate(fh, start=1)
        return tuple(problem_from_dict(json.loads(line), f"line {n}") for n, line in lines if line.strip())


def load_suite(name: str) -> tuple[Problem, ...]:
    """A built-in suite by name."""
    if name == "humaneval":
        return humaneval()
    if name == "humaneval-quick":
        by_id = {p.task_id: p for p in humaneval()}
        return tuple(by_id[i] for i in QUICK_IDS)
    raise UserError(f"unknown suite {name!r}; suites here: {', '.join(SUITES)}, or upload a JSONL file")


def parse_suite(text: str) -> tuple[Problem, ...]:
    """A visitor's JSONL suite, checked whole: any bad line refuses the file."""
    if not isinstance(text, str):
        raise SuiteError("a suite must be JSONL text")
    if len(text.encode("utf-8", "replace")) > MAX_SUITE_BYTES:
        raise SuiteError(f"the suite file is over {MAX_SUITE_BYTES // (1024 * 1024)} MB")
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise SuiteError(f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})") from None
        problem = problem_from_dict(data, f"line {number}")
        if problem.task_id in seen:
            raise SuiteError(
                f"line {number}: field 'task_id': {problem.task_id!r} is also on line {seen[problem.task_id]}"
            )
        seen[problem.task_id] = number
        problems.append(problem)
        if len(problems) > MAX_PROBLEMS:
            raise SuiteError(f"the suite has more than {MAX_PROBLEMS} problems")
    if not problems:
        raise SuiteError("the suite file has no problems: one JSON object per line is expected")
    return tuple(problems)


def problem_from_dict(data: Any, where: str = "the problem") -> Problem:
    """One problem in either format; errors start with `where` ("line 3") and name the field."""
    if not isinstance(data, dict):
        raise SuiteError(f"{where}: a problem must be a JSON object, got {type(data).__name__}")
    humaneval_format = "test" in data
    tests_field = "test" if humaneval_format else "tests"
    if not humaneval_format and "tests" not in data:
        raise SuiteError(f"{where}: field 'test' (HumanEval format) or 'tests' (plain asserts) is missing")
    known = {"task_id", "prompt", "entry_point", "test", "tests", "canonical_solution"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise SuiteError(f"{where}: field {unknown[0]!r} is not known; fields: {', '.join(sorted(known))}")
    fields = {}
    for name in ("task_id", "prompt", "entry_point", tests_field, "canonical_solution"):
        value = data.get(name)
        required = name in ("prompt", tests_field) or (humaneval_format and name in ("task_id", "entry_point"))
        if value is None:
            if required:
                raise SuiteError(f"{where}: field {name!r} is missing")
            continue
        if not isinstance(value, str):
            raise SuiteError(f"{where}: field {name!r} must be a string, got {type(value).__name__}")
        if required and not value.strip():
            raise SuiteError(f"{where}: field {name!r} is empty")
        if len(value) > MAX_FIELD_CHARS:
            raise SuiteError(f"{where}: field {name!r} is over {MAX_FIELD_CHARS:,} characters")
        fields[name] = value
    tests = fields[tests_field]
    entry = fields.get("entry_point") or _called_function(tests)
    if not entry or not _IDENT.fullmatch(entry):
        raise SuiteError(f"{where}: field 'entry_point' must name the function the tests call")
    try:
        compile(tests, f"{where} {tests_field}", "exec")
    except SyntaxError as exc:
        raise SuiteError(f"{where}: field {tests_field!r} is not valid Python ({exc.msg}, line {exc.lineno})") from None
    if humaneval_format and not re.search(r"^def check\(", tests, re.MULTILINE):
        raise SuiteError(f"{where}: field 'test' must define check(candidate), as HumanEval's do")
    return Problem(
        task_id=fields.get("task_id") or where.replace(" ", "-"),
        prompt=fields["prompt"],
        entry_point=entry,
        test=tests,
        humaneval_format=humaneval_format,
        canonical_solution=fields.get("canonical_solution"),
    )


def _called_function(tests: str) -> str | None:
    """The first function the tests call that is not a builtin (the simple form's entry point)."""
    for name in _CALL.findall(tests):
        if not hasattr(builtins, name) and name not in ("assert",):
            return name
    return None
