"""The sandbox in a real browser: headless Chromium, Pyodide from the local copy, no network."""

from __future__ import annotations

import json
import time

import pytest

from seedui import sandbox

from .conftest import open_page, run_code, run_in_block

pytestmark = pytest.mark.browser


def needs_fixture_page(server) -> None:
    if not server.fixture_page:
        pytest.skip("needs the fixture page's code blocks and canary routes")


def panel_of(page, block_id: str):
    return page.locator(f"#{block_id} + .seedui-output")


def wait_state(page, block_id: str, states: tuple[str, ...], timeout_ms: int = 60_000) -> str:
    page.wait_for_function(
        """([id, states]) => {
            const p = document.querySelector('#' + id + ' + .seedui-output');
            return p && states.includes(p.getAttribute('data-state'));
        }""",
        arg=[block_id, list(states)],
        timeout=timeout_ms,
    )
    return panel_of(page, block_id).get_attribute("data-state")


def app_state(page) -> dict:
    """What an escape would change: the page's cookies, storage, URL, DOM and the message filter."""
    return page.evaluate(
        """() => ({
            cookie: document.cookie,
            storage: Object.fromEntries(Object.keys(localStorage).map(k => [k, localStorage.getItem(k)])),
            url: location.href,
            pwned: document.body.innerText.includes('PWNED') || !!window.__pwned || !!window.__xss,
            title: document.title,
            rejected: window.seedui.stats.rejectedMessages,
        })"""
    )


# ---- Python --------------------------------------------------------------------------------------


def test_hello_world_button_streams_stdout_and_stderr_in_order(page, sandbox_server):
    needs_fixture_page(sandbox_server)
    page.click("#py-hello .seedui-run")
    assert wait_state(page, "py-hello", ("ok", "error")) == "ok"
    spans = page.eval_on_selector_all(
        "#py-hello + .seedui-output .seedui-stream > span", "els => els.map(e => [e.className, e.textContent])"
    )
    assert spans == [
        ["seedui-stdout", "hello from python\n"],
        ["seedui-stderr", "to stderr\n"],
        ["seedui-stdout", "after\n"],
    ]
    panel = panel_of(page, "py-hello")
    assert panel.locator(".seedui-status").inner_text() == "Finished"
    assert panel.locator(".seedui-duration").inner_text().strip()  # e.g. "12 ms (+1.20 s to start)"
    assert panel.locator(".seedui-stop").is_disabled()


def test_api_keeps_stdout_and_stderr_apart_and_in_order(shared_page):
    code = "import sys\nfor i in range(3):\n    print('out', i)\n    print('err', i, file=sys.stderr)\n"
    events = shared_page.evaluate(
        """async (code) => {
            const events = [];
            const r = await window.seedui.run({language: 'python', code, onEvent: e => {
                if (e.type === 'stdout' || e.type === 'stderr') events.push([e.type, e.text]);
            }});
            return {events, r};
        }""",
        code,
    )
    result = events["r"]
    assert result["ok"] is True and result["error"] is None and result["timedOut"] is False
    assert result["stdout"] == "out 0\nout 1\nout 2\n"
    assert result["stderr"] == "err 0\nerr 1\nerr 2\n"
    assert result["durationMs"] >= 0
    merged: list[list[str]] = []  # consecutive writes of one stream joined
    for kind, text in events["events"]:
        if merged and merged[-1][0] == kind:
            merged[-1][1] += text
        else:
            merged.append([kind, text])
    assert merged == [[k, f"{n} {i}\n"] for i in range(3) for k, n in (("stdout", "out"), ("stderr", "err"))]


def test_exception_shows_traceback_of_the_user_code(shared_page):
    result = run_code(shared_page, "python", "def f(x):\n    return 1 / x\n\nprint('before')\nf(0)\n")
    assert result["ok"] is False
    assert result["stdout"] == "before\n"
    error = result["error"]
    assert error.startswith("Traceback (most recent call last):")
    assert 'File "main.py", line 5, in <module>' in error
    assert 'File "main.py", line 2, in f' in error
    assert "return 1 / x" in error
    assert error.rstrip().endswith("ZeroDivisionError: division by zero")
    assert "_seedui_harness" not in error and "pyodide" not in error.lower()


def test_syntax_error_is_reported(shared_page):
    result = run_code(shared_page, "python", "print('a'\n")
    assert result["ok"] is False
    assert "SyntaxError" in result["error"] and "main.py" in result["error"]


def test_input_fails_clearly(shared_page):
    result = run_code(shared_page, "python", "name = input('Your name? ')\nprint('hi', name)\n")
    assert result["ok"] is False
    assert result["stdout"] == "Your name? "
    assert "EOFError: input() has no stdin in the SeedUI browser sandbox" in result["error"]


def test_each_run_gets_a_fresh_namespace_on_a_warm_interpreter(shared_page):
    first = run_code(shared_page, "python", "secret_value = 42\nimport json\nprint(__name__)\n")
    assert first["ok"] and first["stdout"] == "__main__\n"
    second = run_code(shared_page, "python", "print('secret_value' in globals(), 'json' in globals())\n")
    assert second["stdout"] == "False False\n"
    assert "boot" not in second  # no new interpreter was started


def test_asyncio_and_top_level_await(shared_page):
    code = (
        "import asyncio\nasync def main():\n    await asyncio.sleep(0.01)\n    return 7\nprint(asyncio.run(main()))\n"
    )
    assert run_code(shared_page, "python", code)["stdout"] == "7\n"
    tla = run_code(shared_page, "python", "import asyncio\nawait asyncio.sleep(0.01)\nprint('awaited')\n")
    assert tla["stdout"] == "awaited\n"


def test_sys_exit(shared_page):
    assert run_code(shared_page, "python", "import sys\nprint('x')\nsys.exit(0)\nprint('y')")["ok"] is True
    failed = run_code(shared_page, "python", "import sys\nsys.exit(3)")
    assert failed["ok"] is False and failed["exitCode"] == 3


def test_packages_offline_and_not_allowed_say_so(shared_page):
    numpy = run_code(shared_page, "python", "import numpy as np\nprint(np.arange(3))\n")
    assert numpy["ok"] is False
    assert "ModuleNotFoundError" in numpy["error"]
    assert "The package 'numpy' could not be loaded from http://127.0.0.1:" in numpy["error"]
    assert "Pyodide CDN" in numpy["error"]
    assert numpy["unavailablePackages"] == ["numpy"]
    requests = run_code(shared_page, "python", "import requests\n")
    assert "'requests' (Pyodide package 'requests') is not allowed in this sandbox" in requests["error"]
    unknown = run_code(shared_page, "python", "import flask_magic_thing\n")
    assert "not available in the browser sandbox" in unknown["error"]
    assert "Nothing can be installed from PyPI here" in unknown["error"]


def test_output_is_escaped_never_html(page, sandbox_server):
    needs_fixture_page(sandbox_server)
    page.click("#py-html-text .seedui-run")
    assert wait_state(page, "py-html-text", ("ok", "error")) == "error"
    panel = panel_of(page, "py-html-text")
    assert panel.locator(".seedui-stream").inner_text().startswith('<img src=x onerror="window.__xss=1"><b>bold</b>')
    assert "<script>window.__xss=2</script>" in panel.locator(".seedui-error").inner_text()
    assert panel.locator("img, b, script").count() == 0
    assert page.evaluate("window.__xss") is None


# 1x1 PNG, as matplotlib figures arrive (the emit path of the sandbox's matplotlib backend).
PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="


def test_images_from_python_show_as_images_and_bad_ones_are_dropped(page, sandbox_server):
    needs_fixture_page(sandbox_server)
    code = (
        "import _seedui_harness\n"  # the worker's output function, as any code can reach it
        f"_seedui_harness._emit('image', '{PNG_B64}')\n"
        "_seedui_harness._emit('image', 'x\" onerror=\"window.__xss=3')\n"
        "_seedui_harness._emit('script', 'window.__xss=4')\n"
        "print('after')\n"
    )
    result = run_code(page, "python", code)
    assert result["ok"] is True
    assert result["images"] == ["data:image/png;base64," + PNG_B64]
    assert result["stdout"] == "after\n"
    run_in_block(page, "py-hello", code)
    assert wait_state(page, "py-hello", ("ok", "error")) == "ok"
    imgs = panel_of(page, "py-hello").locator("img")
    assert imgs.count() == 1
    assert imgs.first.get_attribute("src") == "data:image/png;base64," + PNG_B64
    page.wait_for_function("document.querySelector('#py-hello + .seedui-output img').complete")
    assert page.evaluate("document.querySelector('#py-hello + .seedui-output img').naturalWidth") == 1
    assert page.evaluate("window.__xss") is None


# ---- time limit, Stop, responsiveness ----------------------------------------------------------------


def test_endless_loop_is_killed_page_stays_responsive_next_run_works(page):
    page.evaluate(
        "window.__loop = window.seedui.run("
        "{language: 'python', code: 'print(1)\\nwhile True:\\n    pass', timeoutMs: 1500})"
    )
    # While Python spins in its worker, the page still runs timers and answers.
    ticks = page.evaluate(
        """async () => {
            let ticks = 0;
            const t0 = performance.now();
            while (performance.now() - t0 < 600) { await new Promise(r => setTimeout(r, 20)); ticks++; }
            return ticks;
        }"""
    )
    assert ticks >= 10
    result = page.evaluate("window.__loop.then(({frame, ...r}) => r)")
    assert result["timedOut"] is True and result["ok"] is False
    assert result["stdout"] == "1\n"
    assert "time limit" in result["error"]
    assert 1400 <= result["durationMs"] < 10_000
    after = run_code(page, "python", "print('alive')")
    assert after["ok"] is True and after["stdout"] == "alive\n"


def test_stop_button_kills_the_run(page, sandbox_server):
    needs_fixture_page(sandbox_server)
    page.click("#py-loop .seedui-run")
    page.wait_for_function(
        "() => (document.querySelector('#py-loop + .seedui-output .seedui-stream')?.textContent || '')"
        ".includes('looping')",
        timeout=60_000,
    )
    assert panel_of(page, "py-loop").get_attribute("data-state") == "running"
    page.click("#py-loop + .seedui-output .seedui-stop")
    assert wait_state(page, "py-loop", ("stopped", "ok", "error", "timeout"), timeout_ms=5_000) == "stopped"
    page.click("#py-hello .seedui-run")
    assert wait_state(page, "py-hello", ("ok", "error")) == "ok"


def test_javascript_endless_loop_is_killed(shared_page):
    result = run_code(shared_page, "javascript", "console.log('spin'); while (true) {}", timeout_ms=1000)
    assert result["timedOut"] is True and result["stdout"] == "spin\n"
    assert run_code(shared_page, "javascript", "console.log('next')")["stdout"] == "next\n"


# ---- JavaScript and HTML ---------------------------------------------------------------------------------


def test_javascript_console_and_errors(shared_page):
    ok = run_code(
        shared_page, "javascript", "console.log('a', 1 + 1, {x: [1, 'b']}); console.error('oops'); console.log('c')"
    )
    assert ok["ok"] is True
    assert ok["stdout"] == "a 2 { x: [ 1, 'b' ] }\nc\n"
    assert ok["stderr"] == "oops\n"
    later = run_code(shared_page, "javascript", "setTimeout(() => console.log('later'), 50); console.log('now')")
    assert later["stdout"] == "now\nlater\n"
    failed = run_code(shared_page, "javascript", "function f() { throw new TypeError('bad thing') }\nf()")
    assert failed["ok"] is False
    assert failed["error"].startswith("TypeError: bad thing\n    at f (main.js:1:")
    assert "blob:" not in failed["error"]


def test_javascript_button_runs(page, sandbox_server):
    needs_fixture_page(sandbox_server)
    page.click("#js-hello .seedui-run")
    assert wait_state(page, "js-hello", ("ok", "error")) == "ok"
    assert panel_of(page, "js-hello").locator(".seedui-stream").inner_text() == "hello from js 2\njs error line\n"


def test_html_preview_renders_in_its_own_sandboxed_frame(page, sandbox_server):
    needs_fixture_page(sandbox_server)
    page.click("#html-hello .seedui-run")
    assert wait_state(page, "html-hello", ("ok", "error")) == "ok"
    frame_el = panel_of(page, "html-hello").locator("iframe.seedui-preview-frame")
    assert frame_el.get_attribute("sandbox") == "allow-scripts"
    frame = frame_el.element_handle().content_frame()
    frame.wait_for_function("document.body && document.body.innerText.includes('script ran')")
    assert frame.evaluate("document.querySelector('h1').textContent") == "Preview"
    assert frame.evaluate("origin") == "null"
    page.click("#html-hello + .seedui-output .seedui-stop")
    assert wait_state(page, "html-hello", ("stopped",), timeout_ms=5_000) == "stopped"
    assert panel_of(page, "html-hello").locator("iframe").count() == 0


def test_looping_html_preview_stalls_neither_the_page_nor_python(page):
    # Chromium runs sandboxed frames of one site in one process: the loop also stalls the
    # runner frame, so the page notices, removes the previews and starts a new runner.
    page.evaluate(
        "() => { const c = document.createElement('div'); c.id = 'spin'; document.body.append(c);"
        " window.seedui.run({language: 'html', container: c,"
        " code: '<script>setTimeout(() => { while (true) {} }, 50)</script>'}); }"
    )
    page.wait_for_timeout(1000)
    ticks = page.evaluate(
        """async () => {
            let ticks = 0;
            const t0 = performance.now();
            while (performance.now() - t0 < 500) { await new Promise(r => setTimeout(r, 20)); ticks++; }
            return ticks;
        }"""
    )
    assert ticks >= 8
    result = run_code(page, "python", "print('still here')")
    assert result["ok"] is True and result["stdout"] == "still here\n", result
    assert page.locator("#spin iframe").count() == 0


def test_copy_button_copies_the_code(page, sandbox_server):
    needs_fixture_page(sandbox_server)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.click("#py-hello .seedui-copy")
    page.wait_for_function("document.querySelector('#py-hello .seedui-copy').textContent === 'Copied'")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.evaluate("document.querySelector('#py-hello .highlight pre').textContent")
    assert copied.startswith("import sys\n")


# ---- isolation: every escape attempt leaves the app as it was ------------------------------------------

PY_ESCAPE = """
import js, json
from pyodide.ffi import to_js
out = {}
def attempt(name, fn):
    try:
        out[name] = "REACHED " + str(fn())
    except BaseException as e:
        out[name] = "blocked " + type(e).__name__
attempt("cookie", lambda: js.document.cookie)
attempt("localStorage", lambda: js.localStorage.getItem("seedui_secret"))
attempt("parent", lambda: js.parent.document.body.append("PWNED"))
attempt("top", lambda: setattr(js.top.location, "href", "https://example.com/"))
attempt("open", lambda: js.open("https://example.com/"))
attempt("indexedDB", lambda: js.indexedDB.open("x"))
for i, url in enumerate(CANARIES):
    try:
        r = await js.fetch(url, to_js({"method": "POST", "body": "x"}, dict_converter=js.Object.fromEntries))
        out["fetch%d" % i] = "REACHED " + str(r.status)
    except BaseException as e:
        out["fetch%d" % i] = "blocked " + type(e).__name__
    try:
        x = js.XMLHttpRequest.new()
        x.open("GET", url, False)
        x.send()
        out["xhr%d" % i] = "REACHED " + str(x.status)
    except BaseException as e:
        out["xhr%d" % i] = "blocked " + type(e).__name__
# A forged result posted where the page might listen: the worker's global channel.
js.postMessage(to_js({"type": "done", "result": {"ok": True}, "runId": "x"}, dict_converter=js.Object.fromEntries))
forged = {"type": "seedui-run-event", "event": {"kind": "output", "chunks": [["stdout", "FORGED"]]}}
js.postMessage(to_js(forged, dict_converter=js.Object.fromEntries))
print(json.dumps(out))
"""

JS_ESCAPE = """
const out = {};
const attempt = (name, fn) => {
  try { out[name] = 'REACHED ' + String(fn()); } catch (e) { out[name] = 'blocked ' + e.name; }
};
attempt('cookie', () => document.cookie);
attempt('localStorage', () => localStorage.getItem('seedui_secret'));
attempt('parent', () => parent.document.body.append('PWNED'));
attempt('top', () => { top.location = 'https://example.com/'; });
attempt('open', () => window.open('https://example.com/'));
attempt('indexedDB', () => indexedDB.open('x'));
attempt('postMessage', () => { self.postMessage({type: 'done', result: {ok: true}}); return 'posted to nobody'; });
for (const [i, url] of CANARIES.entries()) {
  try { const r = await fetch(url, {method: 'POST', body: 'x'}); out['fetch' + i] = 'REACHED ' + r.status; }
  catch (e) { out['fetch' + i] = 'blocked ' + e.name; }
  try { const r = await fetch(url, {mode: 'no-cors'}); out['nocors' + i] = 'REACHED ' + r.type; }
  catch (e) { out['nocors' + i] = 'blocked ' + e.name; }
  out['ws' + i] = await new Promise((resolve) => {
    try {
      const ws = new WebSocket(url.replace('http', 'ws'));
      ws.onopen = () => resolve('REACHED open');
      ws.onerror = () => resolve('blocked error');
    } catch (e) { resolve('blocked ' + e.name); }
  });
  try { importScripts(url); out['import' + i] = 'REACHED'; } catch (e) { out['import' + i] = 'blocked ' + e.name; }
}
console.log(JSON.stringify(out));
"""

HTML_ESCAPE = """<!doctype html><html><body><h1>attack</h1>
<img src="CANARY0"><img src="CANARY1">
<form id="f" method="post" action="CANARY1"><input name="a" value="b"></form>
<script>
const out = {};
const attempt = (name, fn) => {
  try { out[name] = 'REACHED ' + String(fn()); } catch (e) { out[name] = 'blocked ' + e.name; }
};
attempt('cookie', () => document.cookie);
attempt('localStorage', () => localStorage.getItem('seedui_secret'));
attempt('parentDocument', () => parent.document.body.append('PWNED'));
attempt('parentSeedui', () => parent.seedui.run({language: 'python', code: 'print(1)'}));
attempt('top', () => { top.location = 'https://example.com/'; });
attempt('open', () => { const w = window.open('https://example.com/'); return w === null ? 'null' : 'window'; });
try { document.getElementById('f').submit(); out.form = 'attempted'; } catch (e) { out.form = 'blocked ' + e.name; }
// Forged messages in the shape the page expects from its runner.
for (const runId of window.GUESSES) {
  parent.postMessage({type: 'seedui-run-event', runId, nonce: 'guess', event: {kind: 'done', result: {ok: true}}}, '*');
}
parent.postMessage({type: 'seedui-runner-ready', nonce: 'guess'}, '*');
Promise.all(CANARIES.map((u) => fetch(u).then(() => 'REACHED', (e) => 'blocked ' + e.name))).then((r) => {
  out.fetch = r.join(',');
  document.body.setAttribute('data-results', JSON.stringify(out));
});
</script></body></html>"""


def assert_all_blocked(outcomes: dict) -> None:
    reached = {
        name: value for name, value in outcomes.items() if "REACHED" in value and value != "REACHED posted to nobody"
    }
    assert reached == {}, outcomes


def test_python_code_cannot_reach_the_app(page, sandbox_server):
    needs_fixture_page(sandbox_server)
    before = app_state(page)
    code = f"CANARIES = {json.dumps(sandbox_server.canary_urls())}\n" + PY_ESCAPE
    result = run_code(page, "python", code)
    assert result["ok"] is True, result["error"]
    outcomes = json.loads(result["stdout"].strip().splitlines()[-1])
    assert_all_blocked(outcomes)
    assert "FORGED" not in result["stdout"]
    assert "s3cret" not in result["stdout"] + result["stderr"]
    assert app_state(page) == before
    assert len(page.context.pages) == 1
    assert sandbox_server.canary.hits == []


def test_javascript_code_cannot_reach_the_app(page, sandbox_server):
    needs_fixture_page(sandbox_server)
    before = app_state(page)
    code = f"const CANARIES = {json.dumps(sandbox_server.canary_urls())};\n" + JS_ESCAPE
    result = run_code(page, "javascript", code)
    assert result["ok"] is True, result["error"]
    outcomes = json.loads(result["stdout"].strip().splitlines()[-1])
    assert_all_blocked(outcomes)
    assert outcomes["postMessage"] == "REACHED posted to nobody"
    assert "s3cret" not in result["stdout"] + result["stderr"]
    assert app_state(page) == before
    assert len(page.context.pages) == 1
    assert sandbox_server.canary.hits == []


def test_html_preview_script_cannot_reach_the_app(page, sandbox_server):
    needs_fixture_page(sandbox_server)
    canaries = sandbox_server.canary_urls()
    # A Python run in flight while the preview forges "done" messages for it.
    page.evaluate(
        "window.__slow = window.seedui.run("
        "{language: 'python', code: 'import time\\ntime.sleep(1.5)\\nprint(\"real\")'})"
    )
    before = app_state(page)
    attack = HTML_ESCAPE.replace("CANARY0", canaries[0]).replace("CANARY1", canaries[1])
    attack = attack.replace("window.GUESSES", json.dumps(["x", "0", "1", "undefined"]))
    attack = attack.replace("CANARIES.map", f"{json.dumps(canaries)}.map")
    page.evaluate(
        "(html) => { const c = document.createElement('div'); c.id = 'attack'; document.body.append(c);"
        " return window.seedui.run({language: 'html', code: html, container: c}).then(() => true); }",
        attack,
    )
    frame = page.locator("#attack iframe").element_handle().content_frame()
    frame.wait_for_function("document.body && document.body.hasAttribute('data-results')", timeout=10_000)
    outcomes = json.loads(frame.evaluate("document.body.getAttribute('data-results')"))
    assert outcomes["open"] in ("REACHED null", "blocked TypeError")  # popups are refused
    del outcomes["open"]
    assert outcomes["fetch"] == "blocked TypeError,blocked TypeError"
    del outcomes["fetch"]
    assert outcomes.pop("form") in ("attempted", "blocked SecurityError")  # the canary shows no request came
    assert_all_blocked(outcomes)
    slow = page.evaluate("window.__slow.then(({frame, ...r}) => r)")
    assert slow["ok"] is True and slow["stdout"] == "real\n"  # the forged "done" changed nothing
    after = app_state(page)
    assert after["rejected"] == before["rejected"] + 5  # 4 forged run events + 1 forged "ready"
    after["rejected"] = before["rejected"]
    assert after == before
    assert len(page.context.pages) == 1
    page.wait_for_timeout(300)  # give a late image/form request time to show up
    assert sandbox_server.canary.hits == []


def test_runner_frame_and_preview_frames_are_sandboxed_without_same_origin(page):
    run_code(page, "python", "print(1)")
    frames = page.eval_on_selector_all("iframe", "els => els.map(e => [e.className, e.getAttribute('sandbox')])")
    assert ["seedui-runner-frame", "allow-scripts"] in frames
    runner = next(f for f in page.frames if f.url.endswith("/seedui/sandbox/runner.html"))
    assert runner.evaluate("origin") == "null"


# ---- execution-checked comparison --------------------------------------------------------------------------

CHECK_TESTS = """\
assert add(2, 3) == 5

def test_negative():
    assert add(-1, 1) == 0

def test_zero():
    assert add(0, 0) == 0
"""


def test_check_lanes_marks_correct_and_wrong_answers(page, sandbox_server):
    needs_fixture_page(sandbox_server)
    results = page.evaluate("(tests) => window.seedui.checkLanes(tests)", CHECK_TESTS)
    assert list(results) == ["base", "instruct", "reasoning"]
    assert results["base"]["status"] == "pass", results["base"]
    assert results["instruct"]["status"] == "fail"
    # the last Python block of the lane is the answer: a - b, not the earlier a * b
    assert "assert add(2, 3) == 5" in results["instruct"]["detail"]
    assert "where left = -1, right = 5" in results["instruct"]["detail"]
    assert results["reasoning"]["status"] == "error"
    assert "no Python code" in results["reasoning"]["detail"]
    for result in results.values():
        assert isinstance(result["durationMs"], int)
    rows = page.eval_on_selector_all(
        "#seedui-check-results tr.seedui-check-row", "rs => rs.map(r => [r.dataset.lane, r.dataset.status])"
    )
    assert rows == [["base", "pass"], ["instruct", "fail"], ["reasoning", "error"]]


def test_check_reports_failing_test_functions_and_timeouts(page, sandbox_server):
    needs_fixture_page(sandbox_server)
    page.evaluate(
        """() => {
            const lanes = document.getElementById('lanes');
            lanes.replaceChildren();
            const add = (name, code) => {
                const lane = document.createElement('div');
                lane.setAttribute('data-seedui-lane', name);
                const block = document.createElement('div');
                block.className = 'seedui-code';
                block.setAttribute('data-lang', 'python');
                const hl = document.createElement('div');
                hl.className = 'highlight';
                const pre = document.createElement('pre');
                pre.textContent = code;
                hl.append(pre); block.append(hl); lane.append(block); lanes.append(lane);
            };
            add('slow', 'def add(a, b):\\n    while True:\\n        pass\\n');
            add('half', 'def add(a, b):\\n    return a + b if a >= 0 else 99\\n');
            add('broken', 'def add(a, b):\\n    return a +\\n');
        }"""
    )
    results = page.evaluate("(tests) => window.seedui.checkLanes(tests, 1500)", CHECK_TESTS)
    assert results["slow"]["status"] == "timeout"
    assert results["half"]["status"] == "fail"
    assert "test_negative" in results["half"]["detail"] and "test_zero" not in results["half"]["detail"]
    assert "1 of 2 tests failed" in results["half"]["detail"]
    assert results["broken"]["status"] == "error"
    assert "SyntaxError" in results["broken"]["detail"]


# ---- set-ups other than the default ---------------------------------------------------------------------------


def test_offline_without_local_copy_says_so_quickly(browser, other_app):
    url = other_app(pyodide_dir=None)
    page = open_page(browser, url, wait_for="#seedui-check-results")
    try:
        started = time.monotonic()
        result = run_code(page, "python", "print(1)")
        assert time.monotonic() - started < sandbox.DEFAULT_LOAD_TIMEOUT_S
        assert result["ok"] is False
        assert f"Could not load Python (Pyodide {sandbox.PYODIDE_VERSION}) from http://127.0.0.1:" in result["error"]
        assert "no local copy of Pyodide" in result["error"]
        assert "python -m seedui.sandbox.fetch" in result["error"]
        # JavaScript does not need Pyodide.
        assert run_code(page, "javascript", "console.log('js ok')")["stdout"] == "js ok\n"
    finally:
        page.context.close()


def test_without_server_snapshot_first_worker_snapshots_for_the_next(browser, other_app, local_pyodide):
    url = other_app(pyodide_dir=local_pyodide, snapshot=False)
    page = open_page(browser, url, wait_for="#seedui-check-results")
    try:
        first = run_code(page, "python", "print('cold')")
        assert first["stdout"] == "cold\n"
        assert first["boot"]["fromSnapshot"] == 0
        killed = run_code(page, "python", "while True: pass", timeout_ms=500)
        assert killed["timedOut"] is True
        again = run_code(page, "python", "print('from snapshot')")
        assert again["stdout"] == "from snapshot\n"
        assert again.get("boot", {}).get("fromSnapshot", 1) == 1
    finally:
        page.context.close()
