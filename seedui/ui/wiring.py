"""Event wiring shared by the tabs: lane toggles and Stop buttons."""

from __future__ import annotations

from typing import Any

import gradio as gr

from seedui.boundary import page_handler


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
