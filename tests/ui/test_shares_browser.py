"""Shares in a real browser: what the API saves opens read-only with the same content; unknown ids say so;
stored HTML/JS stays inert; the Share button, Export downloads (one click each, on the Compare and the
Shared tab), delete-by-token and "Open in playground"."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.ui.conftest import open_app

pytestmark = [
    pytest.mark.browser,
    pytest.mark.e2e,
]

CODE = 'def add(a, b):\n    """Add <two> & return."""\n    return a + b\n'
XSS_SCRIPT = "<script>window.__pwned = 1; alert('script')</script>"
XSS_IMG = "<img src=x onerror=\"window.__pwned = 1; alert('img')\">"
XSS_SVG = '<svg onload="window.__pwned = 1"></svg>'
TEMPLATE_INJECTION = "${(window.__pwned = 1)} {{constructor.constructor('window.__pwned = 1')()}} `"


def lane(text: str, **extra: Any) -> dict[str, Any]:
    return {"text": text, "reasoning": "", "stats": {}, "error": None, **extra}


def known_comparison() -> dict[str, Any]:
    return {
        "prompt": "Write add(a, b) in Python.\nKeep it short.",
        "settings": {"temperature": 0.2, "max_tokens": 64},
        "lanes": {
            "base": lane(
                f"Here it is:\n\n```python\n{CODE}```\n",
                model="ByteDance-Seed/Seed-Coder-8B-Base",
                display_name="Seed-Coder-8B-Base",
                engine="vllm",
                stats={"ttft_s": 0.25, "completion_tokens": 12, "tokens_per_s": 30.0, "finish_reason": "stop"},
            ),
            "reasoning": lane(
                "The answer is `a + b`.",
                reasoning="First I think about **addition**.",
                model="ByteDance-Seed/Seed-Coder-8B-Reasoning",
                stats={"reasoning_s": 1.5, "completion_tokens": 20, "finish_reason": "length"},
            ),
            "instruct": lane("", error="engine down: connection refused"),
        },
        "checks": {"base": {"status": "passed", "detail": "2 tests", "durationMs": 12}},
    }


def share(client, comparison: dict[str, Any]) -> dict[str, Any]:
    return client.predict(comparison, api_name="/share")


def open_share(page, share_id: str):
    open_app(page, f"share={share_id}")
    page.wait_for_selector("#shared-view [data-seedui-shared-lane]")
    return page


def shared_lane(page, name: str):
    return page.locator(f'#shared-view [data-seedui-shared-lane="{name}"]')


def test_api_share_opens_with_the_same_content(client, page):
    made = share(client, known_comparison())
    open_share(page, made["id"])
    assert page.locator("#shared-tab-button").is_visible() or page.locator("#shared-view").is_visible()
    view = page.locator("#shared-view")
    assert page.locator("#shared-prompt").inner_text() == "Write add(a, b) in Python.\nKeep it short."
    assert "temperature 0.2" in view.inner_text() and "max_tokens 64" in view.inner_text()
    # Every lane, with the Compare tab's rendering (code blocks byte for byte).
    names = page.eval_on_selector_all(
        "#shared-view [data-seedui-shared-lane]", "els => els.map(e => e.getAttribute('data-seedui-shared-lane'))"
    )
    assert sorted(names) == ["base", "instruct", "reasoning"]
    base = shared_lane(page, "base")
    assert base.locator(".seedui-lane-title").inner_text() == "Seed-Coder-8B-Base"
    assert "ByteDance-Seed/Seed-Coder-8B-Base" in base.locator(".seedui-engine").inner_text()
    assert base.locator('.seedui-code[data-lang="python"] .highlight pre').text_content() == CODE
    assert base.locator(".seedui-code .seedui-copy").count() == 1
    assert "TTFT 0.25 s · 12 tokens · 30.0 tok/s" in base.locator(".seedui-stats").inner_text()
    reasoning = shared_lane(page, "reasoning")
    assert reasoning.locator("details.seedui-think summary").inner_text() == "Thinking (1.5 s)"
    assert reasoning.locator("details.seedui-think strong").text_content() == "addition"
    assert reasoning.locator(".seedui-answer code").inner_text() == "a + b"
    assert shared_lane(page, "instruct").locator(".seedui-error").inner_text() == "engine down: connection refused"
    assert '"status": "passed"' in page.locator("#shared-view .seedui-shared-exec pre").inner_text()
    # Its exports download on one click each, made from the stored comparison.
    with page.expect_download() as md_download:
        page.click("#shared-export-md")
    assert md_download.value.suggested_filename.endswith(".md")
    markdown = open(md_download.value.path(), encoding="utf-8").read()
    assert "Write add(a, b) in Python." in markdown and "Seed-Coder-8B-Base" in markdown
    with page.expect_download() as js_download:
        page.click("#shared-export-json")
    exported = json.loads(open(js_download.value.path(), encoding="utf-8").read())
    assert exported == client.predict(made["id"], api_name="/load_share")
    # Read-only: no prompt box or Run button in the shared view; "Open in playground" is there.
    assert page.locator("#shared-view textarea, #shared-view input").count() == 0
    assert page.locator("#open-in-playground").is_visible()
    assert page.errors == [] and page.dialogs == []


def test_unknown_share_id_says_not_found(page):
    open_app(page, "share=NoSuchShareId0000")
    notice = page.locator("#shared-notice .seedui-notice")
    notice.wait_for()
    text = notice.inner_text()
    assert "'NoSuchShareId0000' not found" in text and "deleted" in text
    assert not page.locator("#open-in-playground").is_visible()
    assert page.locator("#shared-view [data-seedui-shared-lane]").count() == 0
    # A malformed id gets the same clear message, not a crash.
    open_app(page, "share=../../etc/passwd")
    page.locator("#shared-notice .seedui-notice").wait_for()
    assert "not found" in page.locator("#shared-notice").inner_text()
    assert page.errors == []


def test_stored_markup_and_scripts_stay_inert(client, page):
    payloads = [XSS_SCRIPT, XSS_IMG, XSS_SVG, TEMPLATE_INJECTION]
    everywhere = " ".join(payloads)
    comparison = {
        "prompt": f"prompt {everywhere}",
        "settings": {"temperature": 0.5, "instruct": {"system_prompt": XSS_IMG}},
        "lanes": {
            "base": lane(
                f"text {everywhere}\n\n[click](javascript:window.__pwned=1) ![x](javascript:alert(1))\n",
                reasoning=f"thinking {XSS_IMG}",
                display_name=XSS_SCRIPT,
                model=XSS_IMG,
                engine=XSS_SVG,
                stats={"finish_reason": XSS_IMG, "ttft_s": "<b>1</b>"},
            ),
            "instruct": lane("fine", error=f"error {everywhere}", execution={"stdout": XSS_SCRIPT}),
        },
        "meta": {"profile": XSS_IMG, "created": XSS_SCRIPT},
        "checks": {"base": {"detail": XSS_IMG}},
    }
    made = share(client, comparison)
    page.add_init_script("window.__pwned = undefined")
    open_share(page, made["id"])
    page.wait_for_timeout(500)  # give any injected handler (img onerror, svg onload) its chance to fire
    assert page.dialogs == []
    assert page.evaluate("window.__pwned") is None
    view = page.locator("#shared-view")
    # No markup from the share became elements...
    for selector in ("script", "img", "svg", "iframe", "a[href^='javascript']", "[onerror]", "[onload]", "b"):
        assert view.locator(selector).count() == 0, selector
    # ...and every payload is on the page as text.
    text = view.inner_text()
    for payload in payloads:
        assert payload in text, payload
    assert page.locator("#shared-prompt").inner_text() == f"prompt {everywhere}"
    assert shared_lane(page, "base").locator(".seedui-lane-title").inner_text() == XSS_SCRIPT
    assert f"error {everywhere}" in shared_lane(page, "instruct").locator(".seedui-error").inner_text()
    # Opening it in the playground only fills text boxes.
    page.click("#open-in-playground")
    page.wait_for_function(
        "p => document.querySelector('#compare-prompt textarea').value === p", arg=f"prompt {everywhere}"
    )
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None and page.dialogs == [] and page.errors == []


def test_open_in_playground_fills_prompt_lanes_and_settings(client, page):
    comparison = {
        "prompt": "Reverse a string in Python.",
        "settings": {"temperature": 0.3, "max_tokens": 7, "instruct": {"top_p": 0.5}},
        "lanes": {"instruct": lane("s[::-1]"), "reasoning": lane("reversed"), "elsewhere": lane("not a lane here")},
    }
    made = share(client, comparison)
    open_share(page, made["id"])
    page.click("#open-in-playground")
    page.wait_for_function("() => document.querySelector('#compare-prompt textarea').value.startsWith('Reverse')")
    checked = page.eval_on_selector_all("#compare-lanes input[type=checkbox]", "els => els.map(e => e.checked)")
    assert checked == [False, True, True]  # base, instruct, reasoning
    # Partial settings: each lane's own controls = card defaults, then the shared values, then its overrides.
    page.get_by_text("Sampling settings", exact=True).click()
    assert page.locator("#unlink-lanes input").is_checked()

    def number(elem_id: str) -> float:
        return float(page.locator(f"#{elem_id} input[type=number]").input_value())

    assert number("lane-instruct-temperature") == 0.3
    assert number("lane-instruct-top_p") == 0.5
    assert number("lane-reasoning-temperature") == 0.3
    assert number("lane-base-max_tokens") == 7
    # The lane that is not on this server is reported, not silently dropped.
    toast = page.locator(".toast-body", has_text="elsewhere")
    toast.wait_for()
    assert "not on this server" in toast.inner_text()
    assert page.errors == []


def test_share_button_export_and_delete(page):
    # A deep link sets a tiny run; the page runs it, shares it, exports it and deletes the share.
    open_app(page, "prompt=Say%20hi&lanes=instruct&max_tokens=4&temperature=0")
    # Before a run there is nothing to export: a click says so, and nothing downloads.
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    page.click("#export-md")
    page.locator(".toast-body", has_text="Run a comparison first").wait_for()
    assert downloads == []
    page.wait_for_function("() => document.querySelector('#compare-prompt textarea').value === 'Say hi'")
    page.click("#compare-run")
    stats = page.locator("#lane-instruct .seedui-stats")
    page.wait_for_function(
        "() => /(stop|length)$/.test(document.querySelector('#lane-instruct .seedui-stats')?.innerText || '')"
    )
    answer = page.locator("#lane-instruct .seedui-answer").inner_text()
    assert stats.inner_text()

    page.click("#share-button")
    link = page.locator("#share-link")
    link.wait_for()
    url = link.get_attribute("href")
    token = page.locator("#share-token").inner_text()
    share_id = page.locator("#share-id").inner_text()
    assert url == f"{page.app_url}?share={share_id}"
    assert len(token) >= 32 and "only this once" in page.locator("#share-result").inner_text()

    with page.expect_download() as md_download:
        page.click("#export-md")
    markdown = open(md_download.value.path(), encoding="utf-8").read()
    assert "## Prompt" in markdown and "Say hi" in markdown
    with page.expect_download() as js_download:
        page.click("#export-json")
    exported = json.loads(open(js_download.value.path(), encoding="utf-8").read())
    assert exported["prompt"] == "Say hi" and list(exported["lanes"]) == ["instruct"]
    assert exported["settings"]["max_tokens"] == 4

    other = page.context.new_page()
    other.app_url = page.app_url
    other.goto(url)
    other.wait_for_selector('#shared-view [data-seedui-shared-lane="instruct"]')
    assert other.locator("#shared-prompt").inner_text() == "Say hi"
    assert other.locator('[data-seedui-shared-lane="instruct"] .seedui-answer').inner_text() == answer

    # Delete: the id box already holds the link; a wrong token is refused, the right one deletes.
    page.locator("#share-delete").click()
    page.fill("#delete-share-token textarea, #delete-share-token input", "not-the-token")
    page.click("#delete-share-button")
    page.locator("#delete-share-status .seedui-notice", has_text="wrong delete token").wait_for()
    page.fill("#delete-share-token textarea, #delete-share-token input", token)
    page.click("#delete-share-button")
    page.locator("#delete-share-status .seedui-notice", has_text="deleted").wait_for()
    other.goto(url)
    other.locator("#shared-notice .seedui-notice", has_text="not found").wait_for()
    assert page.errors == [] and page.dialogs == []
