"""A check's Python side, in Pyodide: the plan of its steps and the wording of a failed step.

Shipped to the browser with harness.py and imported there as ``_seedui_check``;
the server never imports it. The worker (worker/python_check.mjs) drives a check:

1. ``prepare_check(tests)``, in an interpreter no user code has touched, before
   the answer's code runs: compiles the tests (asserts rewritten so a failure
   shows both sides) and plans the steps: the test module, then each test
   function and method. The worker sends the plan out at once.
2. The answer's code runs (``_seedui_harness.run_answer``).
3. The worker runs each step itself, with Python builtins it took at start-up,
   and reports whether it raised; ``failure_text`` words a step that did.

Nothing here decides a verdict: the runner frame does, from the plan and the
steps' reports (runner/verdict.mjs), where no user code reaches.
"""

from __future__ import annotations

import ast
import json
import sys
import types

from _seedui_harness import TESTS_FILE, _compile, _error, new_module

_PAIR = "_seedui_pair_"
_EXPLAIN = "_seedui_explain_"


class _AssertRewriter(ast.NodeTransformer):
    """`assert a == b` -> the failure message shows the assert and both values, like pytest.

    The comparison stays in the test's own code: ``assert (p := (a, b))[0] == p[1], explain(...)``
    evaluates each side once, and the helper only words the message (it runs once the assert
    has failed), so replacing the helper cannot make a failing assert pass.
    """

    def __init__(self, source: str) -> None:
        self.source = source

    def visit_Assert(self, node: ast.Assert):  # noqa: N802
        text = "assert " + (ast.get_source_segment(self.source, node.test) or ast.unparse(node.test))
        test = node.test
        if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
            if node.msg is None:
                node.msg = ast.Constant(text)
            return node
        pair = ast.NamedExpr(ast.Name(_PAIR, ast.Store()), ast.Tuple([test.left, test.comparators[0]], ast.Load()))
        compare = ast.Compare(
            ast.Subscript(pair, ast.Constant(0), ast.Load()),
            [test.ops[0]],
            [ast.Subscript(ast.Name(_PAIR, ast.Load()), ast.Constant(1), ast.Load())],
        )
        explain = ast.Call(
            ast.Name(_EXPLAIN, ast.Load()),
            [ast.Name(_PAIR, ast.Load()), ast.Constant(text), node.msg or ast.Constant(None)],
            [],
        )
        return ast.copy_location(ast.Assert(compare, explain), node)


def _short_repr(value: object, limit: int = 200) -> str:
    try:
        text = repr(value)
    except Exception as exc:  # noqa: BLE001 - a broken __repr__ must not hide the failure
        text = f"<repr failed: {exc!r}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _explain(pair: tuple, text: str, msg) -> str:
    detail = f"{text}\n  where left = {_short_repr(pair[0])}, right = {_short_repr(pair[1])}"
    return detail if msg is None else f"{msg}\n{detail}"


def _failure_text(name: str | None, exc: BaseException) -> str:
    err = _error(exc)
    if isinstance(exc, AssertionError):
        where = ""
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == TESTS_FILE:
                where = f"{TESTS_FILE}, line {tb.tb_lineno}"
            tb = tb.tb_next
        head = f"{name}: " if name else ""
        message = err["message"] or "assertion failed"
        return f"{head}{message}" + (f"\n  ({where})" if where else "")
    return (f"{name}: " if name else "") + err["traceback"].rstrip()


def _quiet(*args) -> None:
    """sys.excepthook during a check's steps: a failed step is worded by failure_text, not printed."""


def failure_text(name: str | None) -> str:
    """The last failed step's exception, worded (the worker calls this after a step threw; it caps the length)."""
    exc = getattr(sys, "last_exc", None)
    if not isinstance(exc, BaseException):
        raise LookupError("no exception")
    return _failure_text(name, exc)


def _planned_tests(tree: ast.Module) -> list[str]:
    """test* functions and test* methods of Test* classes (without __init__) at the top of tests.py."""
    names: list[str] = []
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    for node in tree.body:
        if isinstance(node, functions) and node.name.startswith("test") and not node.decorator_list:
            names.append(node.name)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test") and not node.decorator_list:
            if any(isinstance(item, functions) and item.name == "__init__" for item in node.body):
                continue
            for item in node.body:
                if isinstance(item, functions) and item.name.startswith("test") and not item.decorator_list:
                    names.append(f"{node.name}.{item.name}")
    return list(dict.fromkeys(names))


def _code_objects(code: types.CodeType, found: dict) -> dict:
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found[const.co_qualname] = const  # a name defined twice: the later one, as in the namespace
            _code_objects(const, found)
    return found


def prepare_check(tests: str) -> tuple:
    """Compile the tests and plan the steps, before the answer's code runs.

    Returns (plan JSON ``{"error", "tests"}``, the namespace the answer will run in, the
    tests' code object or None, the code objects of the planned tests in plan order).
    """
    namespace = new_module("solution").__dict__
    try:
        code_object = _compile(tests, TESTS_FILE, _AssertRewriter(tests))
    except SyntaxError as exc:
        plan = {"error": "The test code does not compile:\n" + _error(exc)["traceback"], "tests": []}
        return json.dumps(plan), namespace, None, ()
    codes = _code_objects(code_object, {})
    names = [name for name in _planned_tests(ast.parse(tests)) if name in codes]
    namespace[_EXPLAIN] = _explain
    return json.dumps({"error": None, "tests": names}), namespace, code_object, tuple(codes[n] for n in names)
