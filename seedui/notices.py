"""The one place the page's notices and errors are made.

Gradio renders the text of `gr.Warning`, `gr.Info` and `gr.Error` toasts as
HTML. Their text often quotes what a visitor or a stranger's share wrote (a
deep-link parameter's name, a share's settings key), so it is escaped here,
once, and nothing else in SeedUI calls those three. `page_error` and
`api_error` are raised by the one boundary (seedui/boundary.py), nowhere else.
"""

from __future__ import annotations

import gradio as gr

from seedui.render import escape_text


def warn(text: str) -> None:
    """A warning toast on the page of the request being handled."""
    gr.Warning(escape_text(text))


def info(text: str) -> None:
    gr.Info(escape_text(text))


def page_error(text: str) -> gr.Error:
    """The error to raise from a page event: shown as a toast, its text as text."""
    return gr.Error(escape_text(text), print_exception=False)


def api_error(text: str) -> gr.Error:
    """The error to raise from a documented API endpoint: its callers are programs (gradio_client,
    HTTP), which get the message as plain text; no page shows it."""
    return gr.Error(text, print_exception=False)


def notice_html(text: str, kind: str = "warning") -> str:
    """An inline notice box (kind: info, warning or error) for a gr.HTML; '' for no text."""
    if not text:
        return ""
    role = "alert" if kind == "error" else "status"
    return f'<div class="seedui-notice seedui-notice-{kind}" role="{role}">{escape_text(text)}</div>'
