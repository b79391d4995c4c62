"""The arena endpoints: /battle, /vote, /leaderboard (seedui/arena/ does the work)."""

from __future__ import annotations

from contextlib import aclosing

import gradio as gr

from seedui.arena.battles import Arena
from seedui.boundary import api_endpoint
from seedui.queues import GENERATION, group


def register_arena_api(arena: Arena) -> None:
    """Declare the endpoints; call inside the app's `gr.Blocks` context."""
    service = arena.service

    @api_endpoint
    async def battle(prompt: str, settings: dict | None = None, request: gr.Request = None) -> dict:
        """Stream a blind battle: two models drawn at random answer `prompt` as sides "a" and "b".

        Each update: {"battle_id", "a": {"text", "done", "status", "error"}, "b": {...}, "done", "votable",
        "note", "reveal"}. No model name, engine or stats before the vote; `settings` apply to both sides
        (no per-lane overrides, no system prompt). The last update has "done": true; vote with /vote when
        "votable" is true. A void battle (a side failed) carries "note" and "reveal" instead.
        """
        async with aclosing(arena.battle(prompt, settings, service.client(request))) as stream:
            async for update in stream:
                yield update

    @api_endpoint
    def vote(battle_id: str, choice: str, checks: dict | None = None, request: gr.Request = None) -> dict:
        """Vote on a finished battle, once: `choice` is "a", "b", "tie" or "both_bad".

        `checks` (optional) keeps the execution checks you ran: {"tests": code, "a": {"status", "detail",
        "durationMs"}, "b": {...}}, status one of pass, fail, error, timeout. Returns the reveal:
        {"battle_id", "choice", "a": {"display_name", "model", "engine", "lane", "text", "reasoning",
        "stats", "error"}, "b": {...}}.
        """
        return arena.vote(battle_id, choice, service.client(request), checks)

    @api_endpoint
    def leaderboard(style_control: bool = False) -> dict:
        """The ratings: {"models": [{"rank", "model", "rating", "ci_low", "ci_high", "votes"}], "total_votes",
        "left_share", "decided_votes", "win_rates", "style_control", "style", "bootstrap_rounds"}."""
        return arena.board.as_dict(bool(style_control))

    gr.api(battle, api_name="battle", **group(GENERATION, service.limits))
    gr.api(vote, api_name="vote", concurrency_limit=service.limits.concurrency)
    gr.api(leaderboard, api_name="leaderboard", concurrency_limit=service.limits.concurrency)
