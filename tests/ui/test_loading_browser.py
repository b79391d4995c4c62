"""The page on a cold start: Run pressed before the lanes are ready waits for them, then streams.

The lanes are openai_http engines on the in-process STAND-IN server (tests/engines/fake_openai_server.py)
whose start-up is held by a gate the test opens (tests/test_webapp.py `remote_app`), so the loading window
is as long as the test wants, with no model to load.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import free_port
from tests.engines.fake_openai_server import FakeServer
from tests.test_webapp import LANES, remote_app
from tests.ui.conftest import LOAD_TIMEOUT_MS

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")]


@pytest.fixture
def cold_app(tmp_path: Any) -> Iterator[tuple[Any, threading.Event]]:
    server = FakeServer(models=("m",))
    gate = threading.Event()
    app, _ = remote_app(tmp_path, server, gate)
    app.launch(prevent_thread_lock=True, server_port=free_port(), quiet=True)
    try:
        yield app, gate
    finally:
        gate.set()
        app.close()
        server.close()


def test_run_before_the_lanes_are_ready_waits_then_streams_with_no_error(browser: Any, cold_app: Any) -> None:
    app, gate = cold_app
    url = app.blocks.local_url
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(LOAD_TIMEOUT_MS)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url)
        page.wait_for_selector("#compare-prompt textarea", state="attached")
        assert httpx.get(f"{url}seedui/ready", timeout=10).status_code == 503  # still loading
        page.fill("#compare-prompt textarea", "hi")
        page.click("#compare-run")
        page.wait_for_function("() => document.querySelector('#lane-base .seedui-running')")
        time.sleep(1.0)  # the request is waiting for the lanes
        for name in LANES:
            assert page.locator(f"#lane-{name} .seedui-error").count() == 0
        assert not app.engines.is_settled
        gate.set()
        page.wait_for_function(
            """(names) => names.every(n => {
                const lane = document.querySelector(`#lane-${n} .seedui-lane`);
                const answer = document.querySelector(`#lane-${n} .seedui-answer`);
                return lane && !lane.classList.contains('seedui-running') && answer && answer.textContent.trim();
            })""",
            arg=list(LANES),
        )
        for name in LANES:
            assert page.locator(f"#lane-{name} .seedui-error").count() == 0, name
            assert page.locator(f"#lane-{name} .seedui-answer").last.text_content().strip()
        assert errors == []
    finally:
        context.close()
