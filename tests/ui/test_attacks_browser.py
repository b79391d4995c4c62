"""Attacks from another origin, in Chromium: framing the app, and HTML smuggled into notices.

The "attacker" is a page served from another loopback port (another origin);
each test is the attack as it was done against a running SeedUI.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.ui.conftest import open_app

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_another_site_cannot_frame_the_app(page, attacker):
    # The attack began with <iframe src=APP> on the attacker's page; the app's runner frame inside it
    # was then navigated to the attacker's own page. Without a frame, there is nothing to navigate.
    attacker.page = f'<!doctype html><iframe id="app" src="{page.app_url}" width="900" height="600"></iframe>'
    page.goto(attacker.url)
    app_frame = page.main_frame.child_frames[0]
    app_frame.wait_for_load_state()
    assert app_frame.url.startswith("chrome-error://"), app_frame.url  # the browser refused to render it
    assert page.frame_locator("#app").locator("#compare-prompt").count() == 0


def test_the_app_frames_itself(page):
    # Its own frames (the sandboxed runner and previews) are same-origin ancestors: still allowed.
    open_app(page)
    page.wait_for_function("window.seedui && window.seedui.run")  # a module script: it runs once loaded
    ready = page.evaluate("() => window.seedui.run({language: 'javascript', code: 'console.log(6 * 7)'})")
    assert ready["ok"] and ready["stdout"] == "42\n", ready


def toast_text(page) -> str:
    toast = page.locator(".toast-body").first
    toast.wait_for()
    return toast.text_content() or ""


def test_a_deep_link_parameter_name_cannot_put_html_in_a_notice(page, attacker):
    evil = f"<img src=//{attacker.url.split('//')[1]}p>"  # short enough to be quoted whole
    open_app(page, quote(evil) + "=1&prompt=hi")
    assert evil in toast_text(page)  # shown as text
    page.wait_for_timeout(500)  # an image would have loaded by now
    assert attacker.stolen() == []
    assert page.locator("img[src$='/p']").count() == 0


def test_a_shared_settings_key_cannot_put_a_form_in_a_notice(page, attacker, client):
    host = attacker.url.split("//")[1].rstrip("/")
    form = f"<form action=//{host}/s><input name=t><button id=evil>"  # within the 64-character key limit
    made = client.predict(
        {"prompt": "p", "settings": {form: 1}, "lanes": {"instruct": {"text": "t"}}}, api_name="/share"
    )
    open_app(page, f"share={made['id']}")
    page.locator("#open-in-playground").click()
    assert form in toast_text(page)  # shown as text
    assert page.locator("#evil").count() == 0
    assert page.locator("form[action$='/s']").count() == 0
