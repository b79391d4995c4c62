"""The generation endpoints: /generate, /compare, /fim, /complete, and /lanes.

Thin wrappers: each takes the client id for rate limiting; `api_endpoint`
(seedui/boundary.py) turns a `UserError` into the error the caller sees.
"""

from __future__ import annotations

from contextlib import aclosing

import gradio as gr

from seedui.boundary import api_endpoint
from seedui.queues import GENERATION, group
from seedui.service import LaneService


def register_generation_api(service: LaneService) -> None:
    """Declare the endpoints; call inside the app's `gr.Blocks` context."""

    @api_endpoint
    async def generate(lane: str, prompt: str, settings: dict | None = None, request: gr.Request = None) -> dict:
        """Stream one lane's answer as {"text", "reasoning", "stats", "error"}."""
        async with aclosing(service.generate(lane, prompt, settings, service.client(request))) as stream:
            async for snap in stream:
                yield snap

    @api_endpoint
    async def compare(
        prompt: str, settings: dict | None = None, lanes: list[str] | None = None, request: gr.Request = None
    ) -> dict:
        """Stream {lane: {"text", "reasoning", "stats", "error"}} for the chosen lanes (empty = all).

        `settings` holds sampling settings for every lane, and per-lane overrides
        under a lane's name, e.g. {"temperature": 0.2, "instruct": {"top_p": 0.9}}.
        """
        async with aclosing(service.compare(prompt, settings, lanes, service.client(request))) as stream:
            async for snap in stream:
                yield snap

    @api_endpoint
    async def fim(prefix: str, suffix: str, settings: dict | None = None, request: gr.Request = None) -> dict:
        """Stream the Base lane's fill-in-the-middle for the hole between prefix and suffix."""
        async with aclosing(service.fim(prefix, suffix, settings, service.client(request))) as stream:
            async for snap in stream:
                yield snap

    @api_endpoint
    async def complete(text: str, settings: dict | None = None, request: gr.Request = None) -> dict:
        """Stream the Base lane's plain left-to-right continuation of `text`."""
        async with aclosing(service.complete(text, settings, service.client(request))) as stream:
            async for snap in stream:
                yield snap

    @api_endpoint
    def lanes() -> dict:
        """The lanes here: name -> role, display name, model, engine, status."""
        return {
            name: {
                "role": lane.role,
                "display_name": lane.display_name,
                "model": lane.model,
                "engine": service.engines.engines[name].name,
                "status": service.engines.engines[name].status.state,
                "fim": lane.fim is not None,
            }
            for name, lane in service.config.lanes.items()
        }

    for fn in (generate, compare, fim, complete):
        gr.api(fn, api_name=fn.__name__, **group(GENERATION, service.limits))
    gr.api(lanes, api_name="lanes", queue=False)
