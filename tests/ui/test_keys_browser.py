"""Keyboard habits in Chromium (seedui/ui/keys.py, static/page.js), on the STAND-IN server's lanes (scripted
answers, recorded requests): Enter sends a chat message and Shift+Enter is a new line; Ctrl+Enter runs the tab
in view; Escape stops what runs; every key is shown on its button and in `aria-keyshortcuts`."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.ui.conftest import open_with_keys

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")]

LANES_DONE = """(names) => names.every(n => {
  const lane = document.querySelector(`#lane-${n} .seedui-lane`);
  return lane && !lane.classList.contains('seedui-running') && lane.querySelector('.seedui-stats').textContent.trim();
})"""


def generations(page: Any) -> list[dict]:
    """The bodies of the generation requests the stand-in server received."""
    return [r["body"] for r in page.server.posts if r["path"] in ("/v1/chat/completions", "/v1/completions")]


def user_turns(body: dict) -> list[str]:
    return [m["content"] for m in body.get("messages", []) if m["role"] == "user"]


def test_enter_sends_a_chat_message_and_shift_enter_is_a_new_line(stand_page: Any) -> None:
    page = open_with_keys(stand_page)
    page.click("#tabs button[role=tab]:has-text('Chat')")
    box = page.locator("#chat-message textarea")
    box.click()
    box.type("first line")
    box.press("Shift+Enter")
    box.type("second line")
    page.wait_for_timeout(500)  # had Shift+Enter sent it, the request would be on its way by now
    assert box.input_value() == "first line\nsecond line"
    assert generations(page) == []
    box.press("Enter")
    page.wait_for_function("() => document.querySelector('#chat-message textarea').value === ''")
    page.wait_for_function(
        "() => ['instruct', 'reasoning'].every(n => document.querySelector(`#chat-${n} .seedui-assistant`))"
    )
    sent = generations(page)
    assert len(sent) == 2 and all(user_turns(body) == ["first line\nsecond line"] for body in sent), sent
    assert page.locator("#chat-instruct .seedui-user").inner_text() == "first line\nsecond line"
    # Enter in an empty box sends nothing.
    box.press("Enter")
    page.wait_for_timeout(500)
    assert len(generations(page)) == 2
    assert page.errors == []


def test_shift_enter_is_a_new_line_in_the_compare_prompt_and_ctrl_enter_runs(stand_page: Any) -> None:
    page = open_with_keys(stand_page)
    box = page.locator("#compare-prompt textarea")
    box.click()
    box.type("Write is_prime(n).")
    box.press("Shift+Enter")
    box.press("Enter")
    box.type("In Python.")
    page.wait_for_timeout(500)
    assert box.input_value() == "Write is_prime(n).\n\nIn Python."
    assert generations(page) == []
    box.press("Control+Enter")
    page.wait_for_function(LANES_DONE, arg=["base", "instruct", "reasoning"])
    prompts = [b.get("prompt") or user_turns(b)[0] for b in generations(page)]
    assert prompts == ["Write is_prime(n).\n\nIn Python."] * 3, prompts
    assert box.input_value() == "Write is_prime(n).\n\nIn Python."  # no new line added by the shortcut


def test_ctrl_enter_runs_the_fim_tab_from_the_code_editor(stand_page: Any) -> None:
    page = open_with_keys(stand_page)
    page.click("#tabs button[role=tab]:has-text('Completion / FIM')")
    page.click("#fim-mode label:has-text('Complete left to right')")
    editor = page.locator("#fim-code .cm-content")
    editor.click()
    before = editor.inner_text()
    page.keyboard.press("Control+Enter")
    page.wait_for_function(
        "() => { const l = document.querySelector('#fim-view .seedui-lane'); return l && "
        "!l.classList.contains('seedui-running') && l.querySelector('.seedui-stats').textContent.trim(); }"
    )
    assert [b["prompt"].rstrip("\n") for b in generations(page)] == ["def fibonacci(n):\n    \n\nprint(fibonacci(10))"]
    assert editor.inner_text() == before  # the editor's own Ctrl+Enter (a new line) did not happen


def test_escape_stops_every_lane(stand_page: Any) -> None:
    page = open_with_keys(stand_page)
    page.server.httpd.plan = {"words": ["w "] * 400, "delay_s": 0.05}  # 20 s of answer
    page.fill("#compare-prompt textarea", "Count.")
    page.click("#compare-run")
    page.wait_for_function(
        "() => ['base', 'instruct', 'reasoning'].every(n => "
        "(document.querySelector(`#lane-${n} .seedui-answer`)?.textContent.length || 0) > 10)"
    )
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.querySelector('#compare-lanes-row .seedui-running')", timeout=10_000)
    assert page.server.httpd.disconnected.wait(10), "the engines' streams were not closed"
    shown = [page.locator(f"#lane-{n} .seedui-answer").inner_text() for n in ("base", "instruct", "reasoning")]
    page.wait_for_timeout(1000)
    assert [page.locator(f"#lane-{n} .seedui-answer").inner_text() for n in ("base", "instruct", "reasoning")] == shown
    assert all(page.locator(f"#lane-{n} .seedui-stats").inner_text().endswith("stopped") for n in ("base",))


def test_every_key_is_on_its_button(stand_page: Any) -> None:
    page = open_with_keys(stand_page)
    expect = {"compare-run": ("Control+Enter Meta+Enter", "Ctrl+Enter"), "compare-stop": ("Escape", "Esc")}
    for tab, ids in (("Chat", {"chat-send": ("Enter", "Enter"), "chat-stop": ("Escape", "Esc")}),
                     ("Completion / FIM", {"fim-run": ("Control+Enter Meta+Enter", "Ctrl+Enter"),
                                           "fim-stop": ("Escape", "Esc")})):  # fmt: skip
        page.click(f"#tabs button[role=tab]:has-text('{tab}')")
        for button in ids:
            page.wait_for_selector(f"#{button}[aria-keyshortcuts]", state="attached")
        expect.update(ids)
    for button, (aria, hint) in expect.items():
        found = page.evaluate(
            "(id) => { const b = document.getElementById(id); const k = b.querySelector('kbd');"
            " return [b.getAttribute('aria-keyshortcuts'), k.textContent, k.getAttribute('aria-hidden')]; }",
            button,
        )
        assert found == [aria, hint, "true"], (button, found)
    # The hint is not part of the button's name: a screen reader says "Run", and the shortcut from the attribute.
    named_run = [b.get_attribute("id") for b in page.get_by_role("button", name="Run", exact=True).all()]
    assert "fim-run" in named_run, named_run
    assert json.loads(json.dumps(page.errors)) == []
