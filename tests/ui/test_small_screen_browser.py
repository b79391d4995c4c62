"""Small screens in Chromium, 400 px wide: the profile banner is one line with the details on demand; Run is on
the first screen without scrolling; lanes stack; while a tab runs, its Stop floats in reach wherever the page is
scrolled. Wide screens show the banner unfolded. The lanes run on the STAND-IN server (scripted answers)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ui.conftest import new_page, open_with_keys

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")]

PHONE = {"width": 400, "height": 700}
LANES = ["base", "instruct", "reasoning"]


def box(page: Any, selector: str) -> dict[str, float]:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, f"{selector} is not laid out"
    return found


def test_at_400_px_the_banner_is_one_line_run_is_in_view_and_lanes_stack(stand_page: Any, artifacts: Any) -> None:
    page = stand_page
    page.set_viewport_size(PHONE)
    open_with_keys(page)
    summary = page.locator("#profile-banner summary")
    line = summary.evaluate("s => parseFloat(getComputedStyle(s).lineHeight)")
    assert box(page, "#profile-banner summary")["height"] <= 1.5 * line  # one line
    assert not page.locator("#profile-banner details").evaluate("d => d.open")
    assert "Profile: tiny" in summary.inner_text()
    # Run on the first screen, unscrolled.
    assert page.evaluate("window.scrollY") == 0
    run = box(page, "#compare-run")
    assert run["y"] >= 0 and run["y"] + run["height"] <= PHONE["height"], run
    # Lanes stack, one under another, within the screen's width.
    boxes = [box(page, f"#lane-{n} .seedui-lane") for n in LANES]
    assert all(abs(b["x"] - boxes[0]["x"]) < 2 and b["x"] + b["width"] <= PHONE["width"] for b in boxes)
    assert all(top["y"] + top["height"] <= below["y"] for top, below in zip(boxes, boxes[1:], strict=False))
    page.screenshot(path=str(artifacts / "compare-400px.png"))
    # The details come on demand.
    summary.click()
    assert page.locator("#profile-banner details").evaluate("d => d.open")
    assert "ready" in page.locator("#profile-banner small").inner_text()


def test_at_400_px_stop_floats_in_reach_while_a_run_goes_on(stand_page: Any, artifacts: Any) -> None:
    page = stand_page
    page.set_viewport_size(PHONE)
    open_with_keys(page)
    page.server.httpd.plan = {"words": ["word "] * 2000, "delay_s": 0.03}  # a minute of answer: Stop ends it
    page.fill("#compare-prompt textarea", "Write on.")
    page.click("#compare-run")
    page.wait_for_function("() => document.querySelector('#lane-reasoning .seedui-answer')?.textContent.length > 40")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_timeout(300)
    assert page.locator("#compare-lanes-row .seedui-running").count() == 3  # still running
    stop = box(page, "#compare-stop")
    assert 0 <= stop["y"] and stop["y"] + stop["height"] <= PHONE["height"], stop
    page.screenshot(path=str(artifacts / "compare-400px-running.png"))
    page.click("#compare-stop")
    page.wait_for_function("() => !document.querySelector('#compare-lanes-row .seedui-running')")
    # Back in its place once nothing runs.
    assert page.locator("#compare-stop").evaluate("b => getComputedStyle(b).position") != "fixed"


def test_wide_screens_show_the_banner_unfolded(browser: Any, stand_in: Any) -> None:
    app, _ = stand_in
    page = new_page(browser, app.blocks.local_url, width=1280, height=900)
    try:
        open_with_keys(page)
        page.wait_for_function("() => document.querySelector('#profile-banner details')?.open")
        assert "stand-in" in page.locator("#profile-banner").inner_text()
    finally:
        page.context.close()
