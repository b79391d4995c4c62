"""The Python harness (static/harness.py, harness_check.py), run in CPython.

In the browser it runs in Pyodide, where the worker drives a check's steps and the runner frame decides the
verdict (tested in Node: tests/sandbox/js/verdict.test.mjs, and end to end in Chromium). Here, ``check_steps``
takes the worker's steps in the same order, so the plan, the answer's outcome and each step's worded
failure can be checked without a browser.
"""

from __future__ import annotations

import base64
import builtins
import importlib.util
import json
import os
import sys
import types
from dataclasses import dataclass

import pytest

from seedui import sandbox


def load(name: str, file: str, monkeypatch) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, sandbox.STATIC_DIR / file)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)  # as the worker imports them: by these names
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def harness(monkeypatch, tmp_path):
    module = load("_seedui_harness", "harness.py", monkeypatch)
    out: list[tuple[str, str]] = []
    module._emit = lambda kind, text: out.append((kind, text))
    module._allowed = frozenset({"numpy"})
    module._import_to_package = {"numpy": "numpy", "seedui_not_allowed": "seedui-not-allowed"}
    module._cdn = "https://cdn.example.org/"
    monkeypatch.setattr(module, "HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    for name in ("stdout", "stderr", "stdin", "argv"):
        monkeypatch.setattr(sys, name, getattr(sys, name))
    monkeypatch.setattr(builtins, "input", builtins.input)
    for name in ("__main__", "solution"):
        monkeypatch.setitem(sys.modules, name, sys.modules.get(name))
    module.out = out
    return module


@pytest.fixture
def check(harness, monkeypatch):
    return load("_seedui_check", "harness_check.py", monkeypatch)


@dataclass
class Steps:
    plan: dict
    answer: dict
    steps: list[tuple[bool, str]]  # (ok, worded failure) per step: the test module, then each planned test


def check_steps(harness, check, code: str, tests: str) -> Steps:
    """A check's steps as worker/python_check.mjs takes them (it also checks each test is the one planned)."""
    plan_json, namespace, code_object, codes = check.prepare_check(tests)
    plan = json.loads(plan_json)
    answer = json.loads(harness.run_answer(code, namespace, "{}"))
    steps: list[tuple[bool, str]] = []
    if plan["error"] is None and answer["ok"] and answer["ranToEnd"]:
        for name in [None, *plan["tests"]]:
            try:
                if name is None:
                    harness._execute(code_object, namespace)
                else:
                    owner, _, attr = name.rpartition(".")
                    function = getattr(namespace[owner], attr) if owner else namespace[name]
                    assert function.__code__ is codes[plan["tests"].index(name)]
                    harness._drive(function(*([namespace[owner]()] if owner else [])))
            except BaseException as exc:  # noqa: BLE001 - SystemExit in a test fails it too
                steps.append((False, check._failure_text(name, exc)))
                if name is None:
                    break
            else:
                steps.append((True, ""))
    return Steps(plan, answer, steps)


def test_harness_run_streams_output_and_trims_the_traceback(harness):
    result = json.loads(harness.run("print('a')\nimport sys\nprint('b', file=sys.stderr)\n1/0\n", "{}"))
    assert harness.out == [("stdout", "a"), ("stdout", "\n"), ("stderr", "b"), ("stderr", "\n")]
    assert result["ok"] is False
    tb = result["error"]["traceback"]
    assert tb.startswith('Traceback (most recent call last):\n  File "main.py", line 4, in <module>')
    assert "harness" not in tb


def test_harness_input_raises_a_clear_eoferror(harness):
    result = json.loads(harness.run("input('? ')", "{}"))
    assert result["error"]["type"] == "EOFError" and "no stdin" in result["error"]["message"]
    assert harness.out == [("stdout", "? ")]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("import seedui_not_allowed", "(Pyodide package 'seedui-not-allowed') is not allowed in this sandbox"),
        ("import numpy_not_there", "not available in the browser sandbox"),
    ],
)
def test_harness_explains_missing_modules(harness, code, message):
    result = json.loads(harness.run(code, "{}"))
    assert message in result["error"]["traceback"]


TESTS = (
    "assert add(1, 2) == 3\n\n"
    "def test_more():\n    assert add(2, 2) == 4\n\n"
    "class TestAdd:\n    def test_zero(self):\n        assert add(0, 0) == 0\n"
)


def test_check_passes_every_step_of_a_correct_answer(harness, check):
    result = check_steps(harness, check, "def add(a, b):\n    return a + b\n", TESTS)
    assert result.plan == {"error": None, "tests": ["test_more", "TestAdd.test_zero"]}
    assert result.answer == {"ok": True, "error": None, "exitCode": None, "ranToEnd": True}
    assert result.steps == [(True, ""), (True, ""), (True, "")]


def test_check_words_a_failed_assert_with_both_sides(harness, check):
    result = check_steps(harness, check, "def add(a, b):\n    return a * b\n", TESTS)
    assert result.steps == [(False, "assert add(1, 2) == 3\n  where left = 2, right = 3\n  (tests.py, line 1)")]


def test_check_reports_an_answer_that_fails_or_exits_before_the_tests(harness, check):
    broken = check_steps(harness, check, "def add(a, b):\n    return a +\n", TESTS)
    assert broken.answer["ok"] is False and "SyntaxError" in broken.answer["error"]["traceback"]
    assert broken.steps == []
    exits = check_steps(harness, check, "import sys\nsys.exit(0)\n", TESTS)
    assert exits.answer["ok"] is True and exits.answer["ranToEnd"] is False and exits.steps == []
    bad_tests = check_steps(harness, check, "def add(a, b):\n    return a + b\n", "assert (\n")
    assert "test code does not compile" in bad_tests.plan["error"] and bad_tests.steps == []


def test_check_skips_the_main_guard_and_names_the_failing_test_function(harness, check):
    code = "def add(a, b):\n    return a + b if a >= 0 else 0\n\nif __name__ == '__main__':\n    input()\n"
    tests = "def test_pos():\n    assert add(1, 1) == 2\n\ndef test_neg():\n    assert add(-1, -1) == -2, 'negatives'\n"
    result = check_steps(harness, check, code, tests)
    assert result.steps == [
        (True, ""),
        (True, ""),
        (False, "test_neg: negatives\nassert add(-1, -1) == -2\n  where left = 0, right = -2\n  (tests.py, line 5)"),
    ]


def test_harness_sends_matplotlib_figures_as_png_and_closes_them(harness, monkeypatch):
    closed = []

    class Figure:
        def savefig(self, buf, format, dpi, bbox_inches):  # noqa: A002 - matplotlib's name
            assert format == "png"
            buf.write(b"\x89PNG fake")

    pyplot = types.SimpleNamespace(
        get_fignums=lambda: [1, 2],
        figure=lambda number: Figure(),
        close=lambda which: closed.append(which),
    )
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", pyplot)
    harness.emit_figures()
    png = base64.b64encode(b"\x89PNG fake").decode()
    assert harness.out == [("image", png), ("image", png)]
    assert closed == ["all"]


def test_harness_installs_its_matplotlib_backend(harness, tmp_path, monkeypatch):
    monkeypatch.setattr(harness, "__file__", str(tmp_path / "_seedui_harness.py"))
    monkeypatch.setitem(os.environ, "MPLBACKEND", "")
    harness.install(lambda kind, text: None, json.dumps({"packages": ["numpy"], "importMap": {}, "cdnUrl": "x"}))
    assert os.environ["MPLBACKEND"] == "module://_seedui_mpl"
    backend = (tmp_path / "_seedui_mpl.py").read_text()
    assert "FigureCanvasAgg as FigureCanvas" in backend and "emit_figures()" in backend


def test_check_assert_rewrite_evaluates_each_side_once(harness, check):
    tests = "calls = []\ndef f():\n    calls.append(1)\n    return 1\nassert f() == 1\nassert calls == [1]\n"
    assert check_steps(harness, check, "x = 1\n", tests).steps == [(True, "")]


def test_check_rewritten_assert_fails_even_with_its_helper_replaced(harness, check):
    # The helper only words the message; the comparison is in the test's own code.
    tests = "_seedui_explain_ = lambda *args: None\nassert 1 == 2\n"
    assert check_steps(harness, check, "x = 1\n", tests).steps == [(False, "None\n  (tests.py, line 2)")]
    tests = "def test_it():\n    global _seedui_explain_\n    _seedui_explain_ = None\n    assert [1] == [2]\n"
    [module, test] = check_steps(harness, check, "x = 1\n", tests).steps
    assert module == (True, "") and test[0] is False and test[1].startswith("test_it: Traceback")


def test_check_plans_test_functions_before_the_answer_runs(check):
    tests = (
        "def test_a():\n    pass\n\n@staticmethod\ndef test_decorated():\n    pass\n\n"
        "class TestB:\n    def test_c(self):\n        pass\n\n"
        "class TestWithInit:\n    def __init__(self):\n        pass\n    def test_d(self):\n        pass\n"
    )
    plan_json, namespace, code_object, codes = check.prepare_check(tests)
    assert json.loads(plan_json) == {"error": None, "tests": ["test_a", "TestB.test_c"]}
    assert [code.co_qualname for code in codes] == ["test_a", "TestB.test_c"]
    assert "test_a" not in namespace  # nothing has run yet
