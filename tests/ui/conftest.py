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
from typing import Any

import pytest

LOAD_TIMEOUT_MS = 60_000


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
