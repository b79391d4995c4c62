"""The Base lane explains itself and can be helped, in Chromium, on the STAND-IN server's lanes (scripted
answers, recorded request bodies): the prompt the lane shows is exactly the one its engine received, as typed or
with the instruction as a comment; a Base lane that stops within a couple of tokens says why and what to try."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ui.conftest import open_with_keys

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")]

LANES = ["base", "instruct", "reasoning"]
LANES_DONE = """(names) => names.every(n => {
  const lane = document.querySelector(`#lane-${n} .seedui-lane`);
  return lane && !lane.classList.contains('seedui-running') && lane.querySelector('.seedui-stats').textContent.trim();
})"""


def run(page: Any, prompt: str) -> None:
    page.fill("#compare-prompt textarea", prompt)
    page.click("#compare-run")
    page.wait_for_function("() => document.querySelector('#lane-base .seedui-running')")
    page.wait_for_function(LANES_DONE, arg=LANES)


def choose_instruction_as(page: Any, label: str) -> None:
    page.click("#instruction-as-base input")
    page.locator("ul[role=listbox] li", has_text=label).first.click()
    page.wait_for_function("(l) => document.querySelector('#instruction-as-base input').value === l", arg=label)


def completion_bodies(page: Any) -> list[dict]:
    return [r["body"] for r in page.server.posts if r["path"] == "/v1/completions"]


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("as typed", 'Write is_prime(n) <b>in</b> "Python" & test it.'),
        ("as a comment in Python, then the code", '# Write is_prime(n) <b>in</b> "Python" & test it.\n'),
        ("as a comment in HTML, then the code",
         '<!-- Write is_prime(n) <b>in</b> "Python" & test it. -->\n<!DOCTYPE html>\n'),
    ],
)  # fmt: skip
def test_the_base_lanes_shown_prompt_is_what_its_engine_received(stand_page: Any, choice: str, expected: str) -> None:
    page = open_with_keys(stand_page)
    if choice != "as typed":
        choose_instruction_as(page, choice)
    run(page, 'Write is_prime(n) <b>in</b> "Python" & test it.')
    (body,) = completion_bodies(page)
    shown = page.locator("#lane-base .seedui-prompt pre").text_content()
    assert shown == body["prompt"] == expected
    # Shown as text (escaped), unfolded when the instruction was rewritten, folded when sent as typed.
    assert page.locator("#lane-base .seedui-prompt b").count() == 0
    assert page.locator("#lane-base .seedui-prompt").evaluate("d => d.open") == (choice != "as typed")
    # Chat lanes send turns through their template: they show no prompt of their own.
    assert page.locator("#lane-instruct .seedui-prompt, #lane-reasoning .seedui-prompt").count() == 0
    assert page.errors == []


def test_a_base_lane_that_stops_at_once_says_why_and_what_to_try(stand_page: Any) -> None:
    page = open_with_keys(stand_page)
    page.server.httpd.plan = {"words": ["\n"], "finish": "stop"}  # what greedy Base does with a bare instruction
    run(page, "Write a Python function is_prime(n)")
    hint = page.locator("#lane-base .seedui-hint").inner_text()
    assert "stopped after 1 token" in hint and "base model continues text" in hint
    assert "comment" in hint and "Completion / FIM" in hint
    assert page.locator("#lane-instruct .seedui-hint, #lane-reasoning .seedui-hint").count() == 0
    # A Base lane that writes on gets no hint.
    page.server.httpd.plan = {"words": ["def", " is_prime", "(n):", "\n", "    return", " n > 1"], "finish": "stop"}
    run(page, "def is_prime(n):")
    assert page.locator("#lane-base .seedui-hint").count() == 0
