"""Sampling controls: one shared panel, or one per lane when unlinked.

Each control's range, step, label and unset value come from `SamplingSettings` (one source of truth).
With "model card defaults" on, the shared sliders are not sent, so each lane
runs its own card defaults; touching a slider turns that off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from seedui.boundary import page_handler
from seedui.config import AppConfig, LaneConfig
from seedui.controls import card_values, max_tokens_limit, sent_settings
from seedui.prefill import SamplingFill
from seedui.sampling import SamplingSettings, field_spec

REASONING_NOTE = "Reasoning lanes take no system prompt: Seed-Coder-Reasoning's chat template rejects one."


@dataclass
class Controls:
    """One set of sampling controls, one per `SamplingSettings` field (`by_field`)."""

    sliders: dict[str, gr.Slider]  # every slider field, max_tokens included
    seed: gr.Number
    stop: gr.Textbox

    @property
    def by_field(self) -> dict[str, gr.components.Component]:
        return {**self.sliders, "seed": self.seed, "stop": self.stop}

    def components(self) -> list[gr.components.Component]:
        return list(self.by_field.values())

    def values(self, data: dict[Any, Any], include_sliders: bool = True) -> dict[str, Any]:
        """The settings these controls send, from an event's input `data`."""
        return sent_settings({name: data[comp] for name, comp in self.by_field.items()}, include_sliders)

    def show(self, values: dict[str, Any]) -> dict[Any, Any]:
        """Component -> value, for the fields in `values` (field name -> shown value)."""
        return {self.by_field[name]: value for name, value in values.items()}


def build_controls(card: SamplingSettings, limit: int, key: str) -> Controls:
    shown = card_values(card, limit)
    sliders = {}
    for name in shown:
        spec = field_spec(name)
        if not spec.slider:
            continue
        low = spec.step if spec.exclusive_minimum else spec.minimum  # (0, x] ranges cannot take 0
        high = limit if name == "max_tokens" else spec.maximum
        sliders[name] = gr.Slider(
            low, high, value=shown[name], step=spec.step, label=spec.label, elem_id=f"{key}-{name}"
        )
    seed, stop = field_spec("seed"), field_spec("stop")
    return Controls(
        sliders,
        gr.Number(shown["seed"], label=seed.label, precision=0, minimum=seed.unset, elem_id=f"{key}-seed"),
        gr.Textbox(shown["stop"], label=stop.label, lines=2, max_lines=8, elem_id=f"{key}-stop"),
    )


@dataclass
class SamplingPanel:
    config: AppConfig
    card_defaults: gr.Checkbox
    unlink: gr.Checkbox
    shared: Controls
    per_lane: dict[str, Controls]
    lane_boxes: gr.Column
    system_prompt: gr.Textbox
    reset: gr.Button
    max_tokens_limit: int

    def inputs(self) -> set[gr.components.Component]:
        comps = {self.card_defaults, self.unlink, self.system_prompt, *self.shared.components()}
        for controls in self.per_lane.values():
            comps.update(controls.components())
        return comps

    def fill_outputs(self) -> list[gr.components.Component]:
        """Every control `show` may set."""
        lanes = [c for controls in self.per_lane.values() for c in controls.components()]
        return [self.card_defaults, self.unlink, self.system_prompt, *self.shared.components(), *lanes]

    def show(self, fill: SamplingFill) -> dict[Any, Any]:
        """Component -> value for what `fill` sets (seedui/prefill.py)."""
        given = {self.card_defaults: fill.card_defaults, self.unlink: fill.unlink}
        given[self.system_prompt] = fill.system_prompt
        out: dict[Any, Any] = {comp: value for comp, value in given.items() if value is not None}
        out.update(self.shared.show(fill.shared))
        for name, values in fill.per_lane.items():
            out.update(self.per_lane[name].show(values))
        return out

    def settings(self, data: dict[Any, Any]) -> dict[str, Any]:
        """The settings dict the service takes: shared values plus per-lane overrides."""
        if data[self.unlink]:
            settings: dict[str, Any] = {name: c.values(data) for name, c in self.per_lane.items()}
        else:
            settings = self.shared.values(data, include_sliders=not data[self.card_defaults])
        system = data[self.system_prompt]
        for name, lane in self.config.lanes.items():
            if system and lane.takes_system_prompt:
                settings.setdefault(name, {})["system_prompt"] = system
        return settings


def build_sampling_panel(config: AppConfig) -> SamplingPanel:
    limit = max_tokens_limit(config)
    card = _card_lane(config)
    with gr.Accordion("Sampling settings", open=False, elem_id="sampling-panel"):
        with gr.Row():
            card_defaults = gr.Checkbox(True, label="Each lane uses its model card defaults", elem_id="card-defaults")
            unlink = gr.Checkbox(False, label="Set each lane apart", elem_id="unlink-lanes")
            reset = gr.Button("Reset to model card defaults", size="sm", elem_id="reset-sampling")
        with gr.Column(visible=True) as shared_box:
            shared = build_controls(card.sampling, limit, "shared")
        per_lane: dict[str, Controls] = {}
        with gr.Column(visible=False) as lane_boxes:
            with gr.Row():
                for name, lane in config.lanes.items():
                    with gr.Column(min_width=260):
                        gr.Markdown(f"**{lane.display_name}**")
                        per_lane[name] = build_controls(lane.sampling, limit, f"lane-{name}")
        with gr.Row():
            system_prompt = gr.Textbox(
                label="System prompt (Instruct)", lines=2, elem_id="system-prompt",
                placeholder="Empty: the model's chat template decides (Seed-Coder-Instruct adds its own default).",
            )  # fmt: skip
            if any(lane.chats and not lane.takes_system_prompt for lane in config.lanes.values()):
                gr.Textbox(
                    REASONING_NOTE, label="System prompt (Reasoning)", interactive=False, elem_id="reasoning-sys"
                )
    panel = SamplingPanel(config, card_defaults, unlink, shared, per_lane, lane_boxes, system_prompt, reset, limit)
    _wire(panel, shared_box, card)
    return panel


def _card_lane(config: AppConfig) -> LaneConfig:
    """The shared panel starts from the Instruct lane's card (else the first lane's)."""
    for lane in config.lanes.values():
        if lane.role == "instruct":
            return lane
    return next(iter(config.lanes.values()))


def _wire(panel: SamplingPanel, shared_box: gr.Column, card: LaneConfig) -> None:
    # Touching a shared slider means "use my values": drop the card-defaults mode.
    for comp in panel.shared.sliders.values():  # max_tokens included
        comp.input(fn=None, js="() => false", outputs=[panel.card_defaults], queue=False)

    @page_handler
    def show_boxes(unlinked: bool) -> dict[Any, Any]:
        return {shared_box: gr.Column(visible=not unlinked), panel.lane_boxes: gr.Column(visible=unlinked)}

    panel.unlink.change(
        show_boxes,
        inputs=[panel.unlink],
        outputs=[shared_box, panel.lane_boxes],
        queue=False,
        api_visibility="undocumented",
    )

    limit = panel.max_tokens_limit

    @page_handler
    def reset() -> dict[Any, Any]:
        out = {panel.card_defaults: True, **panel.shared.show(card_values(card.sampling, limit))}
        for name, controls in panel.per_lane.items():
            out.update(controls.show(card_values(panel.config.lanes[name].sampling, limit)))
        return out

    lane_controls = [c for ctl in panel.per_lane.values() for c in ctl.components()]
    panel.reset.click(
        reset,
        outputs=[panel.card_defaults, *panel.shared.components(), *lane_controls],
        queue=False,
        api_visibility="undocumented",
    )
