"""Browser fixtures for the sandbox tests: a small Gradio app and headless Chromium.

The app is a Gradio 6 Blocks page wired exactly as the real one must be
(``launch(head=head_html(...))`` then ``mount(app, ...)``), with hand-written
code blocks in the render contract's format inside ``data-seedui-lane``
elements, plus two canary routes that count requests: one under
``/gradio_api/`` and one beside it. Tests assert those counters stay at zero.

Everything is offline: Pyodide comes from the local npm copy
(``python -m seedui.sandbox.fetch``, which also builds the start-up snapshot
where Playwright and Chromium are installed); without the copy the tests skip.
The "CDN" is a closed local port, so package loading fails the same way with
or without a network.

To run the tests against another server (e.g. the real app), set
``SEEDUI_SANDBOX_TEST_URL``; tests that need the fixture page's blocks or
canaries then skip.
"""

from __future__ import annotations

import html
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from seedui import sandbox

EXTERNAL_URL = os.environ.get("SEEDUI_SANDBOX_TEST_URL")

LANES = {
    "base": (
        "Here is the function:\n",
        'def add(a, b):\n    return a + b\n\n\nif __name__ == "__main__":\n    print(add(int(input()), 2))\n',
    ),
    "instruct": (
        "Sure! A first try:\n",
        "def add(a, b):\n    return a * b\n",
        "Better:\n",
        "def add(a, b):\n    return a - b\n",
    ),
    "reasoning": ("I would add the numbers with the plus operator.",),
}

BLOCKS = {
    "py-hello": (
        "python",
        'import sys\nprint("hello from python")\nprint("to stderr", file=sys.stderr)\nprint("after")\n',
    ),
    "js-hello": ("javascript", 'console.log("hello from js", 1 + 1);\nconsole.error("js error line");\n'),
    "py-loop": ("python", 'print("looping")\nwhile True:\n    pass\n'),
    "py-html-text": (
        "python",
        'print("<img src=x onerror=\\"window.__xss=1\\"><b>bold</b>")\n'
        'raise ValueError("<script>window.__xss=2</script>")\n',
    ),
    "html-hello": ("html", "<h1>Preview</h1><script>document.body.append('script ran')</script>"),
    "other": ("other", "SELECT 1;"),
}


def code_block(language: str, code: str, block_id: str | None = None) -> str:
    """One block in seedui/render.py's contract format (pygments spans omitted: textContent is the same)."""
    ident = f' id="{block_id}"' if block_id else ""
    run = '<button type="button" class="seedui-run">Run</button>' if language != "other" else ""
    return (
        f'<div class="seedui-code" data-lang="{language}"{ident}>'
        f'<div class="seedui-code-bar"><span class="seedui-lang">{language}</span>'
        f'<button type="button" class="seedui-copy">Copy</button>{run}</div>'
        f'<div class="highlight"><pre><span class="x">{html.escape(code)}</span></pre></div></div>'
    )


def page_html() -> str:
    lanes = []
    for lane, parts in LANES.items():
        body = []
        for i, part in enumerate(parts):
            body.append(code_block("python", part) if i % 2 else f"<p>{html.escape(part)}</p>")
        lanes.append(f'<div class="lane" data-seedui-lane="{lane}"><h3>{lane}</h3>{"".join(body)}</div>')
    blocks = "".join(code_block(lang, code, block_id) for block_id, (lang, code) in BLOCKS.items())
    return (
        f'<div id="lanes" style="display:flex;gap:8px">{"".join(lanes)}</div>'
        f'<div id="seedui-check-results"></div><div id="blocks">{blocks}</div>'
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Canary:
    """Counts requests to the canary routes (the stand-in for the app's own API)."""

    hits: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, path: str) -> None:
        with self.lock:
            self.hits.append(path)


@dataclass
class SandboxServer:
    url: str
    canary: Canary | None  # None against an external server
    fixture_page: bool

    def canary_urls(self) -> list[str]:
        return [f"{self.url}gradio_api/seedui-canary", f"{self.url}seedui-canary"]


def add_canary_routes(app, canary: Canary) -> None:
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def hit(request):
        canary.record(request.url.path)
        return JSONResponse({"secret": "canary"}, headers={"Access-Control-Allow-Origin": "*"})

    methods = ["GET", "POST", "PUT", "OPTIONS"]
    app.router.routes[0:0] = [
        Route("/gradio_api/seedui-canary", hit, methods=methods),
        Route("/seedui-canary", hit, methods=methods),
    ]


def offline_cdn_url() -> str:
    """A "CDN" on a closed local port: the tests behave the same with or without a network."""
    return f"http://127.0.0.1:{free_port()}/pyodide/v{{version}}/full/"


def launch_fixture_app(
    *,
    pyodide_dir: Path | None,
    cdn_url: str | None = None,
    timeout_s: float = 10.0,
    snapshot: bool = True,
    lock_frames: bool = True,
):
    """Start the fixture page; returns (demo, base url, canary). Close with demo.close()."""
    import gradio as gr

    cdn_url = cdn_url or offline_cdn_url()
    canary = Canary()
    with gr.Blocks(title="SeedUI sandbox test") as demo:
        gr.HTML(page_html())
    app, url, _ = demo.launch(
        prevent_thread_lock=True,
        server_name="127.0.0.1",
        server_port=free_port(),
        head=sandbox.head_html(timeout_s=timeout_s, cdn_url=cdn_url, lock_frames=lock_frames),
        quiet=True,
    )
    sandbox.mount(app, pyodide_dir=pyodide_dir, cdn_url=cdn_url, timeout_s=timeout_s, snapshot=snapshot)
    add_canary_routes(app, canary)
    return demo, url, canary


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives headless Chromium (needs Debian chromium)")


@pytest.fixture
def other_app(local_pyodide):
    """Starts fixture apps with other settings (``launch_fixture_app``'s arguments); returns the URL."""
    apps = []

    def start(**kwargs):
        demo, url, canary = launch_fixture_app(**kwargs)
        apps.append(demo)
        return url

    yield start
    for demo in apps:
        demo.close()


@dataclass
class Evil:
    """A server on another loopback port, i.e. another origin: the attacker's site.

    It serves the HTML in ``pages`` (path -> text) and records every request that
    reaches it, so a test can assert that nothing did. ``tcp_port`` and ``udp_port``
    take anything at all (a TURN or STUN server, say) and record what arrives in
    ``packets``.
    """

    url: str
    pages: dict[str, str] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)  # path -> seconds before it answers
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, body)
    packets: list[tuple[str, bytes]] = field(default_factory=list)  # ("tcp" | "udp", first bytes)
    tcp_port: int = 0
    udp_port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def arrived(self, kind: str, data: bytes) -> None:
        with self.lock:
            self.packets.append((kind, data))

    def record(self, method: str, path: str, body: str) -> None:
        with self.lock:
            self.requests.append((method, path, body))

    def hits(self, prefix: str = "/") -> list[tuple[str, str, str]]:
        with self.lock:
            return [r for r in self.requests if r[1].startswith(prefix)]


@pytest.fixture
def evil() -> Iterator[Evil]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    site = Evil(url=f"http://127.0.0.1:{server.server_address[1]}")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            site.record(self.command, self.path, self.rfile.read(length).decode("utf-8", "replace"))
            page = site.pages.get(self.path.split("?")[0])
            time.sleep(site.delays.get(self.path.split("?")[0], 0))
            body = (page if page is not None else "nothing here").encode()
            self.send_response(200 if page is not None else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8" if page is not None else "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()
            try:
                self.wfile.write(body)
            except OSError:
                pass  # the browser went away (a frame removed mid-load)

        do_POST = do_GET

    server.RequestHandlerClass = Handler
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    tcp = socket.create_server(("127.0.0.1", 0))
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    site.tcp_port, site.udp_port = tcp.getsockname()[1], udp.getsockname()[1]
    stop = threading.Event()
    for sock in (tcp, udp):
        sock.settimeout(0.2)  # so the threads see `stop`

    def take_tcp() -> None:
        while not stop.is_set():
            try:
                conn, _ = tcp.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    site.arrived("tcp", conn.recv(4096))
                except OSError:
                    site.arrived("tcp", b"")

    def take_udp() -> None:
        while not stop.is_set():
            try:
                site.arrived("udp", udp.recvfrom(4096)[0])
            except TimeoutError:
                continue
            except OSError:
                return

    threads = [threading.Thread(target=take, daemon=True) for take in (take_tcp, take_udp)]
    for thread in threads:
        thread.start()
    try:
        yield site
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        server.shutdown()
        server.server_close()
        tcp.close()
        udp.close()


@pytest.fixture(scope="session")
def local_pyodide() -> Path:
    folder = sandbox.local_pyodide(sandbox.VENDOR_PYODIDE_DIR)
    if folder is None:
        pytest.skip("no local Pyodide copy: run `python -m seedui.sandbox.fetch` (the tests stay offline)")
    return folder


@pytest.fixture(scope="session")
def sandbox_server(local_pyodide: Path) -> Iterator[SandboxServer]:
    if EXTERNAL_URL:
        yield SandboxServer(url=EXTERNAL_URL.rstrip("/") + "/", canary=None, fixture_page=False)
        return
    demo, url, canary = launch_fixture_app(pyodide_dir=local_pyodide)
    try:
        yield SandboxServer(url=url, canary=canary, fixture_page=True)
    finally:
        demo.close()


def open_page(browser, url: str, wait_for: str = ".gradio-container"):
    """A fresh context and page with seedui installed and the app rendered.

    A cookie and a localStorage item are set so tests can try to read them.
    """
    context = browser.new_context()
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("window.seedui && window.seedui.run")
    page.wait_for_selector(wait_for, state="attached")
    page.evaluate(
        "() => { document.cookie = 'seedui_secret=cookie-s3cret; path=/';"
        " localStorage.setItem('seedui_secret', 'storage-s3cret'); }"
    )
    return page


def rendered(server: SandboxServer) -> str:
    return "#seedui-check-results" if server.fixture_page else ".gradio-container"


@pytest.fixture
def page(browser, sandbox_server: SandboxServer):
    page = open_page(browser, sandbox_server.url, wait_for=rendered(sandbox_server))
    try:
        yield page
    finally:
        page.context.close()


@pytest.fixture(scope="module")
def shared_page(browser, sandbox_server: SandboxServer):
    """One page (and warm Python) for tests that do not change the page's state."""
    page = open_page(browser, sandbox_server.url, wait_for=rendered(sandbox_server))
    try:
        yield page
    finally:
        page.context.close()


def run_in_block(page, block_id: str, code: str) -> None:
    """Put ``code`` in the fixture page's block ``block_id`` and press its Run button (its output goes to its panel)."""
    page.evaluate(
        """([id, code]) => {
            const block = document.getElementById(id);
            block.querySelector('.highlight pre').textContent = code;
            block.querySelector('.seedui-run').click();
        }""",
        [block_id, code],
    )


def run_code(page, language: str, code: str, timeout_ms: int | None = None) -> dict:
    """window.seedui.run from the page; returns the result without DOM handles."""
    return page.evaluate(
        """async ([language, code, timeoutMs]) => {
            const r = await window.seedui.run({language, code, timeoutMs});
            const {frame, ...rest} = r;
            return rest;
        }""",
        [language, code, timeout_ms],
    )
