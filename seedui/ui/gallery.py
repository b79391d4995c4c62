"""Examples gallery: a click fills the example's tab and switches to it; shown only under the tabs it fills."""

from __future__ import annotations

from typing import Any

import gradio as gr

from seedui.boundary import page_handler
from seedui.config import AppConfig
from seedui.examples import lanes_for, load_examples
from seedui.ui.chat_tab import ChatTab
from seedui.ui.compare_tab import CompareTab
from seedui.ui.fim_tab import MARKER, MODES, FimTab


def build_gallery(
    config: AppConfig, tabs: gr.Tabs, compare: CompareTab, chat: ChatTab, fim: FimTab | None
) -> gr.Dataset:
    examples = [e for e in load_examples() if e.tab != "fim" or fim is not None]
    dataset = gr.Dataset(
        components=[gr.Textbox(visible=False), gr.Textbox(visible=False)],
        headers=["Category", "Example"],
        samples=[[e.category, e.title] for e in examples],
        label="Examples",
        type="index",
        samples_per_page=10,
        elem_id="examples-gallery",
    )

    @page_handler
    def pick(index: int) -> dict[Any, Any]:
        example = examples[index]
        lanes = lanes_for(example, config)
        if example.tab == "fim" and fim is not None:
            code = f"{example.prefix}{MARKER}{example.suffix}"
            return {tabs: gr.Tabs(selected="fim"), fim.code: code, fim.language: example.language, fim.mode: MODES[0]}
        if example.tab == "chat":
            return {tabs: gr.Tabs(selected="chat"), chat.message: example.prompt, chat.lanes: lanes}
        return {
            tabs: gr.Tabs(selected="compare"),
            compare.prompt: example.prompt,
            compare.lanes: lanes,
            compare.check_code: example.check or "",
        }

    outputs = [tabs, compare.prompt, compare.lanes, compare.check_code, chat.message, chat.lanes]
    if fim is not None:
        outputs += [fim.code, fim.language, fim.mode]
    dataset.click(pick, inputs=[dataset], outputs=outputs, queue=False, api_visibility="undocumented")
    _show_only_under(tabs, dataset, {"compare", "chat", "fim"})
    return dataset


def _show_only_under(tabs: gr.Tabs, dataset: gr.Dataset, tab_ids: set[str]) -> None:
    """Hide the gallery under the tabs its examples do not fill (Battle, Leaderboard, Bench, a share)."""
    for tab in tabs.children:
        if isinstance(tab, gr.Tab):
            tab.select(_showing(tab.id in tab_ids), outputs=dataset, queue=False, api_visibility="undocumented")


def _showing(visible: bool) -> Any:
    @page_handler
    def show_gallery() -> gr.Dataset:
        return gr.Dataset(visible=visible)

    return show_gallery
