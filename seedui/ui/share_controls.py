"""On the Compare tab: Share (saves the last comparison, shows its link and one-time delete token),
Export, and delete-a-share-by-token. The page side of seedui/shares.py; `/share` and friends are
the API's (seedui/api/shares.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from seedui.boundary import page_handler
from seedui.errors import UserError
from seedui.notices import notice_html
from seedui.queues import SHARES, group
from seedui.render import escape_text
from seedui.service import LaneService
from seedui.share_links import extract_share_id, share_url
from seedui.shares import ShareService
from seedui.ui.compare_tab import CompareTab
from seedui.ui.exports import NO_RESULT, ExportButtons, ExportFiles, build_export_buttons
from seedui.ui.placement import reopen

UNAVAILABLE = (
    "sharing is unavailable on this server: its share database could not be opened (see the server log); "
    "Export still works"
)
KEEP_TOKEN = (
    "Keep this delete token somewhere safe: it is shown only this once, and it is the only way to delete the share."
)


@dataclass
class ShareControls:
    share: gr.Button
    share_result: gr.HTML
    exports: ExportButtons
    delete_id: gr.Textbox
    delete_token: gr.Textbox
    delete: gr.Button
    delete_status: gr.HTML


def share_result_html(url: str, share_id: str, token: str) -> str:
    url_e, id_e, token_e = escape_text(url), escape_text(share_id), escape_text(token)
    return (
        '<div class="seedui-share-result">'
        f'<div>Link: <a href="{url_e}" target="_blank" rel="noopener noreferrer" id="share-link">{url_e}</a></div>'
        f'<div>Share id: <code id="share-id">{id_e}</code></div>'
        f'<div>Delete token: <code id="share-token">{token_e}</code></div>'
        f"<div><strong>{escape_text(KEEP_TOKEN)}</strong></div>"
        "</div>"
    )


def build_share_controls(
    service: LaneService, compare: CompareTab, compare_tab: gr.Tab, files: ExportFiles, shares: ShareService | None
) -> ShareControls:
    """Add the controls under the Compare tab's lanes. `shares` None: sharing is off, Export still works."""
    with reopen(compare_tab):
        with gr.Row(equal_height=True, elem_id="share-row"):
            share = gr.Button("Share", variant="secondary", elem_id="share-button", scale=1)
            exports = build_export_buttons(compare.result, files, "export", variant="secondary", scale=1)
        share_result = gr.HTML("", elem_id="share-result", padding=False)
        with gr.Accordion("Delete a share (needs its delete token)", open=False, elem_id="share-delete"):
            with gr.Row():
                delete_id = gr.Textbox(label="Share id or link", elem_id="delete-share-id", scale=2)
                delete_token = gr.Textbox(label="Delete token", elem_id="delete-share-token", scale=2)
                delete = gr.Button("Delete share", variant="stop", elem_id="delete-share-button", scale=1)
            delete_status = gr.HTML("", elem_id="delete-share-status", padding=False)
    controls = ShareControls(share, share_result, exports, delete_id, delete_token, delete, delete_status)
    _wire(service, controls, compare, shares)
    return controls


def _wire(service: LaneService, ui: ShareControls, compare: CompareTab, shares: ShareService | None) -> None:
    # Handler names differ from the API's (/share, /delete_share): Gradio names an event after its function.
    @page_handler
    def share_from_page(result: dict, request: gr.Request) -> dict[Any, Any]:
        if not result:
            raise UserError(NO_RESULT)
        if shares is None:
            raise UserError(UNAVAILABLE)
        made = shares.create(result, service.client(request))
        url = share_url(request, made["id"])
        return {ui.share_result: share_result_html(url, made["id"], made["delete_token"]), ui.delete_id: url}

    ui.share.click(
        share_from_page,
        inputs=[compare.result],
        outputs=[ui.share_result, ui.delete_id],
        **group(SHARES, service.limits),
        api_visibility="undocumented",
    )

    @page_handler
    def delete_from_page(text: str, token: str) -> dict[Any, Any]:
        if shares is None:
            raise UserError(UNAVAILABLE)
        share_id = extract_share_id(text)
        try:
            shares.delete(share_id, (token or "").strip())
        except UserError as exc:  # said beside the form that was filled in, not as a toast
            return {ui.delete_status: notice_html(str(exc), "error")}
        return {ui.delete_status: notice_html(f"share {share_id} deleted", "info"), ui.delete_token: ""}

    ui.delete.click(
        delete_from_page,
        inputs=[ui.delete_id, ui.delete_token],
        outputs=[ui.delete_status, ui.delete_token],
        **group(SHARES, service.limits),
        api_visibility="undocumented",
    )
