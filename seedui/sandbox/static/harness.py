"""Runs the visitor's Python code inside Pyodide, in the sandbox's Web Worker.

This file is shipped to the browser (inlined into runner.html) and imported
there as ``_seedui_harness``; the server never imports it. The worker script
(py_worker.js) calls ``install`` once, then ``plan`` and ``run`` per run; for a
check, ``prepare_check`` and ``run_answer``, and it runs the tests' steps itself
(see "checks" below: nothing in this module decides a check's verdict there).
Output leaves through ``emit(kind, text)``, a JS function of the worker handed
to ``install`` (no importable module offers it). It only accepts stdout / stderr
/ image and enforces the output limits itself: code can reach it through this
module, so the cap on figures below is a courtesy, not the limit.

Each run gets a fresh module namespace; the interpreter (imported modules,
loaded packages) stays warm between runs.
"""

from __future__ import annotations

import ast
import asyncio
import base64
import builtins
import importlib.util
import io
import json
import linecache
import os
import sys
import traceback
import types

MAIN_FILE = "main.py"
TESTS_FILE = "tests.py"
USER_FILES = (MAIN_FILE, TESTS_FILE)
HOME = "/home/pyodide"
MAX_IMAGES = 20
MAX_DETAIL_CHARS = 2000
INPUT_MESSAGE = (
    "input() has no stdin in the SeedUI browser sandbox: the code runs without a keyboard. "
    "Put the values in the code instead."
)

_MPL_BACKEND_SOURCE = '''\
"""matplotlib backend of the SeedUI sandbox: Agg canvas; show() sends the figures out as PNG."""
from matplotlib.backend_bases import FigureManagerBase as FigureManager  # noqa: F401
from matplotlib.backends.backend_agg import FigureCanvasAgg as FigureCanvas  # noqa: F401


def show(*args, **kwargs):
    import _seedui_harness

    _seedui_harness.emit_figures()
'''

_emit = None
_allowed: frozenset[str] = frozenset()
_import_to_package: dict[str, str] = {}
_cdn = ""
_unavailable: dict[str, str] = {}
_images = 0


class _Output(io.TextIOBase):
    """sys.stdout / sys.stderr: every write goes straight to the page, in order."""

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, kind: str) -> None:
        super().__init__()
        self._kind = kind
        self.buffer = _BinaryOutput(self)

    @property
    def name(self) -> str:
        return f"<{self._kind}>"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if text:
            _emit(self._kind, text)
        return len(text)

    def flush(self) -> None:
        pass


class _BinaryOutput(io.RawIOBase):
    def __init__(self, text: _Output) -> None:
        super().__init__()
        self._text = text

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        data = bytes(data)
        self._text.write(data.decode("utf-8", "replace"))
        return len(data)


class _Stdin(io.TextIOBase):
    """An empty stdin: reads return '' (end of file), like `python main.py < /dev/null`."""

    encoding = "utf-8"
    name = "<stdin>"

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        return ""

    def readline(self, size: int | None = -1) -> str:
        return ""


def _input(prompt: object = "") -> str:
    if prompt:
        sys.stdout.write(str(prompt))
    raise EOFError(INPUT_MESSAGE)


def install(emit, config_json: str) -> None:
    """Called once by the worker after Pyodide has loaded."""
    global _emit, _allowed, _import_to_package, _cdn, MAX_IMAGES
    _emit = emit
    config = json.loads(config_json)
    MAX_IMAGES = int(config.get("maxImages", MAX_IMAGES))
    _allowed = frozenset(config["packages"])
    _import_to_package = dict(config["importMap"])
    _cdn = config["cdnUrl"]
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "_seedui_mpl.py"), "w", encoding="utf-8") as fh:
        fh.write(_MPL_BACKEND_SOURCE)
    os.environ["MPLBACKEND"] = "module://_seedui_mpl"
    os.makedirs(HOME, exist_ok=True)


def _reset_io() -> None:
    sys.stdout = _Output("stdout")
    sys.stderr = _Output("stderr")
    sys.stdin = _Stdin()
    builtins.input = _input
    sys.argv = [MAIN_FILE]
    try:
        os.chdir(HOME)
    except OSError:
        pass


def plan(code: str, tests: str) -> str:
    """JSON list of the allowed Pyodide packages the code imports and that are not importable yet."""
    from pyodide.code import find_imports

    names: set[str] = set()
    for source in (code, tests):
        if source:
            try:
                names.update(find_imports(source))
            except SyntaxError:
                pass  # run() reports it
    load = set()
    for name in names:
        top = name.partition(".")[0]
        package = _import_to_package.get(top)
        if package is None or package not in _allowed or top in sys.modules:
            continue
        try:
            if importlib.util.find_spec(top) is not None:
                continue
        except (ImportError, ValueError):
            pass
        load.add(package)
    return json.dumps(sorted(load))


def emit_figures() -> None:
    """Send every open matplotlib figure to the page as a PNG, then close them."""
    global _images
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None:
        return
    for number in plt.get_fignums():
        figure = plt.figure(number)
        if _images < MAX_IMAGES:
            buf = io.BytesIO()
            figure.savefig(buf, format="png", dpi=100, bbox_inches="tight")
            _emit("image", base64.b64encode(buf.getvalue()).decode("ascii"))
            _images += 1
    plt.close("all")


def _why_missing(name: str) -> str:
    allowed = ", ".join(sorted(_allowed)) or "none"
    package = _import_to_package.get(name)
    if package and package in _unavailable:
        return (
            f"The package '{package}' could not be loaded from {_cdn}: {_unavailable[package]}. "
            "Packages beyond the standard library come from the Pyodide CDN, which this browser could not reach."
        )
    if name in sys.stdlib_module_names:
        return f"'{name}' belongs to Python's standard library but is not available in the browser (Pyodide)."
    if package and package not in _allowed:
        return f"'{name}' (Pyodide package '{package}') is not allowed in this sandbox. Allowed packages: {allowed}."
    if package:
        return f"'{name}' is loaded only when the code imports it with a plain `import {name}` statement."
    return (
        f"'{name}' is not available in the browser sandbox: code may import the standard library and "
        f"these packages: {allowed}. Nothing can be installed from PyPI here."
    )


def _error(exc: BaseException) -> dict:
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        exc.__notes__ = [_why_missing(exc.name.partition(".")[0])]
    te = traceback.TracebackException.from_exception(exc)
    frames = list(te.stack)
    first_user = next((i for i, frame in enumerate(frames) if frame.filename in USER_FILES), len(frames))
    here = os.path.abspath(__file__)
    te.stack = traceback.StackSummary.from_list([f for f in frames[first_user:] if f.filename != here])
    return {"type": type(exc).__name__, "message": str(exc), "traceback": "".join(te.format())}


def _compile(source: str, filename: str, rewrite_asserts: bool = False):
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    if not rewrite_asserts:
        return compile(source, filename, "exec", flags=flags, dont_inherit=True)
    tree = ast.parse(source, filename)
    tree = ast.fix_missing_locations(_AssertRewriter(source).visit(tree))
    return compile(tree, filename, "exec", flags=flags, dont_inherit=True)


def _execute(code_object, namespace: dict) -> None:
    _drive(eval(code_object, namespace))  # noqa: S307 - this is the sandbox


def _drive(result):
    """Run a coroutine (top-level await, an async test) to its end; anything else is already done."""
    if asyncio.iscoroutine(result):
        return asyncio.get_event_loop().run_until_complete(result)
    return result


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


def _tail(text: str) -> str:
    return text if len(text) <= MAX_DETAIL_CHARS else "..." + text[-MAX_DETAIL_CHARS:]


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
    """The last failed step's exception, worded (the worker calls this after a step threw)."""
    exc = getattr(sys, "last_exc", None)
    if not isinstance(exc, BaseException):
        raise LookupError("no exception")
    return _tail(_failure_text(name, exc))


# ---- checks ------------------------------------------------------------------------------------
#
# In the browser the worker's JavaScript drives a check, and the runner frame decides the
# verdict: prepare_check runs before the answer's code (in a fresh interpreter), the worker
# sends the plan out, runs the answer with run_answer, then runs each step itself with
# builtins it took at start-up and reports whether it raised. Nothing here decides a verdict
# there; check() below does the same in Python, for tests of this module outside a browser.


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


def _new_module(name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__file__ = os.path.join(HOME, MAIN_FILE)
    module.__builtins__ = builtins
    sys.modules[name] = module
    return module


def prepare_check(tests: str) -> tuple:
    """Compile the tests and plan the steps, before the answer's code runs.

    Returns (plan JSON ``{"error", "tests"}``, the namespace the answer will run in, the
    tests' code object or None, the code objects of the planned tests in plan order).
    """
    namespace = _new_module("solution").__dict__
    try:
        code_object = _compile(tests, TESTS_FILE, rewrite_asserts=True)
    except SyntaxError as exc:
        plan = {"error": "The test code does not compile:\n" + _error(exc)["traceback"], "tests": []}
        return json.dumps(plan), namespace, None, ()
    codes = _code_objects(code_object, {})
    names = [name for name in _planned_tests(ast.parse(tests)) if name in codes]
    namespace[_EXPLAIN] = _explain
    return json.dumps({"error": None, "tests": names}), namespace, code_object, tuple(codes[n] for n in names)


def test_callable(namespace: dict, name: str, expected: types.CodeType):
    """(function, args) for a planned test, if it still is the function tests.py defined."""
    class_name, _, attr = name.rpartition(".")
    owner = namespace.get(class_name) if class_name else None
    function = getattr(owner, attr, None) if type(owner) is type else namespace.get(name)
    if type(function) is not types.FunctionType or function.__code__ is not expected:
        raise RuntimeError(f"{name} is not the function tests.py defines: something replaced it")
    return function, ([owner()] if class_name else [])


def verdict(plan: dict, answer: dict, steps: list[tuple[bool, str]]) -> dict:
    """The check's result from the plan, the answer's outcome and each step's (ok, detail)."""
    if plan["error"]:
        return {"status": "error", "detail": _tail(plan["error"])}
    if not steps:
        if not answer.get("ok"):
            err = answer.get("error") or {}
            text = err.get("traceback") or err.get("message") or ""
            return {"status": "error", "detail": _tail("The answer's code failed before the tests ran:\n" + text)}
        if not answer.get("ranToEnd"):
            return {"status": "error", "detail": "The answer's code called sys.exit() before the tests ran."}
        return {"status": "error", "detail": "The tests did not run."}
    (module_ok, module_detail), tests = steps[0], steps[1:]
    if not module_ok:
        return {"status": "fail", "detail": _tail(module_detail), "passed": 0, "failed": 1}
    if len(tests) < len(plan["tests"]):
        return {"status": "error", "detail": "The check stopped before all tests ran."}
    failures = [detail for ok, detail in tests if not ok]
    passed = len(tests) - len(failures)
    if failures:
        head = f"{len(failures)} of {len(tests)} tests failed\n" if len(tests) > 1 else ""
        return {
            "status": "fail",
            "detail": _tail(head + "\n".join(failures)),
            "passed": passed,
            "failed": len(failures),
        }
    summary = f"{passed} test functions passed" if tests else "all assertions passed"
    return {"status": "pass", "detail": summary, "passed": passed, "failed": 0}


def check(code: str, tests: str, unavailable_json: str) -> dict:
    """A whole check in Python: the steps the worker takes, in the same order."""
    plan_json, namespace, code_object, codes = prepare_check(tests)
    plan = json.loads(plan_json)
    answer = json.loads(run_answer(code, namespace, unavailable_json))
    steps: list[tuple[bool, str]] = []
    if answer["ok"] and answer["ranToEnd"] and code_object is not None:
        for index, name in enumerate([None, *plan["tests"]]):
            try:
                if name is None:
                    _execute(code_object, namespace)
                else:
                    function, args = test_callable(namespace, name, codes[index - 1])
                    _drive(function(*args))
            except BaseException as exc:  # noqa: BLE001 - SystemExit in a test fails it too
                steps.append((False, _tail(_failure_text(name, exc))))
                if name is None:
                    break
            else:
                steps.append((True, ""))
    return {**answer, "check": verdict(plan, answer, steps)}


# ---- running code -------------------------------------------------------------------------------


def run_answer(code: str, namespace: dict | None, unavailable_json: str, mode: str = "check") -> str:
    """Run ``code`` in ``namespace`` (a fresh module's when None). JSON: {ok, error, exitCode, ranToEnd}.

    Called with callPromising, so asyncio.run() and top-level await work (JSPI stack switching).
    """
    global _unavailable, _images
    _unavailable = json.loads(unavailable_json or "{}")
    _images = 0
    _reset_io()
    if namespace is None:
        namespace = _new_module("solution" if mode == "check" else "__main__").__dict__
    outcome: dict = {"ok": True, "error": None, "exitCode": None, "ranToEnd": False}
    try:
        _execute(_compile(code, MAIN_FILE), namespace)
        outcome["ranToEnd"] = True
    except SystemExit as exc:
        status = exc.code
        outcome["exitCode"] = 0 if status is None else status if isinstance(status, int) else 1
        if outcome["exitCode"] != 0:
            if not isinstance(status, int):
                sys.stderr.write(f"{status}\n")
            outcome["ok"] = False
            outcome["error"] = {"type": "SystemExit", "message": f"exit code {outcome['exitCode']}", "traceback": ""}
    except BaseException as exc:  # noqa: BLE001 - report everything the code raised
        outcome["ok"] = False
        outcome["error"] = _error(exc)
    finally:
        try:
            emit_figures()
        except Exception as exc:  # noqa: BLE001
            sys.stderr.write(f"[sandbox] could not render a matplotlib figure: {exc!r}\n")
    return json.dumps(outcome, default=repr)


def run(code: str, tests: str, mode: str, unavailable_json: str) -> str:
    """Run ``code`` in a fresh module; in "check" mode then run ``tests`` against it (see check()).

    Returns JSON: {ok, error, exitCode, ranToEnd, check?}.
    """
    if mode == "check":
        return json.dumps(check(code, tests, unavailable_json), default=repr)
    return run_answer(code, None, unavailable_json, mode)
