"""The Shared tab: hidden until the page is opened with ``?share=<id>``, then the stored comparison,
read-only (shared_view.py), its exports, and "Open in playground", which fills the Compare tab
(prompt, lanes, sampling settings; seedui/prefill.py) to run it again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from seedui.boundary import page_handler
from seedui.errors import UserError
from seedui.notices import notice_html, warn
from seedui.prefill import playground_fill
from seedui.service import LaneService
from seedui.shares import ShareService
from seedui.ui.exports import ExportButtons, ExportFiles, build_export_buttons
from seedui.ui.fill import PageInputs
from seedui.ui.placement import reopen
from seedui.ui.share_controls import UNAVAILABLE
from seedui.ui.shared_view import EMPTY_VIEW, SHARED_CSS, SHARED_TEMPLATE, shared_view_value

SHARED_TAB_ID = "shared"
SHARE_PARAM = "share"  # the query parameter of a share link
OPENED = (
    "A shared comparison, read-only. 'Open in playground' puts its prompt, lanes and settings "
    "into the Compare tab to run it again."
)


@dataclass
class SharedTab:
    tab: gr.Tab
    notice: gr.HTML
    view: gr.HTML
    shared: gr.State  # the loaded comparison (normalised), or {}
    open_playground: gr.Button
    exports: ExportButtons


def build_shared_tab(
    service: LaneService,
    page: PageInputs,
    blocks: gr.Blocks,
    files: ExportFiles,
    shares: ShareService | None,
) -> SharedTab:
    """Add the tab to `page.tabs` and load a share link's comparison into it when the page opens."""
    with reopen(page.tabs):
        with gr.Tab("Shared", id=SHARED_TAB_ID, visible=False, elem_id="shared-tab") as tab:
            notice = gr.HTML("", elem_id="shared-notice", padding=False)
            view = gr.HTML(
                EMPTY_VIEW, html_template=SHARED_TEMPLATE, css_template=SHARED_CSS, elem_id="shared-view",
                apply_default_css=False, padding=False,
            )  # fmt: skip
            with gr.Row():
                open_playground = gr.Button(
                    "Open in playground", variant="primary", visible=False, elem_id="open-in-playground"
                )
                shared = gr.State({})
                exports = build_export_buttons(shared, files, "shared-export")
    ui = SharedTab(tab, notice, view, shared, open_playground, exports)
    _wire(service, ui, page, blocks, shares)
    return ui


def _wire(
    service: LaneService, ui: SharedTab, page: PageInputs, blocks: gr.Blocks, shares: ShareService | None
) -> None:
    outputs = [ui.tab, page.tabs, ui.notice, ui.view, ui.shared, ui.open_playground]

    @page_handler
    def load_shared(request: gr.Request) -> dict[Any, Any]:
        params = dict(request.query_params) if request is not None else {}
        share_id = str(params.get(SHARE_PARAM) or "").strip()
        if not share_id:  # no share link (an empty id is noted by the deep-link check)
            return gr.skip()  # every output as it is
        show = {ui.tab: gr.Tab(visible=True), page.tabs: gr.Tabs(selected=SHARED_TAB_ID)}
        try:
            if shares is None:
                raise UserError(UNAVAILABLE)
            comparison = shares.load(share_id)
        except UserError as exc:  # said on the tab the link opened
            return {**show, ui.notice: notice_html(str(exc), "error"), ui.view: EMPTY_VIEW, ui.shared: {}}
        return {
            **show,
            ui.notice: notice_html(OPENED, "info"),
            ui.view: shared_view_value(comparison),
            ui.shared: comparison,
            ui.open_playground: gr.Button(visible=True),
        }

    blocks.load(load_shared, outputs=outputs, show_progress="hidden", api_visibility="undocumented")

    @page_handler
    def open_in_playground(comparison: dict) -> dict[Any, Any]:
        if not comparison:
            raise UserError("no shared comparison is open")
        fill = playground_fill(comparison, service.config, page.sampling.max_tokens_limit)
        if fill.notes:
            warn("Opened in the playground, with changes: " + "; ".join(fill.notes))
        return page.updates(fill)

    ui.open_playground.click(
        open_in_playground, inputs=[ui.shared], outputs=page.outputs(), api_visibility="undocumented"
    )
