"""Event wiring shared by the tabs: generation events, the queue check before them, lane toggles, Stop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from seedui.boundary import page_handler
from seedui.config import Limits
from seedui.queues import GENERATION, check_room, group


def generation_event(limits: Limits, views: list[gr.HTML]) -> dict[str, Any]:
    """The keywords of a page event that runs a model: its concurrency group, and Gradio's own progress on the
    lane `views` (while the event waits in the queue: its place and the seconds so far; while it streams: a bar).
    Each lane ticks its own seconds and tokens once it runs (seedui/ui/static/page.js)."""
    return {
        **group(GENERATION, limits),
        "show_progress": "full",
        "show_progress_on": views,
        "api_visibility": "undocumented",
    }


# The keywords of the quick page event before a generation (`queue_room`, Compare's clearing of its lanes): it
# may refuse what follows, so it is queued (Gradio 6 shows no toast for an unqueued event's error), but never
# waits (no concurrency limit) and is no generation (seedui/queues.py limits those).
BEFORE_GENERATION = {"concurrency_limit": None, "show_progress": "hidden", "api_visibility": "undocumented"}


def queue_room(limits: Limits) -> Callable[..., None]:
    """A quick page event (`BEFORE_GENERATION`) to run before a generation: refuses it when the queue is full,
    saying which limit and when to try again (Gradio's own refusal says only that the app is busy)."""

    @page_handler
    def check(request: gr.Request) -> None:
        check_room(request.request.app.get_blocks()._queue, limits)

    return check


@page_handler
def mark_stopped(*values: Any) -> list[Any]:
    """Lanes that were running keep what they streamed, say 'stopped', and no longer look busy."""
    return [
        {**v, "running": False, "stats": " · ".join(s for s in (v.get("stats"), "stopped") if s)}
        if isinstance(v, dict) and v.get("running")
        else gr.skip()
        for v in values
    ]


def wire_stop(stop: gr.Button, events: list[Any], views: list[gr.HTML]) -> None:
    # Gradio's frontend runs a cancelled event's failure handlers only once the cancel went through,
    # so no late streamed update can mark the lanes running again (the same path clears an error's busy look).
    for event in events:
        event.failure(
            mark_stopped,
            inputs=views,
            outputs=views,
            queue=False,
            show_progress="hidden",
            api_visibility="undocumented",
        )
    stop.click(fn=None, cancels=events, queue=False)


def wire_lane_toggle(lanes: gr.CheckboxGroup, columns: dict[str, gr.Column]) -> None:
    """Show a column for each chosen lane (a cheap, unqueued update)."""

    @page_handler
    def show_columns(chosen: list[str]) -> dict[Any, Any]:
        return {col: gr.Column(visible=name in chosen) for name, col in columns.items()}

    lanes.change(
        show_columns,
        inputs=[lanes],
        api_visibility="undocumented",
        outputs=list(columns.values()),
        queue=False,
    )
