"""Accessibility in Chromium: axe-core (npm, pinned: tests/ui/axe.py) finds no serious or critical violation on
any tab, light or dark, each after a run (code blocks with their language label, the Base lane's prompt, chat
turns on the page); every lane is a named region with a heading; keyboard focus is visible. The lanes run on
the STAND-IN server (scripted answers)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ui.axe import AxeUnavailable, axe_source
from tests.ui.conftest import open_with_keys

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")]

ANSWER = {"words": ["Here:\n\n", "```python\n", "print('hi')\n", "```\n", "Done."], "finish": "stop"}
DONE = """(sel) => { const lanes = [...document.querySelectorAll(sel)];
  return lanes.length && lanes.every(l => !l.classList.contains('seedui-running')
    && l.querySelector('.seedui-stats').textContent.trim()); }"""
SERIOUS = """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
  .filter(v => v.impact === 'serious' || v.impact === 'critical')
  .map(v => `${v.impact} ${v.id}: ${v.help} -- ` + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))"""


@pytest.fixture(scope="module")
def axe() -> str:
    try:
        return axe_source()
    except AxeUnavailable as exc:
        pytest.skip(str(exc))


def act_compare(page: Any) -> None:
    page.click("#instruction-as-base input")
    page.locator("ul[role=listbox] li", has_text="as a comment in Python").first.click()
    page.fill("#compare-prompt textarea", "Print hi.")
    page.click("#compare-run")
    page.wait_for_function(DONE, arg="#compare-lanes-row .seedui-lane")
    assert page.locator("#compare-lanes-row .seedui-code-bar .seedui-lang").count() == 3  # the code bar is checked
    assert page.locator("#lane-base .seedui-prompt[open]").count() == 1


def act_chat(page: Any) -> None:
    page.fill("#chat-message textarea", "Print hi.")
    page.click("#chat-send")
    page.wait_for_function(DONE, arg="[id^=chat-] .seedui-lane")


def act_fim(page: Any) -> None:
    page.click("#fim-mode label:has-text('Complete left to right')")
    page.click("#fim-run")
    page.wait_for_function(DONE, arg="#fim-view .seedui-lane")


ACTIONS = {"Compare": act_compare, "Chat": act_chat, "Completion / FIM": act_fim}


def test_no_serious_violations_on_any_tab_in_either_theme(stand_page: Any, axe: str, artifacts: Any) -> None:
    page = open_with_keys(stand_page)
    page.server.httpd.plan = ANSWER
    page.add_script_tag(content=axe)
    # axe reads the colours at one instant: no theme transition half-way through.
    page.add_style_tag(content="*, *::before, *::after { transition: none !important; animation: none !important; }")
    tabs = [t.strip() for t in page.locator("#tabs button[role=tab]:visible").all_inner_texts()]
    assert {"Compare", "Chat", "Completion / FIM"} <= set(tabs), tabs
    found = {}
    for tab in tabs:  # every tab there is, those added later included
        page.click(f"#tabs button[role=tab]:has-text('{tab}')")
        page.wait_for_timeout(300)
        if tab in ACTIONS:
            ACTIONS[tab](page)
        for theme in ("light", "dark"):
            if theme == "dark":
                page.click("#theme-toggle")
                page.wait_for_function("() => document.body.classList.contains('dark')")
            found[f"{tab}, {theme}"] = page.evaluate(SERIOUS)
            if theme == "dark":
                if tab == "Compare":
                    page.screenshot(path=str(artifacts / "compare-dark-a11y.png"), full_page=True)
                page.click("#theme-toggle")
                page.wait_for_function("() => !document.body.classList.contains('dark')")
    assert found == {key: [] for key in found}
    assert page.errors == []


def test_every_lane_is_a_named_region_with_a_heading(stand_page: Any) -> None:
    page = open_with_keys(stand_page)
    for name in ("base", "instruct", "reasoning"):
        lane = page.locator(f"#lane-{name} .seedui-lane")
        title = lane.locator(".seedui-lane-title").inner_text()
        assert page.get_by_role("region", name=title, exact=True).count() >= 1
        assert lane.get_by_role("heading", name=title).count() == 1
    for button in page.locator("button:visible").all():  # every button has a name
        assert (button.get_attribute("aria-label") or button.inner_text()).strip(), button.evaluate("b => b.outerHTML")


def test_keyboard_focus_is_visible(stand_page: Any) -> None:
    page = open_with_keys(stand_page)
    page.locator("#compare-lanes input[type=checkbox]").last.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "compare-run"
    outline = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth), document.activeElement.matches(':focus-visible')]; }"
    )
    assert outline[0] != "none" and outline[1] >= 2 and outline[2], outline
