"""Leaderboard tab: the arena's ratings (seedui/arena/board.py, refitted only when votes have arrived),
shown when the tab is opened, when style control is switched, and after each vote; and every vote as a
JSONL download for the host (the same lines as `python -m seedui.arena.export`)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from seedui.arena import export
from seedui.arena.battles import Arena
from seedui.boundary import page_handler
from seedui.ui.exports import DOWNLOAD_JS
from seedui.ui.leaderboard_view import BOARD_CSS, board_html

STYLE_LABEL = "Style control: account for answer length and number of code blocks"


@dataclass
class LeaderboardTab:
    tab: gr.Tab
    style: gr.Checkbox
    view: gr.HTML
    download: gr.Button
    file: gr.File


def build_leaderboard_tab(arena: Arena, after: list[Any]) -> LeaderboardTab:
    """The tab; `after` are events (the votes) after which it is refreshed."""
    with gr.Tab("Leaderboard", id="leaderboard") as tab:
        style = gr.Checkbox(False, label=STYLE_LABEL, elem_id="leaderboard-style")
        view = gr.HTML(board_html(arena.board.as_dict()), css_template=BOARD_CSS, elem_id="leaderboard-view")
        download = gr.Button("Download all votes (JSONL)", elem_id="votes-download", size="sm")
        file = gr.File(visible=False, elem_id="votes-file")
    ui = LeaderboardTab(tab, style, view, download, file)
    _wire(arena, ui, after)
    return ui


def _wire(arena: Arena, ui: LeaderboardTab, after: list[Any]) -> None:
    folder = Path(tempfile.mkdtemp(prefix="seedui-votes-"))

    @page_handler
    def show_board(style_control: bool) -> str:
        return board_html(arena.board.as_dict(bool(style_control)))

    @page_handler
    def download_votes() -> str:
        return str(export.write_file(arena.store, folder))

    quiet = {"show_progress": "hidden", "api_visibility": "undocumented"}
    ui.tab.select(show_board, inputs=[ui.style], outputs=[ui.view], **quiet)
    ui.style.change(show_board, inputs=[ui.style], outputs=[ui.view], **quiet)
    for event in after:
        event.success(show_board, inputs=[ui.style], outputs=[ui.view], **quiet)
    made = ui.download.click(download_votes, outputs=[ui.file], api_visibility="undocumented")
    made.success(fn=None, inputs=[ui.file], js=DOWNLOAD_JS)
