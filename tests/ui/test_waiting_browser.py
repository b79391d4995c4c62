"""Waiting made visible, in Chromium, on the STAND-IN server's lanes (scripted, timed answers): a running
lane's seconds tick between the server's updates; a request waiting in Gradio's queue shows its place on the
lanes; a full queue and a rate limit say, in the lanes and in a toast, which limit and when to try again."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.conftest import api_call
from tests.ui.conftest import new_page, open_with_keys, stand_in_app

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")]

LANES = ["base", "instruct", "reasoning"]
SLOW = {"words": ["w "] * 60, "delay_s": 0.05}  # a 3 s answer
LANES_DONE = """(names) => names.every(n => {
  const lane = document.querySelector(`#lane-${n} .seedui-lane`);
  return lane && !lane.classList.contains('seedui-running') && lane.querySelector('.seedui-stats').textContent.trim();
})"""


@pytest.fixture
def page_on(browser: Any) -> Iterator[Any]:
    pages: list[Any] = []

    def open_page(app: Any) -> Any:
        pages.append(new_page(browser, app.blocks.local_url))
        return open_with_keys(pages[-1])

    yield open_page
    for page in pages:
        page.context.close()


def wait_until(check: Any, timeout_s: float = 30) -> None:
    end = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


def generation_posts(server: Any) -> int:
    return sum(r["path"] in ("/v1/completions", "/v1/chat/completions") for r in server.posts)


def occupy(pool: ThreadPoolExecutor, app: Any, server: Any) -> Future:
    """A script's slow /compare, running (the stand-in server has its request) when this returns."""
    server.httpd.plan = SLOW
    before = generation_posts(server)
    busy = pool.submit(api_call, app.blocks.local_url, "compare", '["hi", {}, ["instruct"]]')
    wait_until(lambda: generation_posts(server) > before)
    return busy


def test_a_running_lanes_seconds_tick_between_updates(stand_page: Any) -> None:
    page = open_with_keys(stand_page)
    page.server.httpd.plan = {"hang_s": 2.5}  # the server thinks a while before its first token
    page.fill("#compare-prompt textarea", "hi")
    page.click("#compare-run")
    clock = page.locator("#lane-base .seedui-running [data-seedui-elapsed]")
    clock.wait_for(state="attached")
    sent = clock.get_attribute("data-seedui-elapsed")  # the server's seconds at its last update
    first = float(clock.inner_text().removesuffix(" s"))
    page.wait_for_timeout(1200)
    assert clock.get_attribute("data-seedui-elapsed") == sent, "the server sent an update meanwhile"
    later = float(clock.inner_text().removesuffix(" s"))
    assert later - first >= 0.8, (first, later)
    assert "waiting for the first token" in page.locator("#lane-base .seedui-stats").inner_text()
    page.wait_for_function(LANES_DONE, arg=LANES)
    assert page.locator("[data-seedui-elapsed]").count() == 0  # finished lanes show their final seconds


@pytest.fixture(scope="module")
def one_at_a_time(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    """A stand-in app that runs one generation at a time and lets one more wait."""
    config = {"limits.concurrency": 1, "limits.max_queue": 1}
    with stand_in_app(tmp_path_factory.mktemp("queue"), **config) as app_and_server:
        yield app_and_server


def test_a_request_waiting_in_the_queue_shows_its_place(one_at_a_time: Any, page_on: Any) -> None:
    app, server = one_at_a_time
    page = page_on(app)
    with ThreadPoolExecutor(1) as pool:
        busy = occupy(pool, app, server)  # it runs: the next request waits
        page.fill("#compare-prompt textarea", "hi")
        page.click("#compare-run")
        page.wait_for_function(
            "() => ['base', 'instruct', 'reasoning'].every(n => /queue: 1\\/1/.test("
            "document.querySelector(`#lane-${n}`).innerText))",
            timeout=10_000,
        )
        assert busy.result()[0] == "complete"
    page.wait_for_function(LANES_DONE, arg=LANES)
    assert not re.search(r"queue:", page.locator("#compare-lanes-row").inner_text())


def test_a_full_queue_says_which_limit_and_when_to_try_again(one_at_a_time: Any, page_on: Any) -> None:
    app, server = one_at_a_time
    page = page_on(app)
    with ThreadPoolExecutor(2) as pool:
        running = occupy(pool, app, server)
        waiting = pool.submit(api_call, app.blocks.local_url, "compare", '["hi", {}, ["instruct"]]')
        wait_until(lambda: len(app.blocks._queue) == 1)
        page.fill("#compare-prompt textarea", "hi")
        page.click("#compare-run")
        toast = page.locator("[data-testid=toast-body]").first
        toast.wait_for(state="visible")
        text = toast.inner_text()
        assert "Queue is full" in text and "the limit here is 1" in text
        assert re.search(r"try again in about \d+ s", text), text
        # A script is refused with the same words (HTTP 503, as Gradio answers a full queue).
        refused = httpx.post(f"{app.blocks.local_url}gradio_api/call/compare", json={"data": ["hi", {}, []]})
        assert refused.status_code == 503 and "the limit here is 1" in refused.json()["detail"]
        assert running.result()[0] == waiting.result()[0] == "complete"
    # The lanes were not cleared or marked running for a request that never queued.
    assert page.locator("#compare-lanes-row .seedui-running").count() == 0


def test_a_rate_limit_says_which_limit_and_when_to_try_again(tmp_path: Any, page_on: Any) -> None:
    with stand_in_app(tmp_path, **{"limits.requests_per_minute": 1}) as (app, server):
        page = page_on(app)
        page.fill("#compare-prompt textarea", "hi")
        page.click("#compare-run")
        page.wait_for_function(LANES_DONE, arg=LANES)
        page.click("#compare-run")
        page.wait_for_function("() => document.querySelector('#lane-base .seedui-error')")
        for name in LANES:
            error = page.locator(f"#lane-{name} .seedui-error").inner_text()
            assert "too many requests from this client: 1 per minute" in error
            assert re.search(r"try again in \d+ s", error), error
        assert "1 per minute" in page.locator("[data-testid=toast-body]").first.inner_text()
        assert page.locator("#compare-lanes-row .seedui-running").count() == 0
