"""Export Markdown / JSON buttons: the file is made when the visitor clicks, and downloads at once.

A `gr.DownloadButton` downloads the value it already holds when clicked, so a
file made by its own click handler would need a second click; and making the
files whenever the comparison changes wrote them on every streamed update
(and again on each re-render of the page). Instead each Export is a plain
button: its handler writes the file (seedui/export.py) into a hidden
`gr.File`, and on success a browser-only step downloads that file's URL.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from seedui.boundary import page_handler
from seedui.errors import UserError
from seedui.export import to_json, to_markdown

NO_RESULT = "Run a comparison first: there is nothing to share or export yet."
FORMATS = {"md": ("Export Markdown", to_markdown), "json": ("Export JSON", to_json)}
# Runs in the browser with the hidden gr.File's value ({url, orig_name, ...}) once the file is made.
DOWNLOAD_JS = """(file) => {
  if (!file || !file.url) return;
  const link = document.createElement('a');
  link.href = file.url;
  link.download = file.orig_name || '';
  document.body.appendChild(link);
  link.click();
  link.remove();
}"""


class ExportFiles:
    """Writes a comparison's Markdown or JSON to a file Gradio can serve."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="seedui-export-"))

    def write(self, comparison: Any, kind: str) -> str:
        """The path of `comparison` exported as `kind` ("md" or "json"); UserError when there is none."""
        if not isinstance(comparison, dict) or not comparison:
            raise UserError(NO_RESULT)
        text = FORMATS[kind][1](comparison)  # validates: ShareInvalid (a UserError) says what is wrong
        return self.write_text(text, "seedui-comparison", kind)

    def write_text(self, text: str, stem: str, suffix: str) -> str:
        """The path of a file holding `text`, named `{stem}-{content hash}.{suffix}`."""
        # The name carries the content hash: one file per distinct export, and a fresh name for a new
        # one, so the browser never serves a stale download.
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
        path = self.folder / f"{stem}-{digest}.{suffix}"
        if not path.exists():
            path.write_text(text, encoding="utf-8")
        return str(path)


@dataclass
class ExportButtons:
    buttons: dict[str, gr.Button]  # "md" / "json" -> its button
    file: gr.File  # hidden: carries the made file to the browser


def build_export_buttons(comparison: gr.State, files: ExportFiles, key: str, **button: Any) -> ExportButtons:
    """Export Markdown and Export JSON buttons (elem ids `{key}-md`, `{key}-json`) for the comparison
    held in `comparison`. Call inside the layout block they go in; `button` goes to each gr.Button."""
    buttons = {kind: gr.Button(label, elem_id=f"{key}-{kind}", **button) for kind, (label, _) in FORMATS.items()}
    file = gr.File(visible=False, elem_id=f"{key}-file")
    for kind, btn in buttons.items():
        # Queued: Gradio's page shows a failed event's error (e.g. nothing to export yet) only for queued events.
        made = btn.click(_exporter(files, kind), inputs=[comparison], outputs=[file], api_visibility="undocumented")
        made.success(fn=None, inputs=[file], js=DOWNLOAD_JS)
    return ExportButtons(buttons, file)


def _exporter(files: ExportFiles, kind: str) -> Any:
    @page_handler
    def export(comparison: Any) -> str:
        return files.write(comparison, kind)

    export.__name__ = f"export_{kind}"
    return export
