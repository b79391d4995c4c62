"""The server side of the sandbox: routes, headers, CSP, head tags, and the Python harness run in CPython."""

from __future__ import annotations

import base64
import builtins
import gzip
import importlib.util
import json
import os
import sys
import types
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from seedui import sandbox
from seedui.render import LANG_ALIASES

CDN = "https://cdn.example.org/pyodide/v{version}/full/"


def fake_pyodide(folder: Path, version: str = sandbox.PYODIDE_VERSION) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in sandbox.PYODIDE_FILES:
        (folder / name).write_bytes(b"x" * 10)
    (folder / "package.json").write_text(json.dumps({"name": "pyodide", "version": version}))
    return folder


def client(pyodide_dir: Path | None, **kwargs) -> TestClient:
    app = FastAPI()

    @app.get("/{path:path}")  # a catch-all like a Gradio mount at "/": mount() must come first
    def catch_all(path: str):
        return {"caught": path}

    sandbox.mount(app, pyodide_dir=pyodide_dir, cdn_url=CDN, timeout_s=7, **kwargs)
    return TestClient(app, base_url="http://app.test:7860")


def csp(response) -> dict[str, list[str]]:
    policy = {}
    for part in response.headers["content-security-policy"].split(";"):
        name, *values = part.split()
        policy[name] = values
    return policy


def test_local_copy_is_served_with_cors_on_that_route_only(tmp_path):
    c = client(fake_pyodide(tmp_path / "pyodide"))
    wasm = c.get(f"/seedui/pyodide/v{sandbox.PYODIDE_VERSION}/pyodide.asm.wasm", headers={"Origin": "null"})
    assert wasm.status_code == 200
    assert wasm.headers["content-type"] == "application/wasm"
    assert wasm.headers["access-control-allow-origin"] == "*"
    assert "immutable" in wasm.headers["cache-control"]
    mjs = c.get(f"/seedui/pyodide/v{sandbox.PYODIDE_VERSION}/pyodide.mjs")
    assert mjs.headers["content-type"].startswith("text/javascript")
    for path in ("/seedui/sandbox/runner.html", "/seedui/sandbox/seedui.js", "/seedui/sandbox/preview.html"):
        response = c.get(path, headers={"Origin": "null"})
        assert response.status_code == 200, path
        assert "access-control-allow-origin" not in response.headers, path
        assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/seedui/pyodide/v{v}/README.md",
        "/seedui/pyodide/v{v}/..%2Fpackage.json",
        "/seedui/pyodide/v{v}/snapshot.bin",
        "/seedui/sandbox/harness.py",
        "/seedui/sandbox/..%2F__init__.py",
    ],
)
def test_only_known_files_are_served(tmp_path, path):
    c = client(fake_pyodide(tmp_path / "pyodide"))
    response = c.get(path.format(v=sandbox.PYODIDE_VERSION))
    assert response.status_code == 404 or "caught" in response.text


def test_no_local_copy_means_no_pyodide_route_and_cdn_in_csp(tmp_path):
    c = client(None)
    assert "caught" in c.get(f"/seedui/pyodide/v{sandbox.PYODIDE_VERSION}/pyodide.mjs").text
    runner = c.get("/seedui/sandbox/runner.html")
    cdn = CDN.replace("{version}", sandbox.PYODIDE_VERSION)
    policy = csp(runner)
    assert policy["connect-src"] == [cdn]
    config = json.loads(runner.text.split('id="seedui-runner-config">')[1].split("</script>")[0])
    assert config["indexURL"] == cdn and config["local"] is False and config["snapshot"] is None
    assert config["timeoutMs"] == 7000


def test_wrong_version_or_incomplete_copy_falls_back_to_the_cdn(tmp_path):
    assert sandbox.local_pyodide(fake_pyodide(tmp_path / "old", version="0.1.0")) is None
    incomplete = fake_pyodide(tmp_path / "partial")
    (incomplete / "pyodide.asm.wasm").unlink()
    assert sandbox.local_pyodide(incomplete) is None
    assert sandbox.local_pyodide(None) is None


def test_runner_csp_limits_requests_to_pyodide_folders_not_the_app(tmp_path):
    c = client(fake_pyodide(tmp_path / "pyodide"))
    policy = csp(c.get("/seedui/sandbox/runner.html"))
    local = f"app.test:7860/seedui/pyodide/v{sandbox.PYODIDE_VERSION}/"
    assert policy["default-src"] == ["'none'"]
    assert policy["sandbox"] == ["allow-scripts"]
    assert policy["connect-src"] == [
        f"https://{local}",
        f"http://{local}",
        CDN.replace("{version}", sandbox.PYODIDE_VERSION),
    ]
    assert all("/gradio_api" not in src and not src.endswith(":7860") for src in policy["script-src"])
    assert policy["worker-src"] == ["blob:"]
    assert policy["form-action"] == ["'none'"] and policy["base-uri"] == ["'none'"]


def test_preview_csp_allows_inline_script_but_no_network(tmp_path):
    response = client(None).get("/seedui/sandbox/preview.html")
    assert response.headers["x-dns-prefetch-control"] == "off"
    policy = csp(response)
    assert "'unsafe-inline'" in policy["script-src"]
    assert policy["connect-src"] == ["'none'"]
    assert policy["default-src"] == ["'none'"]
    assert policy["sandbox"] == ["allow-scripts"]
    assert not any(src.startswith("http") for values in policy.values() for src in values)


def test_snapshot_is_served_gzipped_only_with_its_metadata(tmp_path):
    folder = fake_pyodide(tmp_path / "pyodide")
    (folder / sandbox.SNAPSHOT_FILE).write_bytes(gzip.compress(b"snapshot bytes"))
    assert (
        json.loads(client(folder).get("/seedui/sandbox/runner.html").text.split('config">')[1].split("<")[0])[
            "snapshot"
        ]
        is None
    )  # no snapshot.json: not used
    (folder / sandbox.SNAPSHOT_META).write_text(json.dumps({"pyodide": sandbox.PYODIDE_VERSION, "jspi": True}))
    c = client(folder)
    config = json.loads(c.get("/seedui/sandbox/runner.html").text.split('config">')[1].split("</script>")[0])
    assert config["snapshot"] == {"url": f"../pyodide/v{sandbox.PYODIDE_VERSION}/snapshot.bin", "jspi": True}
    snap = c.get(f"/seedui/pyodide/v{sandbox.PYODIDE_VERSION}/snapshot.bin")
    assert snap.headers["content-encoding"] == "gzip" and snap.content == b"snapshot bytes"
    assert snap.headers["access-control-allow-origin"] == "*"
    assert (
        json.loads(
            client(folder, snapshot=False)
            .get("/seedui/sandbox/runner.html")
            .text.split('config">')[1]
            .split("</script>")[0]
        )["snapshot"]
        is None
    )


def test_runner_config_is_inert_inside_its_script_tag(tmp_path):
    text = client(None).get("/seedui/sandbox/runner.html").text
    config_part = text.split('id="seedui-runner-config">')[1].split("</script>")[0]
    assert "<" not in config_part  # the inlined worker sources contain "</script" nowhere once escaped
    config = json.loads(config_part)
    assert "importScripts" not in config["pyWorker"]
    assert "def run(" in config["harness"]


def test_head_html_tags_and_config():
    html = sandbox.head_html(timeout_s=2.5, cdn_url=CDN, prewarm="load")
    assert '<script src="seedui/sandbox/seedui.js" data-seedui-config="' in html
    assert '<link rel="stylesheet" href="seedui/sandbox/seedui.css">' in html
    attr = html.split('data-seedui-config="')[1].split('"')[0].replace("&quot;", '"')
    config = json.loads(attr)
    assert config == {
        "timeoutMs": 2500,
        "prewarm": "load",
        "version": sandbox.PYODIDE_VERSION,
        "cdnUrl": CDN.replace("{version}", sandbox.PYODIDE_VERSION),
        "maxImages": sandbox.MAX_IMAGES,
        "maxImageChars": sandbox.MAX_IMAGE_CHARS,
        "languages": {"html": "html", "javascript": "javascript", "python": "python", **LANG_ALIASES},
    }
    with pytest.raises(ValueError):
        sandbox.head_html(prewarm="always")
    with pytest.raises(ValueError):
        sandbox.head_html(timeout_s=0)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://cdn.example.org/x/",
        "https://cdn.example.org/x/?a=1",
        "https://cdn.example.org/x y/",
        "https://a.org/'x'/",
    ],
)
def test_cdn_url_must_be_a_plain_folder_url(url):
    with pytest.raises(ValueError):
        sandbox.cdn_base(url)


def test_cdn_url_gets_version_and_slash():
    assert sandbox.cdn_base("https://cdn.example.org/p/v{version}/full") == (
        f"https://cdn.example.org/p/v{sandbox.PYODIDE_VERSION}/full/"
    )


# ---- the harness (runs in Pyodide; its pure-Python parts also run in CPython) -----------------------------


@pytest.fixture
def harness(monkeypatch, tmp_path):
    spec = importlib.util.spec_from_file_location("_seedui_harness_test", sandbox.STATIC_DIR / "harness.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
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
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    module.out = out
    return module


def run_check(harness, code: str, tests: str) -> dict:
    return json.loads(harness.run(code, tests, "check", "{}"))["check"]


def test_harness_run_streams_output_and_trims_the_traceback(harness):
    result = json.loads(harness.run("print('a')\nimport sys\nprint('b', file=sys.stderr)\n1/0\n", "", "run", "{}"))
    assert harness.out == [("stdout", "a"), ("stdout", "\n"), ("stderr", "b"), ("stderr", "\n")]
    assert result["ok"] is False
    tb = result["error"]["traceback"]
    assert tb.startswith('Traceback (most recent call last):\n  File "main.py", line 4, in <module>')
    assert "harness" not in tb


def test_harness_input_raises_a_clear_eoferror(harness):
    result = json.loads(harness.run("input('? ')", "", "run", "{}"))
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
    result = json.loads(harness.run(code, "", "run", "{}"))
    assert message in result["error"]["traceback"]


def test_harness_check_pass_fail_error(harness):
    tests = (
        "assert add(1, 2) == 3\n\n"
        "def test_more():\n    assert add(2, 2) == 4\n\n"
        "class TestAdd:\n    def test_zero(self):\n        assert add(0, 0) == 0\n"
    )
    passed = run_check(harness, "def add(a, b):\n    return a + b\n", tests)
    assert passed["status"] == "pass" and passed["passed"] == 2
    failed = run_check(harness, "def add(a, b):\n    return a * b\n", tests)
    assert failed["status"] == "fail"
    assert failed["detail"].startswith("assert add(1, 2) == 3\n  where left = 2, right = 3")
    error = run_check(harness, "def add(a, b):\n    return a +\n", tests)
    assert error["status"] == "error" and "SyntaxError" in error["detail"]
    exits = run_check(harness, "import sys\nsys.exit(0)\n", tests)
    assert exits["status"] == "error" and "sys.exit()" in exits["detail"]
    bad_tests = run_check(harness, "def add(a, b):\n    return a + b\n", "assert (\n")
    assert bad_tests["status"] == "error" and "test code does not compile" in bad_tests["detail"]


def test_harness_check_skips_the_main_guard_and_counts_failing_test_functions(harness):
    code = "def add(a, b):\n    return a + b if a >= 0 else 0\n\nif __name__ == '__main__':\n    input()\n"
    tests = "def test_pos():\n    assert add(1, 1) == 2\n\ndef test_neg():\n    assert add(-1, -1) == -2, 'negatives'\n"
    result = run_check(harness, code, tests)
    assert result["status"] == "fail" and result["passed"] == 1 and result["failed"] == 1
    assert "1 of 2 tests failed" in result["detail"]
    assert "test_neg: negatives\nassert add(-1, -1) == -2\n  where left = 0, right = -2" in result["detail"]
    assert "tests.py, line 5" in result["detail"]


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


def test_harness_assert_rewrite_evaluates_each_side_once(harness):
    tests = "calls = []\ndef f():\n    calls.append(1)\n    return 1\nassert f() == 1\nassert calls == [1]\n"
    assert run_check(harness, "x = 1\n", tests)["status"] == "pass"


def test_harness_rewritten_assert_fails_even_with_its_helper_replaced(harness):
    # The helper only words the message; the comparison is in the test's own code.
    tests = "_seedui_explain_ = lambda *args: None\nassert 1 == 2\n"
    assert run_check(harness, "x = 1\n", tests)["status"] == "fail"
    tests = "def test_it():\n    global _seedui_explain_\n    _seedui_explain_ = None\n    assert [1] == [2]\n"
    assert run_check(harness, "x = 1\n", tests)["status"] == "fail"


def test_harness_plans_test_functions_before_the_answer_runs(harness):
    tests = (
        "def test_a():\n    pass\n\n@staticmethod\ndef test_decorated():\n    pass\n\n"
        "class TestB:\n    def test_c(self):\n        pass\n\n"
        "class TestWithInit:\n    def __init__(self):\n        pass\n    def test_d(self):\n        pass\n"
    )
    plan_json, namespace, code_object, codes = harness.prepare_check(tests)
    assert json.loads(plan_json) == {"error": None, "tests": ["test_a", "TestB.test_c"]}
    assert [code.co_qualname for code in codes] == ["test_a", "TestB.test_c"]
    assert "test_a" not in namespace  # nothing has run yet
    replaced = "def add():\n    pass\n\ntest_a = lambda: None\n"
    result = run_check(harness, replaced, "def test_a():\n    pass\n\nadd()\ntest_a = lambda: None\n")
    assert result["status"] == "fail" and "test_a is not the function tests.py defines" in result["detail"]
