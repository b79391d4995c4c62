"""Sampling controls: one shared panel, or one per lane when unlinked.

Slider ranges come from the SamplingSettings bounds (one source of truth).
With "model card defaults" on, the shared sliders are not sent, so each lane
runs its own card defaults; touching a slider turns that off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from seedui.config import AppConfig, LaneConfig
from seedui.sampling import SamplingSettings, field_bounds

SLIDERS = {  # field -> (label, step, value when the card leaves it unset)
    "temperature": ("Temperature", 0.01, 1.0),
    "top_p": ("Top-p", 0.01, 1.0),
    "top_k": ("Top-k (0 = off)", 1, 0),
    "min_p": ("Min-p (0 = off)", 0.01, 0.0),
    "repetition_penalty": ("Repetition penalty", 0.01, 1.0),
    "presence_penalty": ("Presence penalty", 0.05, 0.0),
    "frequency_penalty": ("Frequency penalty", 0.05, 0.0),
}
REASONING_NOTE = "Reasoning lanes take no system prompt: Seed-Coder-Reasoning's chat template rejects one."


@dataclass
class Controls:
    """One set of sampling controls; `values()` turns their inputs into a settings dict."""

    sliders: dict[str, gr.Slider]
    max_tokens: gr.Slider
    seed: gr.Number
    stop: gr.Textbox

    def components(self) -> list[gr.components.Component]:
        return [*self.sliders.values(), self.max_tokens, self.seed, self.stop]

    def values(self, data: dict[Any, Any], include_sliders: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if include_sliders:
            out = {name: data[comp] for name, comp in self.sliders.items()}
            out["max_tokens"] = int(data[self.max_tokens])
        seed = data[self.seed]
        if seed is not None and seed >= 0:
            out["seed"] = int(seed)
        stops = [s for s in (data[self.stop] or "").split("\n") if s]
        if stops:
            # One per line, so a newline stop is written as \n (and a tab as \t).
            out["stop"] = [s.replace("\\n", "\n").replace("\\t", "\t") for s in stops]
        return out

    def updates(self, defaults: SamplingSettings) -> dict[Any, Any]:
        """Component -> value for 'reset to model card defaults'."""
        out: dict[Any, Any] = {
            comp: getattr(defaults, name) if getattr(defaults, name) is not None else SLIDERS[name][2]
            for name, comp in self.sliders.items()
        }
        out[self.max_tokens] = defaults.max_tokens or 256
        out[self.seed] = -1
        out[self.stop] = ""
        return out


def build_controls(defaults: SamplingSettings, max_tokens_limit: int, key: str) -> Controls:
    sliders = {}
    for name, (label, step, unset) in SLIDERS.items():
        bounds = field_bounds(name)
        lo = bounds["min"] if bounds["min"] is not None else 0
        if SamplingSettings.model_fields[name].metadata and _exclusive_min(name):
            lo = step  # (0, x] ranges cannot take 0
        value = getattr(defaults, name)
        sliders[name] = gr.Slider(
            lo, bounds["max"], value=value if value is not None else unset, step=step, label=label,
            elem_id=f"{key}-{name}",
        )  # fmt: skip
    max_tokens = gr.Slider(
        1, max_tokens_limit, value=min(defaults.max_tokens or 256, max_tokens_limit), step=1,
        label="Max new tokens", elem_id=f"{key}-max_tokens",
    )  # fmt: skip
    seed = gr.Number(-1, label="Seed (-1 = random)", precision=0, minimum=-1, elem_id=f"{key}-seed")
    stop = gr.Textbox(label="Stop strings (one per line, up to 8)", lines=2, max_lines=8, elem_id=f"{key}-stop")
    return Controls(sliders, max_tokens, seed, stop)


def _exclusive_min(name: str) -> bool:
    return any(getattr(m, "gt", None) is not None for m in SamplingSettings.model_fields[name].metadata)


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

    def inputs(self) -> set[gr.components.Component]:
        comps = {self.card_defaults, self.unlink, self.system_prompt, *self.shared.components()}
        for controls in self.per_lane.values():
            comps.update(controls.components())
        return comps

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
    limit = max(1, min(max(lane.context_length for lane in config.lanes.values()), config.limits.max_total_tokens))
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
    panel = SamplingPanel(config, card_defaults, unlink, shared, per_lane, lane_boxes, system_prompt, reset)
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
    for comp in [*panel.shared.sliders.values(), panel.shared.max_tokens]:
        comp.input(fn=None, js="() => false", outputs=[panel.card_defaults], queue=False)
    panel.unlink.change(
        lambda on: {shared_box: gr.Column(visible=not on), panel.lane_boxes: gr.Column(visible=on)},
        inputs=[panel.unlink],
        outputs=[shared_box, panel.lane_boxes],
        queue=False,
    )

    def reset() -> dict[Any, Any]:
        out = {panel.card_defaults: True, **panel.shared.updates(card.sampling)}
        for name, controls in panel.per_lane.items():
            out.update(controls.updates(panel.config.lanes[name].sampling))
        return out

    lane_controls = [c for ctl in panel.per_lane.values() for c in ctl.components()]
    panel.reset.click(reset, outputs=[panel.card_defaults, *panel.shared.components(), *lane_controls], queue=False)
