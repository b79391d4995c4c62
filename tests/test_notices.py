"""seedui.notices is the one place toasts and errors for people are made, their text escaped (Gradio renders
toast text as HTML); the error boundary (seedui/boundary.py) is the one place that raises them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from seedui.notices import api_error, notice_html, page_error

PACKAGE = Path(__file__).resolve().parent.parent / "seedui"
MARKUP = "<img src=x onerror=alert(1)>"


def calls(names: set[str]) -> dict[str, list[str]]:
    """Module path -> the calls in it of gr.X / gradio.X / X for X in `names`."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                if name in names:
                    found.setdefault(str(path.relative_to(PACKAGE)), []).append(name)
    return found


def test_only_notices_makes_toasts_and_errors():
    assert set(calls({"Error", "Warning", "Info"})) == {"notices.py"}


def test_only_the_boundary_raises_them():
    assert set(calls({"page_error", "api_error"})) == {"boundary.py"}


def test_page_text_is_escaped_and_api_text_is_not():
    assert page_error(MARKUP).message == "&lt;img src=x onerror=alert(1)&gt;"
    assert api_error(MARKUP).message == MARKUP  # programs get the message as it is


@pytest.mark.parametrize(("kind", "role"), [("info", "status"), ("warning", "status"), ("error", "alert")])
def test_notice_box_escapes(kind, role):
    html = notice_html(MARKUP, kind)
    assert MARKUP not in html and "&lt;img" in html
    assert f'class="seedui-notice seedui-notice-{kind}" role="{role}"' in html
    assert notice_html("", kind) == ""
