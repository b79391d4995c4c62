"""Browser fixtures for page tests: headless Chromium on the session app (tests/conftest.py).

`browser` is one Chromium for the session; `page` is a fresh context and page
per test, recording uncaught page errors (`page.errors`) and any dialog
(`page.dialogs`; each dialog is dismissed). `open_app(page, query)` loads the
app, optionally with a query string, and waits until Gradio has rendered it.

Chromium is the Debian package (`/usr/bin/chromium`, or SEEDUI_CHROMIUM);
Playwright never downloads a browser here. Without Chromium the tests skip.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

LOAD_TIMEOUT_MS = 60_000


@contextmanager
def stand_in_app(tmp_path: Path, **config: Any) -> Iterator[tuple[Any, Any]]:
    """The app with its three lanes on an in-process STAND-IN OpenAI server (no model: answers are scripted
    with `server.httpd.plan`, and every request body is recorded), `config` values on top; (app, server)."""
    from tests.conftest import serving
    from tests.engines.fake_openai_server import FakeServer
    from tests.test_webapp import remote_app

    server = FakeServer(models=("m",))
    try:
        app, _ = remote_app(tmp_path, server, **config)
        with serving(app, settle_timeout=60):
            yield app, server
    finally:
        server.close()


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    """One stand-in app for a module's tests; each test sets the server's plan it needs."""
    with stand_in_app(tmp_path_factory.mktemp("stand-in")) as app_and_server:
        yield app_and_server


def new_page(browser: Any, url: str, width: int = 1280, height: int = 1000) -> Any:
    """A page on its own context at `url`, with `page.errors` (uncaught errors) recorded; close its context."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(LOAD_TIMEOUT_MS)
    page = context.new_page()
    page.app_url = url
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    return page


@pytest.fixture
def page(browser: Any, app_url: str) -> Iterator[Any]:
    """A fresh page on its own context; `page.app_url` is the session app's address."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    context.set_default_timeout(LOAD_TIMEOUT_MS)
    page = context.new_page()
    page.app_url = app_url
    page.errors = []
    page.dialogs = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))

    def on_dialog(dialog: Any) -> None:
        page.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        yield page
    finally:
        context.close()


def open_app(page: Any, query: str = "") -> Any:
    """Load the app (with `query`, e.g. 'share=ID' or '?prompt=hi') and wait for the Compare tab to render."""
    query = query.lstrip("?")
    page.goto(page.app_url + (f"?{query}" if query else ""))
    page.wait_for_selector("#compare-prompt textarea", state="attached")
    return page


class Attacker:
    """A site on another origin (its own loopback port): serves `page` at / and records every request."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.page = "<!doctype html><title>attacker</title>"
        self.hits: list[str] = []
        attacker = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                attacker.hits.append(self.path)
                body = attacker.page.encode() if self.path == "/" else b"stolen"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8" if self.path == "/" else "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET  # noqa: N815 - a form's submit is a hit too

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stolen(self) -> list[str]:
        """Requests beyond the attacker's own page."""
        return [path for path in self.hits if path != "/"]


@pytest.fixture
def attacker() -> Iterator[Attacker]:
    site = Attacker()
    try:
        yield site
    finally:
        site.server.shutdown()
        site.server.server_close()


@pytest.fixture
def stand_page(browser: Any, stand_in: tuple[Any, Any]) -> Iterator[Any]:
    """A fresh page on the module's stand-in app, its server's plan and records reset; `page.server` is the
    server."""
    app, server = stand_in
    server.httpd.plan = {}
    server.httpd.requests.clear()
    server.httpd.disconnected.clear()
    page = new_page(browser, app.blocks.local_url)
    page.server = server
    try:
        yield page
    finally:
        page.context.close()


def open_with_keys(page: Any, query: str = "") -> Any:
    """`open_app`, then wait until the page script has its key map (the buttons show their keys)."""
    open_app(page, query)
    page.wait_for_selector("#compare-run[aria-keyshortcuts]", state="attached")
    return page
