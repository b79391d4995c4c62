"""Runs the visitor's Python code inside Pyodide, in the sandbox's Web Worker.

This file is shipped to the browser (inlined into runner.html) and imported
there as ``_seedui_harness``; the server never imports it. The worker script
(py_worker.js) calls ``install`` once, then ``plan`` and ``run`` per run.
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
import time
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
    result = eval(code_object, namespace)  # noqa: S307 - this is the sandbox
    if asyncio.iscoroutine(result):  # top-level await
        asyncio.get_event_loop().run_until_complete(result)


class _AssertRewriter(ast.NodeTransformer):
    """`assert a == b` -> the failure message shows the assert and both values, like pytest."""

    def __init__(self, source: str) -> None:
        self.source = source

    def visit_Assert(self, node: ast.Assert):  # noqa: N802
        text = "assert " + (ast.get_source_segment(self.source, node.test) or ast.unparse(node.test))
        test = node.test
        if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
            if node.msg is None:
                node.msg = ast.Constant(text)
            return node
        # _seedui_compare_(left, right, op, text, msg) evaluates each side once and raises with both values.
        op = type(test.ops[0]).__name__
        call = ast.Call(
            func=ast.Name("_seedui_compare_", ast.Load()),
            args=[test.left, test.comparators[0], ast.Constant(op), ast.Constant(text), node.msg or ast.Constant(None)],
            keywords=[],
        )
        return ast.copy_location(ast.Expr(call), node)


_OPS = {
    "Eq": (lambda a, b: a == b, "=="),
    "NotEq": (lambda a, b: a != b, "!="),
    "Lt": (lambda a, b: a < b, "<"),
    "LtE": (lambda a, b: a <= b, "<="),
    "Gt": (lambda a, b: a > b, ">"),
    "GtE": (lambda a, b: a >= b, ">="),
    "Is": (lambda a, b: a is b, "is"),
    "IsNot": (lambda a, b: a is not b, "is not"),
    "In": (lambda a, b: a in b, "in"),
    "NotIn": (lambda a, b: a not in b, "not in"),
}


def _short_repr(value: object, limit: int = 200) -> str:
    try:
        text = repr(value)
    except Exception as exc:  # noqa: BLE001 - a broken __repr__ must not hide the failure
        text = f"<repr failed: {exc!r}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _compare(left, right, op: str, text: str, msg) -> None:
    check, symbol = _OPS[op]
    if check(left, right):
        return
    detail = f"{text}\n  where left = {_short_repr(left)}, right = {_short_repr(right)}"
    if msg is not None:
        detail = f"{msg}\n{detail}"
    raise AssertionError(detail)


def _test_callables(namespace: dict) -> list[tuple[str, object]]:
    """test_* functions and Test* classes' test_* methods defined in tests.py, in source order."""
    found = []
    for name, value in list(namespace.items()):
        code = getattr(value, "__code__", None)
        if name.startswith("test") and callable(value) and code is not None and code.co_filename == TESTS_FILE:
            found.append((name, value))
        elif isinstance(value, type) and name.startswith("Test") and value.__module__ == namespace.get("__name__"):
            if getattr(value, "__init__", object.__init__) is not object.__init__:
                continue
            for attr, member in vars(value).items():
                member_code = getattr(member, "__code__", None)
                if attr.startswith("test") and member_code is not None and member_code.co_filename == TESTS_FILE:
                    found.append((f"{name}.{attr}", _bound(value, attr)))
    return found


def _bound(cls: type, attr: str):
    def call():
        return getattr(cls(), attr)()

    return call


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


def _run_tests(tests: str, namespace: dict) -> dict:
    try:
        code_object = _compile(tests, TESTS_FILE, rewrite_asserts=True)
    except SyntaxError as exc:
        return {"status": "error", "detail": "The test code does not compile:\n" + _error(exc)["traceback"]}
    namespace["_seedui_compare_"] = _compare
    failures: list[str] = []
    passed = 0
    try:
        _execute(code_object, namespace)
    except Exception as exc:  # noqa: BLE001 - any exception is a failed check
        return {"status": "fail", "detail": _tail(_failure_text(None, exc)), "passed": 0, "failed": 1}
    tests_found = _test_callables(namespace)
    for name, test in tests_found:
        try:
            result = test()
            if asyncio.iscoroutine(result):
                asyncio.get_event_loop().run_until_complete(result)
            passed += 1
        except Exception as exc:  # noqa: BLE001
            failures.append(_failure_text(name, exc))
    if failures:
        head = f"{len(failures)} of {len(tests_found)} tests failed\n" if len(tests_found) > 1 else ""
        return {
            "status": "fail",
            "detail": _tail(head + "\n".join(failures)),
            "passed": passed,
            "failed": len(failures),
        }
    summary = f"{passed} test functions passed" if tests_found else "all assertions passed"
    return {"status": "pass", "detail": summary, "passed": passed, "failed": 0}


def run(code: str, tests: str, mode: str, unavailable_json: str) -> str:
    """Run ``code`` in a fresh module; in "check" mode then run ``tests`` against it.

    Returns JSON: {ok, error, exitCode, check?}. Called with callPromising, so
    asyncio.run() and top-level await work (JSPI stack switching).
    """
    global _unavailable, _images
    _unavailable = json.loads(unavailable_json or "{}")
    _images = 0
    _reset_io()
    module_name = "solution" if mode == "check" else "__main__"
    module = types.ModuleType(module_name)
    module.__file__ = os.path.join(HOME, MAIN_FILE)
    module.__builtins__ = builtins
    sys.modules[module_name] = module
    namespace = module.__dict__
    outcome: dict = {"ok": True, "error": None, "exitCode": None}
    ran_to_end = False
    try:
        _execute(_compile(code, MAIN_FILE), namespace)
        ran_to_end = True
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
    if mode == "check":
        if outcome["error"] is not None:
            err = outcome["error"]
            outcome["check"] = {
                "status": "error",
                "detail": _tail(
                    "The answer's code failed before the tests ran:\n" + (err["traceback"] or err["message"])
                ),
            }
        elif not ran_to_end:
            outcome["check"] = {
                "status": "error",
                "detail": "The answer's code called sys.exit() before the tests ran.",
            }
        else:
            started = time.perf_counter()
            outcome["check"] = _run_tests(tests, namespace)
            outcome["check"]["testsMs"] = round((time.perf_counter() - started) * 1000, 1)
    return json.dumps(outcome, default=repr)
