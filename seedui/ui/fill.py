"""The page's inputs, by name, and a `PageFill` (seedui/prefill.py) as updates to them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from seedui.prefill import PageFill
from seedui.ui.sampling_panel import SamplingPanel


@dataclass
class PageInputs:
    """What a deep link or "Open in playground" may fill: the tabs, each tab's text and lane boxes, sampling."""

    tabs: gr.Tabs
    text: dict[str, gr.components.Component]  # tab id -> its prompt / message / code box
    lanes: dict[str, gr.CheckboxGroup]  # tab id -> its lane box (tabs that have one)
    sampling: SamplingPanel
    instruction_as: dict[str, gr.Dropdown] = field(default_factory=dict)  # Base lane -> how its prompt reaches it

    def offered(self) -> dict[str, list[str]]:
        """Tab id -> the lanes its lane box offers ([] for a tab without one)."""
        return {tab: _choices(self.lanes[tab]) if tab in self.lanes else [] for tab in self.text}

    def outputs(self) -> list[gr.components.Component]:
        return [
            self.tabs, *self.text.values(), *self.lanes.values(), *self.instruction_as.values(),
            *self.sampling.fill_outputs(),
        ]  # fmt: skip

    def updates(self, fill: PageFill) -> dict[Any, Any]:
        """Component -> new value for what `fill` names (the rest stays as it is)."""
        out: dict[Any, Any] = {}
        if fill.tab is not None:
            out[self.tabs] = gr.Tabs(selected=fill.tab)
        out.update({self.text[tab]: text for tab, text in fill.text.items()})
        out.update({self.lanes[tab]: chosen for tab, chosen in fill.lanes.items()})
        out.update({self.instruction_as[n]: way for n, way in fill.instruction_as.items() if n in self.instruction_as})
        out.update(self.sampling.show(fill.sampling))
        return out


def _choices(box: gr.CheckboxGroup) -> list[str]:
    return [choice[1] if isinstance(choice, (list, tuple)) else choice for choice in box.choices]
