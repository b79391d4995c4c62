"""The Battle and Leaderboard tabs in Chromium, on the real app (tiny model).

The blindfold is checked where it matters: the page and every response the browser received. An init
script tees every `fetch` response body, the Gradio queue's SSE stream included, as it arrives; other
responses (the document, scripts, styles) are read with Playwright. From the start of the battle until the
vote, no model name, model id, engine or lane-specific stat is in any of them, nor anywhere in the page
beyond what the page held before the battle (the banner and the Compare tab name the configured lanes).
After the vote, the names and stats are shown.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from seedui.arena import records
from tests.ui.conftest import open_app

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

BATTLE_TIMEOUT_MS = 240_000
# Runs before any page script, in every frame: each fetch response is cloned and its body read as it streams.
TEE_FETCH = """
(() => {
  const bodies = [];
  window.__bodies = bodies;
  const original = window.fetch;
  window.fetch = async function (...args) {
    const response = await original.apply(this, args);
    const entry = { url: response.url, text: "", done: false };
    bodies.push(entry);
    try {
      const reader = response.clone().body?.getReader();
      const decoder = new TextDecoder();
      (async () => {
        for (;;) {
          const { done, value } = await (reader ? reader.read() : Promise.resolve({ done: true }));
          if (done) break;
          entry.text += decoder.decode(value, { stream: true });
        }
        entry.done = true;
      })().catch(() => { entry.done = true; });
    } catch (err) {
      entry.done = true;
    }
    return response;
  };
})();
"""
PROMPT = "Write a Python function add(a, b) that returns the sum of a and b. Answer with one code block."
STATS = ["tok/s", "TTFT", "ttft_s", "tokens_per_s", "completion_tokens", "finish_reason", "reasoning_s", "Thinking"]


def secrets_of(app: Any) -> list[str]:
    """Strings that would tell a battle's sides apart."""
    out = list(STATS)
    for name, lane in app.config.lanes.items():
        engine = app.engines.engines[name].name
        out += [lane.display_name, lane.model, lane.model.split("/")[-1], engine, "SmolLM2"]
    return sorted(set(out))


def list_votes(app: Any) -> list[dict[str, Any]]:
    return list(records.voted_battles(app.store))


def other_bodies(responses: list[Any]) -> list[str]:
    """Bodies of the responses that were not fetches (those are teed in the page)."""
    texts = []
    for response in responses:
        if response.request.resource_type in ("fetch", "xhr", "eventsource"):
            continue
        try:
            texts.append(response.body().decode("utf-8", "replace"))
        except Exception:  # a redirect or a response with no body
            continue
    return texts


def test_a_battle_hides_who_is_who_until_the_vote_then_reveals_it(page: Any, seedui_app: Any, artifacts: Any):
    page.add_init_script(TEE_FETCH)
    responses: list[Any] = []
    page.on("response", lambda r: responses.append(r))
    sockets: list[Any] = []
    page.on("websocket", lambda s: sockets.append(s))
    open_app(page, "seed=7")  # the shared seed: the tiny model's answers are the same on every run
    page.get_by_role("tab", name="Battle").click()
    page.locator("#battle-prompt textarea").wait_for()
    secrets = secrets_of(seedui_app)
    before = page.content()
    counts = {s: before.count(s) for s in secrets}
    teed, seen = page.evaluate("window.__bodies.length"), len(responses)

    page.fill("#battle-prompt textarea", PROMPT)
    page.click("#battle-start")
    page.wait_for_selector("#vote-a:not([disabled])", timeout=BATTLE_TIMEOUT_MS)
    page.screenshot(path=str(artifacts / "arena-battle-before-vote.png"), full_page=True)

    # "Check both answers" runs each side's last Python block in the sandbox, before the vote.
    page.get_by_text("Check the answers: run tests on both").click()
    page.locator("#battle-check-code .cm-content").click()
    page.keyboard.type("assert add(2, 3) == 5\n")
    page.click("#battle-check-run")
    page.wait_for_function(
        "() => { const rows = document.querySelectorAll('#battle-check-results .seedui-check-row');"
        " return rows.length === 2 && [...rows].every(r => r.dataset.status !== 'running'); }",
        timeout=120_000,
    )
    shown = {
        row.get_attribute("data-lane"): row.get_attribute("data-status")
        for row in page.locator("#battle-check-results .seedui-check-row").all()
    }
    assert set(shown) == {"a", "b"} and set(shown.values()) <= {"pass", "fail", "error", "timeout"}
    titles = page.locator("#battle-check-results .seedui-check-lane").all_inner_texts()
    assert sorted(titles) == ["Model A", "Model B"]
    assert page.locator("#compare-lanes-row .seedui-check-row").count() == 0

    # Every response since the battle started (its SSE stream, the check's): no name, engine or stat.
    page.wait_for_timeout(500)
    bodies = page.evaluate(f"window.__bodies.slice({teed})")
    streamed = [b for b in bodies if "/queue/data" in b["url"]]
    assert streamed and any("Model A" in b["text"] for b in streamed), "the battle's SSE stream was not recorded"
    wire = [b["text"] for b in bodies] + other_bodies(responses[seen:])
    for secret in secrets:
        leaks = [text[max(0, text.find(secret) - 80) : text.find(secret) + 80] for text in wire if secret in text]
        assert not leaks, f"{secret!r} reached the browser before the vote: {leaks[:2]}"
    assert sockets == []

    # The page: nothing in the battle names a side; elsewhere, nothing more than before the battle.
    battle_html = page.locator("#battle-sides").inner_html() + page.locator("#battle-note").inner_html()
    assert "Model A" in battle_html and "Model B" in battle_html
    for lane in seedui_app.config.lanes:
        assert f'"{lane}"' not in battle_html and f"-{lane}" not in battle_html, lane
    after = page.content()
    for secret in secrets:
        assert secret not in battle_html, f"{secret!r} is in the battle before the vote"
        assert after.count(secret) == counts[secret], f"{secret!r} appeared in the page during the battle"
    assert page.locator("#battle-sides .seedui-stats").all_inner_texts() == ["", ""]

    teed = page.evaluate("window.__bodies.length")

    # The vote: names, engines and stats revealed.
    page.click("#vote-b")
    page.wait_for_selector("#battle-new", state="visible", timeout=60_000)
    page.wait_for_function("() => document.querySelector('#battle-a .seedui-lane-title').innerText.includes(':')")
    page.screenshot(path=str(artifacts / "arena-battle-after-vote.png"), full_page=True)
    chat = {lane.display_name for lane in seedui_app.config.lanes.values() if lane.chats}
    titles = page.locator("#battle-sides .seedui-lane-title").all_inner_texts()
    assert {t.split(": ", 1)[1] for t in titles} == chat
    assert [t.split(": ", 1)[0] for t in titles] == ["Model A", "Model B"]
    assert all("tok/s" in s and "TTFT" in s for s in page.locator("#battle-sides .seedui-stats").all_inner_texts())
    engines = {
        f"{seedui_app.config.lanes[name].model} · {engine.name}" for name, engine in seedui_app.engines.engines.items()
    }
    assert set(page.locator("#battle-sides .seedui-engine").all_inner_texts()) <= engines  # model and engine
    assert "You voted: B is better" in page.locator("#battle-note").inner_text()
    assert page.locator("#vote-a").is_disabled()
    revealed = " ".join(b["text"] for b in page.evaluate(f"window.__bodies.slice({teed})"))
    assert any(name in revealed for name in chat)  # the recorder sees names once they are sent

    # The vote was stored with the checks the page ran.
    voted = list_votes(seedui_app)[-1]
    assert voted["choice"] == "b" and voted["prompt"] == PROMPT
    assert {s: voted["checks"][s]["status"] for s in "ab"} == shown
    assert voted["checks"]["tests"].startswith("assert add")
    assert {voted["model_a"], voted["model_b"]} == chat
    assert titles[0].endswith(voted["model_a"])

    # The leaderboard shows the vote; a new battle starts blind again.
    page.get_by_role("tab", name="Leaderboard").click()
    page.wait_for_selector("#board-table .seedui-board-row")
    page.locator("#examples-gallery").wait_for(state="hidden")  # its examples fill other tabs
    assert {r.split("\t")[1] for r in page.locator("#board-table .seedui-board-row").all_inner_texts()} >= chat
    page.locator("#board-plot circle").first.wait_for()
    with page.expect_download() as download:
        page.click("#votes-download")
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[-1])["battle_id"] == voted["battle_id"] and len(lines) == len(list_votes(seedui_app))
    page.get_by_role("tab", name="Battle").click()
    page.click("#battle-new")
    page.wait_for_function("() => document.querySelector('#battle-a .seedui-lane-title').innerText === 'Model A'")
    assert page.locator("#vote-a").is_disabled() and not page.locator("#battle-new").is_visible()
    page.get_by_role("tab", name="Compare").click()
    page.locator("#examples-gallery").wait_for(state="visible")
    assert page.errors == []


def test_a_code_block_in_a_battle_answer_runs_in_the_sandbox(page: Any):
    open_app(page, "seed=7")
    page.get_by_role("tab", name="Battle").click()
    page.fill("#battle-prompt textarea", PROMPT)
    page.click("#battle-start")
    page.wait_for_selector("#vote-a:not([disabled])", timeout=BATTLE_TIMEOUT_MS)
    run = page.locator('#battle-sides .seedui-code[data-lang="python"] .seedui-run').first
    run.click()
    output = page.locator("#battle-sides .seedui-output").first
    output.wait_for(timeout=60_000)
    page.wait_for_function(
        "() => /Finished|Error|Traceback/.test(document.querySelector('#battle-sides .seedui-output')?.innerText"
        " || '')",
        timeout=120_000,
    )
    assert page.errors == []
