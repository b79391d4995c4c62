"""The share endpoints: /share, /load_share, /delete_share (seedui/shares.py does the work)."""

from __future__ import annotations

import gradio as gr

from seedui.boundary import api_endpoint
from seedui.queues import SHARES, group
from seedui.service import LaneService
from seedui.share_links import extract_share_id, share_url
from seedui.shares import ShareService


def register_share_api(service: LaneService, shares: ShareService) -> None:
    """Declare the endpoints; call inside the app's `gr.Blocks` context."""

    @api_endpoint
    def share(comparison: dict, request: gr.Request = None) -> dict:
        """Save a comparison {"prompt", "settings", "lanes", "meta"?, "checks"?}; returns {"id", "url", "delete_token"}.

        `lanes` maps a lane name to what `/compare` streams for it ({"text", "reasoning",
        "stats", "error"}, plus optional "model", "engine", "display_name", "execution").
        The delete token is returned only this once: keep it to delete the share.
        """
        made = shares.create(comparison, service.client(request))
        return {**made, "url": share_url(request, made["id"])}

    @api_endpoint
    def load_share(id: str) -> dict:
        """The shared comparison with this id (normalised: every field present)."""
        return shares.load(extract_share_id(id))

    @api_endpoint
    def delete_share(id: str, delete_token: str) -> dict:
        """Delete a share with the delete token shown when it was made; returns {"deleted": id}."""
        share_id = extract_share_id(id)
        shares.delete(share_id, delete_token)
        return {"deleted": share_id}

    gr.api(share, api_name="share", **group(SHARES, service.limits))
    gr.api(load_share, api_name="load_share", concurrency_limit=service.limits.concurrency)
    gr.api(delete_share, api_name="delete_share", **group(SHARES, service.limits))
