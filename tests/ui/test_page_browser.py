"""The playground page in headless Chromium on the tiny model.

Compare streams into all three columns, Stop halts them, code is highlighted,
model output stays text, lanes can be hidden, the layout stacks on a narrow
screen, the theme toggle recolours code, chat keeps history, FIM says the tiny
model has no FIM tokens, the gallery fills the tabs, and the sampling reset works.

The tiny model is slow (a few tokens/s per lane on a busy machine), so every
run is short (`Max new tokens`) and every wait is on DOM state with a generous
timeout, never on wall-clock thresholds. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from seedui.examples import load_examples
from tests.ui.conftest import LOAD_TIMEOUT_MS, open_app

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

LANES = ["base", "instruct", "reasoning"]
RUN_TIMEOUT_MS = 180_000
CODE_PROMPT = "Write a Python function that adds two numbers, in a code block."
XSS_LINE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>\n'

# A lane is done when it is no longer marked running and shows its stats line.
LANES_DONE = """(names) => names.every(n => {
  const lane = document.querySelector(`#lane-${n} .seedui-lane`);
  return lane && !lane.classList.contains('seedui-running')
    && lane.querySelector('.seedui-stats').textContent.trim() !== '';
})"""

# Per lane, one record per DOM update batch: [time ms, answer text length, running?].
RECORD_MUTATIONS = """(names) => {
  window.__updates = {};
  for (const n of names) {
    const host = document.querySelector(`#lane-${n}`);
    const log = window.__updates[n] = [];
    // The running lane's clock ticks here 10 times a second (page.js): not an update from the server.
    const clock = (node) => (node.nodeType === 1 ? node : node.parentElement)?.closest('[data-seedui-elapsed]');
    new MutationObserver((records) => {
      if (records.every((r) => clock(r.target))) return;
      const lane = host.querySelector('.seedui-lane');
      const answer = host.querySelector('.seedui-answer');
      log.push([performance.now(), answer ? answer.textContent.length : -1,
                !!(lane && lane.classList.contains('seedui-running'))]);
    }).observe(host, {childList: true, subtree: true, characterData: true, attributes: true});
  }
}"""


# ---------------------------------------------------------------- helpers


def open_sampling(page: Any) -> None:
    content = page.locator("#sampling-panel [data-testid=accordion-content]")
    if not content.is_visible():
        page.click("#sampling-panel > button.label-wrap")
    page.wait_for_selector("#shared-max_tokens input[type=number]", state="visible")


def number(page: Any, elem_id: str) -> float:
    return float(page.input_value(f"#{elem_id} input[type=number]"))


def set_slider(page: Any, elem_id: str, value: float) -> None:
    """Type into a slider's number box, as a user does; that also leaves card-defaults mode."""
    open_sampling(page)
    box = page.locator(f"#{elem_id} input[type=number]")
    synced = "([id, v]) => Number(document.querySelector(`#${id} input[type=range]`).value) === v"
    for attempt in range(3):  # on a loaded machine the page's own load-time update can land after the typing
        box.fill(str(value))
        box.press("Enter")
        try:
            page.wait_for_function(synced, arg=[elem_id, value], timeout=20_000)
            return
        except PlaywrightTimeout:
            if attempt == 2:
                raise


def short_greedy(page: Any, max_tokens: int) -> None:
    """Every lane greedy and short, so runs finish quickly and repeat."""
    set_slider(page, "shared-temperature", 0)
    set_slider(page, "shared-max_tokens", max_tokens)
    assert not page.locator("#card-defaults input").is_checked()


def choose_lanes(page: Any, group: str, names: list[str]) -> None:
    for box in page.locator(f"#{group} input[type=checkbox]").all():
        if box.is_checked() != (box.get_attribute("name") in names):
            box.click()
    for box in page.locator(f"#{group} input[type=checkbox]").all():
        assert box.is_checked() == (box.get_attribute("name") in names)


def run_compare(page: Any, prompt: str, names: list[str]) -> None:
    page.fill("#compare-prompt textarea", prompt)
    page.click("#compare-run")
    # The cheap clear comes first and marks the chosen lanes running; then wait for them to finish.
    page.wait_for_function(
        "(names) => names.some(n => document.querySelector(`#lane-${n} .seedui-running`))", arg=names
    )
    page.wait_for_function(LANES_DONE, arg=names, timeout=RUN_TIMEOUT_MS)


def answer_text(page: Any, name: str, prefix: str = "lane") -> str:
    return page.locator(f"#{prefix}-{name} .seedui-answer").last.text_content() or ""


def lane_box(page: Any, name: str) -> dict[str, float]:
    box = page.locator(f"#lane-{name} .seedui-lane").bounding_box()
    assert box is not None, f"lane {name} is not laid out"
    return box


def selected_tab(page: Any) -> str:
    return page.locator("#tabs button[role=tab][aria-selected=true]").inner_text().strip()


def code_editor_text(page: Any, elem_id: str) -> str:
    return page.locator(f"#{elem_id} .cm-content").inner_text()


def wait_for_toast(page: Any, timeout: int = RUN_TIMEOUT_MS) -> str:
    toast = page.locator("[data-testid=toast-body]").first
    toast.wait_for(state="visible", timeout=timeout)
    return toast.inner_text()


# ---------------------------------------------------------------- one run shared by several tests


@pytest.fixture(scope="module")
def ran_page(browser: Any, app_url: str) -> Iterator[Any]:
    """A wide page after one three-lane Compare run of CODE_PROMPT, DOM updates recorded per lane."""
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    context.set_default_timeout(LOAD_TIMEOUT_MS)
    page = context.new_page()
    page.app_url = app_url
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    open_app(page)
    page.wait_for_selector("#lane-base .seedui-lane")
    short_greedy(page, 24)
    page.evaluate(RECORD_MUTATIONS, LANES)
    run_compare(page, CODE_PROMPT, LANES)
    page.updates = page.evaluate("window.__updates")
    try:
        yield page
    finally:
        context.close()


def test_page_loads_with_tiny_banner(page: Any, seedui_app: Any) -> None:
    open_app(page)
    assert "SeedUI" in page.title()
    banner = page.locator("#profile-banner").inner_text()
    assert "tiny" in banner and "stand-in" in banner
    for name in LANES:
        assert page.locator(f"#lane-{name} .seedui-lane[data-seedui-lane={name}]").is_visible()
    # The engines were ready before this page loaded: the lanes say so, not what they were at build time
    # (the banner catches up on its 2 s poll).
    page.wait_for_function("() => !document.querySelector('#profile-banner').innerText.includes('starting')")
    assert page.locator("#compare-lanes-row .seedui-status").count() == 0
    # The engine that runs the lane: llama.cpp's server where it is built (CI), else the transformers fallback,
    # whose notice the banner then shows.
    engine = seedui_app.engines.engines["base"]
    assert page.locator("#lane-base .seedui-engine").inner_text() == engine.name
    assert engine.name.startswith(("llama.cpp @ http://127.0.0.1:", "transformers"))
    notice = engine.status.notice
    assert (page.locator("#profile-banner .seedui-notice").count() == 1) == bool(notice)
    assert [t.strip() for t in page.locator("#tabs button[role=tab]").all_inner_texts()][:3] == [
        "Compare",
        "Chat",
        "Completion / FIM",
    ]
    assert page.errors == []


def test_run_streams_text_into_all_three_columns(ran_page: Any) -> None:
    for name in LANES:
        assert answer_text(ran_page, name).strip(), f"{name} shows no answer"
        # Finished lanes say why they stopped (the last snapshot must not be an earlier one).
        stats = ran_page.locator(f"#lane-{name} .seedui-stats").inner_text()
        assert stats.endswith(("stop", "length")), f"{name}: {stats!r}"
        # Streaming: the text grew over several updates while the lane was still running.
        growing = {length for _, length, running in ran_page.updates[name] if running and length > 0}
        assert len(growing) >= 2, f"{name} did not stream: {ran_page.updates[name]}"


def test_streamed_updates_are_coalesced(ran_page: Any) -> None:
    """DOM updates per lane stay well below one per frame (the service sends at most ~25 a second)."""
    for name in LANES:
        times = [t for t, _, _ in ran_page.updates[name]]
        assert len(times) >= 3, f"{name}: too few updates to judge: {times}"
        span_s = (times[-1] - times[0]) / 1000
        rate = (len(times) - 1) / span_s if span_s > 0 else float("inf")
        assert rate < 40, f"{name}: {len(times)} DOM updates in {span_s:.2f} s"


def test_code_block_carries_pygments_markup(ran_page: Any) -> None:
    blocks = ran_page.locator("#compare-lanes-row .seedui-code[data-lang=python]")
    assert blocks.count() >= 1, "no lane answered with a python code block"
    block = blocks.first
    assert block.locator(".seedui-code-bar .seedui-copy").count() == 1
    keywords = block.locator(".highlight pre span.k").all_inner_texts()
    assert "def" in keywords or "return" in keywords, keywords
    assert block.locator(".highlight pre span.nf").count() >= 1  # the function name


def test_compare_screenshot_wide(ran_page: Any, artifacts) -> None:
    ran_page.set_viewport_size({"width": 1500, "height": 1000})
    boxes = [lane_box(ran_page, n) for n in LANES]
    # Side by side: one row, left to right, no overlap.
    assert all(abs(b["y"] - boxes[0]["y"]) < 2 for b in boxes)
    for left, right in zip(boxes, boxes[1:], strict=False):
        assert left["x"] + left["width"] <= right["x"] + 1
    ran_page.locator("#compare-lanes-row").scroll_into_view_if_needed()
    ran_page.screenshot(path=str(artifacts / "compare-wide.png"), full_page=True)


def test_narrow_viewport_stacks_columns(ran_page: Any, artifacts) -> None:
    ran_page.set_viewport_size({"width": 500, "height": 1000})
    try:
        ran_page.wait_for_function(
            "() => { const [a, b] = ['base', 'instruct'].map(n => document.querySelector(`#lane-${n} .seedui-lane`)"
            ".getBoundingClientRect()); return b.top >= a.bottom; }"
        )
        boxes = [lane_box(ran_page, n) for n in LANES]
        assert all(abs(b["x"] - boxes[0]["x"]) < 2 for b in boxes)
        for top, below in zip(boxes, boxes[1:], strict=False):
            assert top["y"] + top["height"] <= below["y"] + 1
        assert all(b["width"] <= 500 for b in boxes)
        ran_page.screenshot(path=str(artifacts / "compare-narrow.png"), full_page=True)
    finally:
        ran_page.set_viewport_size({"width": 1500, "height": 1000})


def test_theme_toggle_recolours_code(ran_page: Any, artifacts) -> None:
    keyword = ran_page.locator("#compare-lanes-row .seedui-code .highlight span.k").first
    colours = "(el) => [getComputedStyle(el).color, getComputedStyle(el.closest('.highlight')).backgroundColor]"
    light = keyword.evaluate(colours)
    assert not ran_page.evaluate("document.body.classList.contains('dark')")
    ran_page.click("#theme-toggle")
    try:
        ran_page.wait_for_function("() => document.body.classList.contains('dark')")
        dark = keyword.evaluate(colours)
        assert dark[0] != light[0], "keyword colour unchanged"
        assert dark[1] != light[1], "code background unchanged"
        ran_page.screenshot(path=str(artifacts / "compare-dark.png"), full_page=True)
    finally:
        ran_page.click("#theme-toggle")
        ran_page.wait_for_function("() => !document.body.classList.contains('dark')")
    assert keyword.evaluate(colours) == light


# ---------------------------------------------------------------- tests with their own page


def test_stop_halts_all_lanes(page: Any) -> None:
    open_app(page)
    # Long enough that no lane can finish first: llama.cpp's server streams a few hundred tokens in seconds.
    short_greedy(page, 3000)
    page.fill("#compare-prompt textarea", "Count from 1 to 3000, separated by commas: 1, 2, 3, 4, 5,")
    page.click("#compare-run")
    page.wait_for_function(
        "(names) => names.every(n => (document.querySelector(`#lane-${n} .seedui-answer`)?.textContent.length"
        " || 0) > 8)",
        arg=LANES,
        timeout=RUN_TIMEOUT_MS,
    )
    page.click("#compare-stop")
    # Once the cancel has gone through, the lanes no longer look busy and keep what they streamed.
    page.wait_for_function("() => !document.querySelector('#compare-lanes-row .seedui-running')")
    snapshot = "(names) => names.map(n => document.querySelector(`#lane-${n} .seedui-answer`).textContent)"
    stopped = page.evaluate(snapshot, LANES)
    page.wait_for_timeout(4_000)  # at a few tokens/s a lane still generating would have grown by now
    assert page.evaluate(snapshot, LANES) == stopped
    stats = {n: page.locator(f"#lane-{n} .seedui-stats").inner_text() for n in LANES}
    for name, text in zip(LANES, stopped, strict=True):
        assert text.strip(), f"{name} lost its partial answer"
        assert stats[name].endswith(("stopped", "stop")), stats  # cut by Stop, or ended on its own before
    assert any(s.endswith("stopped") for s in stats.values()), stats
    assert page.locator("#compare-lanes-row .seedui-running").count() == 0
    # The page takes the next run (the stopped one no longer holds the queue).
    set_slider(page, "shared-max_tokens", 4)
    run_compare(page, "def add(a, b):\n", ["base", "instruct"])


def test_model_html_is_shown_as_text_and_never_runs(page: Any) -> None:
    """The Base lane continues a repeated pattern at temperature 0: the model itself 'writes' the payload."""
    open_app(page)
    short_greedy(page, 30)  # about one line of the pattern
    choose_lanes(page, "compare-lanes", ["base"])
    run_compare(page, XSS_LINE * 4, ["base"])
    answer = page.locator("#lane-base .seedui-answer")
    text = answer.inner_text()
    assert "<script>window.__pwned=2</script>" in text or '<img src=x onerror="window.__pwned=1">' in text, text
    assert answer.locator("text=window.__pwned").count() >= 1  # visible as text
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("#compare-lanes-row img, #compare-lanes-row script, #compare-lanes-row [onerror]").count() == 0
    assert page.dialogs == []
    assert page.errors == []


def test_two_lanes_show_two_columns(page: Any) -> None:
    open_app(page)
    page.set_viewport_size({"width": 1500, "height": 1000})
    choose_lanes(page, "compare-lanes", ["base", "instruct"])
    page.wait_for_selector("#lane-reasoning", state="detached")
    visible = page.locator("#compare-lanes-row .seedui-lane")
    assert visible.count() == 2
    assert [visible.nth(i).get_attribute("data-seedui-lane") for i in range(2)] == ["base", "instruct"]
    base, instruct = lane_box(page, "base"), lane_box(page, "instruct")
    assert abs(base["y"] - instruct["y"]) < 2 and base["x"] + base["width"] <= instruct["x"] + 1
    # The two columns share the row's width between them.
    assert base["width"] > 500 and instruct["width"] > 500
    choose_lanes(page, "compare-lanes", LANES)
    page.wait_for_selector("#lane-reasoning .seedui-lane")


def test_chat_keeps_history_across_two_turns(page: Any) -> None:
    open_app(page)
    short_greedy(page, 12)
    page.click("#tabs button[role=tab]:has-text('Chat')")
    chat_lanes = ["instruct", "reasoning"]
    turns = ["Hello! My name is Ana.", "What is my name?"]
    for count, message in enumerate(turns, start=1):
        page.fill("#chat-message textarea", message)
        page.click("#chat-send")
        page.wait_for_function(
            """([names, count]) => document.querySelector('#chat-message textarea').value === ''
              && names.every(n => {
                const lane = document.querySelector(`#chat-${n} .seedui-lane`);
                return lane && !lane.classList.contains('seedui-running')
                  && lane.querySelectorAll('.seedui-assistant').length === count;
              })""",
            arg=[chat_lanes, count],
            timeout=RUN_TIMEOUT_MS,
        )
    for name in chat_lanes:
        lane = page.locator(f"#chat-{name} .seedui-lane")
        assert lane.locator(".seedui-user").all_inner_texts() == turns
        answers = lane.locator(".seedui-assistant .seedui-answer").all_inner_texts()
        assert len(answers) == 2 and all(a.strip() for a in answers), answers


def test_fim_reports_missing_fim_tokens_and_completes(page: Any) -> None:
    open_app(page)
    short_greedy(page, 8)
    page.click("#tabs button[role=tab]:has-text('Completion / FIM')")
    assert "<FILL>" in code_editor_text(page, "fim-code")
    page.click("#fim-run")
    message = wait_for_toast(page)
    # The tiny stand-in has no FIM tokens: it says so instead of pretending.
    assert "fill-in-the-middle" in message and "Seed-Coder-8B-Base" in message
    assert page.locator("#fim-view mark.seedui-infill").count() == 0
    # Left-to-right completion still works and is marked in place.
    page.click("#fim-mode label:has-text('Complete left to right')")
    page.click("#fim-run")
    page.wait_for_function(
        "() => { const l = document.querySelector('#fim-view .seedui-lane'); return l && l.querySelector("
        "'mark.seedui-infill') && !l.classList.contains('seedui-running') && l.querySelector('.seedui-stats')"
        ".textContent.trim() !== ''; }",
        timeout=RUN_TIMEOUT_MS,
    )
    code = page.locator("#fim-view .seedui-code .highlight pre").inner_text()
    assert code.startswith("def fibonacci(n):") and "<FILL>" not in code


def test_examples_gallery_fills_the_tabs(page: Any) -> None:
    open_app(page)
    shown = load_examples()[:10]  # the gallery's first page
    compare = next(e for e in shown if e.tab == "compare")
    fim = next(e for e in shown if e.tab == "fim")
    page.locator("#examples-gallery tr", has_text=compare.title).first.click()
    page.wait_for_function("(p) => document.querySelector('#compare-prompt textarea').value === p", arg=compare.prompt)
    assert selected_tab(page) == "Compare"
    page.locator("#examples-gallery tr", has_text=fim.title).first.click()
    page.wait_for_function("() => document.querySelector('#fim-code .cm-content')?.innerText.includes('<FILL>')")
    assert selected_tab(page) == "Completion / FIM"
    code = code_editor_text(page, "fim-code")
    assert code.count("<FILL>") == 1
    assert fim.prefix.strip().splitlines()[0] in code


def test_reset_restores_model_card_defaults(page: Any) -> None:
    open_app(page)
    open_sampling(page)
    ids = ["shared-temperature", "shared-top_p", "shared-max_tokens"]
    card = {i: number(page, i) for i in ids}
    assert page.locator("#card-defaults input").is_checked()
    set_slider(page, "shared-temperature", 1.7)
    set_slider(page, "shared-max_tokens", 7)
    assert not page.locator("#card-defaults input").is_checked()
    page.click("#reset-sampling")
    page.wait_for_function(
        "(card) => Object.entries(card).every(([id, v]) =>"
        " Number(document.querySelector(`#${id} input[type=number]`).value) === v)",
        arg=card,
    )
    assert page.locator("#card-defaults input").is_checked()
