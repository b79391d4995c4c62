"""Runs the visitor's Python code inside Pyodide, in the sandbox's Web Worker.

This file is shipped to the browser (in runner.html's config) and imported there
as ``_seedui_harness``; the server never imports it. The worker script
(worker/python.mjs) calls ``install`` once, then ``plan`` and ``run`` per run. A
check also uses ``_seedui_check`` (harness_check.py): its plan and the wording of
its failures; the worker runs the tests' steps itself and the runner frame
decides the verdict. Output leaves through ``emit(kind, text)``, a JS function of
the worker handed to ``install`` (no importable module offers it). It only
accepts stdout / stderr / image and enforces the output limits itself: code can
reach it through this module, so the cap on figures below is a courtesy, not the
limit.

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
MAX_IMAGES = 20  # the courtesy cap on figures; install() takes the server's
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
    te.stack = traceback.StackSummary.from_list([f for f in frames[first_user:] if not _ours(f.filename)])
    return {"type": type(exc).__name__, "message": str(exc), "traceback": "".join(te.format())}


def _ours(filename: str) -> bool:
    """A frame of the harness's own files (this one, harness_check.py), kept out of the tracebacks shown."""
    return os.path.dirname(os.path.abspath(filename)) == os.path.dirname(os.path.abspath(__file__))


def _compile(source: str, filename: str, transform: ast.NodeTransformer | None = None):
    """Compile ``source`` as ``filename`` (its lines kept for tracebacks); ``transform`` rewrites its syntax tree."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    if transform is None:
        return compile(source, filename, "exec", flags=flags, dont_inherit=True)
    tree = ast.fix_missing_locations(transform.visit(ast.parse(source, filename)))
    return compile(tree, filename, "exec", flags=flags, dont_inherit=True)


def _execute(code_object, namespace: dict) -> None:
    _drive(eval(code_object, namespace))  # noqa: S307 - this is the sandbox


def _drive(result):
    """Run a coroutine (top-level await, an async test) to its end; anything else is already done."""
    if asyncio.iscoroutine(result):
        return asyncio.get_event_loop().run_until_complete(result)
    return result


def new_module(name: str) -> types.ModuleType:
    """A fresh module for the answer (``__main__`` for a run, ``solution`` for a check), known to sys.modules."""
    module = types.ModuleType(name)
    module.__file__ = os.path.join(HOME, MAIN_FILE)
    module.__builtins__ = builtins
    sys.modules[name] = module
    return module


def run_answer(code: str, namespace: dict | None, unavailable_json: str, mode: str = "check") -> str:
    """Run ``code`` in ``namespace`` (a fresh module's when None). JSON: {ok, error, exitCode, ranToEnd}.

    Called with callPromising, so asyncio.run() and top-level await work (JSPI stack switching).
    """
    global _unavailable, _images
    _unavailable = json.loads(unavailable_json or "{}")
    _images = 0
    _reset_io()
    if namespace is None:
        namespace = new_module("solution" if mode == "check" else "__main__").__dict__
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


def run(code: str, unavailable_json: str) -> str:
    """Run ``code`` as ``__main__`` in a fresh module. JSON: {ok, error, exitCode, ranToEnd}."""
    return run_answer(code, None, unavailable_json, "run")
