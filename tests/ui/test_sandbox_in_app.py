"""In-browser execution inside the real app: Run on a model's code block, and the
execution-checked comparison whose results go back to the server (kept in a share)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tests.ui.conftest import open_app

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

RUN_TIMEOUT_MS = 180_000
# The Base lane continues a repeated pattern: its answer holds more of the same Python block.
BLOCK = '```python\nprint("hi from the base lane")\n```\n'
LINK = f"prompt={quote(BLOCK * 3)}&lanes=base&max_tokens=24&temperature=0"


def run_base(page: Any) -> None:
    open_app(page, LINK)
    page.wait_for_function("() => document.querySelector('#compare-prompt textarea').value.startsWith('```python')")
    page.click("#compare-run")
    page.wait_for_function(
        "() => /(stop|length)$/.test(document.querySelector('#lane-base .seedui-stats')?.innerText || '')",
        timeout=RUN_TIMEOUT_MS,
    )
    page.wait_for_selector('#lane-base .seedui-code[data-lang="python"] .seedui-run')


def test_run_button_on_a_model_answer_runs_it_in_the_sandbox(page: Any) -> None:
    run_base(page)
    if not page.evaluate("() => !!(window.seedui && window.seedui.run)"):
        pytest.fail("the page has no window.seedui: the sandbox head tags are missing")
    page.locator('#lane-base .seedui-code[data-lang="python"] .seedui-run').first.click()
    output = page.locator("#lane-base .seedui-output").first
    output.wait_for(timeout=60_000)
    page.wait_for_function(
        "() => (document.querySelector('#lane-base .seedui-output')?.innerText || '')"
        ".includes('hi from the base lane')",
        timeout=60_000,
    )
    # The code ran in the opaque-origin runner frame, not in the page.
    frame = page.locator("iframe.seedui-runner-frame")
    assert frame.get_attribute("sandbox") == "allow-scripts"


def test_check_results_reach_the_server_and_are_kept_in_a_share(page: Any, client: Any) -> None:
    run_base(page)
    page.get_by_text("Check the answers").click()
    editor = page.locator("#check-code .cm-content")
    editor.click()
    page.keyboard.type("assert 1 + 1 == 2\n")
    page.click("#check-run")
    row = page.locator("#seedui-check-results .seedui-check-row")
    row.first.wait_for(timeout=60_000)
    page.wait_for_function(
        "() => /pass|fail|error/.test(document.querySelector('#seedui-check-results')?.innerText || '')",
        timeout=60_000,
    )
    page.click("#share-button")
    page.locator("#share-id").wait_for()
    shared = client.predict(page.locator("#share-id").inner_text(), api_name="/load_share")
    assert "base" in shared["checks"], shared.get("checks")
    assert shared["checks"]["base"]["status"] in ("pass", "fail", "error")
