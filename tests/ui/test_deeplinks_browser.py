"""Deep links in a real browser: query parameters prefill the page; bad ones are ignored with a notice."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from seedui.deeplink import build_query
from tests.ui.conftest import open_app

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

PROMPT_JS = "() => document.querySelector('#compare-prompt textarea').value"


def lanes_checked(page, elem_id: str = "compare-lanes") -> list[bool]:
    return page.eval_on_selector_all(f"#{elem_id} input[type=checkbox]", "els => els.map(e => e.checked)")


def open_sampling(page) -> None:
    page.get_by_text("Sampling settings", exact=True).click()
    page.locator("#card-defaults input").wait_for()


def number(page, elem_id: str) -> float:
    return float(page.locator(f"#{elem_id} input[type=number]").input_value())


def test_link_prefills_prompt_lanes_and_sampling(page):
    prompt = "Write a merge sort.\n```python\n# & <tags> stay text\n```"
    query = build_query(
        prompt, ["reasoning", "instruct"], "compare", {"temperature": 0.25, "max_tokens": 33, "seed": 7}
    )
    open_app(page, query)
    page.wait_for_function(f"p => ({PROMPT_JS})() === p", arg=prompt)
    assert lanes_checked(page) == [False, True, True]  # base, instruct, reasoning
    assert not page.locator("#lane-base").is_visible()  # the unchosen lane's column hides
    open_sampling(page)
    assert not page.locator("#card-defaults input").is_checked()  # given values are used, not card defaults
    assert not page.locator("#unlink-lanes input").is_checked()
    assert number(page, "shared-temperature") == 0.25
    assert number(page, "shared-max_tokens") == 33
    assert number(page, "shared-seed") == 7
    assert page.locator("#deeplink-notice .seedui-notice").count() == 0
    assert page.errors == []


def test_link_opens_the_chat_tab_with_its_message(page):
    open_app(page, "tab=chat&prompt=" + quote("Hello, lanes") + "&lanes=base,reasoning")
    page.wait_for_function("() => document.querySelector('#chat-message textarea')?.value === 'Hello, lanes'")
    assert page.locator("#chat-message textarea").is_visible()  # the Chat tab is the one shown
    assert lanes_checked(page, "chat-lanes") == [False, True]  # instruct, reasoning: Base has no chat
    notice = page.locator("#deeplink-notice .seedui-notice")
    assert "ignored lane 'base': the chat tab offers instruct, reasoning" in notice.text_content()
    assert page.errors == []


def test_bad_parameters_are_ignored_with_a_notice_and_the_page_works(page):
    query = "lanes=instruct,nope&temperature=hot&top_p=7&tab=settings&foo=1&max_tokens=4&share=&prompt=Say%20hi"
    open_app(page, query)
    notice = page.locator("#deeplink-notice .seedui-notice")
    notice.wait_for()
    text = notice.inner_text()
    for part in ("ignored lane 'nope'", "ignored temperature='hot'", "ignored top_p='7'", "ignored tab='settings'"):
        assert part in text, part
    assert "unknown parameter 'foo'" in text
    assert page.locator(".toast-body", has_text="ignored lane 'nope'").count() >= 1  # also said as a warning
    # The valid parameters still applied...
    page.wait_for_function(f"() => ({PROMPT_JS})() === 'Say hi'")
    assert lanes_checked(page) == [False, True, False]
    open_sampling(page)
    assert number(page, "shared-max_tokens") == 4
    # ...and the page runs.
    page.click("#compare-run")
    page.wait_for_function(
        "() => /(stop|length)$/.test(document.querySelector('#lane-instruct .seedui-stats')?.innerText || '')"
    )
    assert page.locator("#lane-instruct .seedui-answer").inner_text().strip()
    assert page.errors == [] and page.dialogs == []


def test_a_plain_visit_shows_no_notice(page):
    open_app(page)
    page.wait_for_timeout(1000)  # the load events have run
    assert page.locator("#deeplink-notice .seedui-notice").count() == 0
    assert page.locator(".toast-body").count() == 0
    assert not page.locator("#shared-view").is_visible()
    assert page.errors == []
