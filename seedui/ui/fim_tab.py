"""Completion / FIM tab for the Base lane: mark the hole with <FILL>, or continue left to right."""

from __future__ import annotations

from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

import gradio as gr

from seedui.boundary import page_handler
from seedui.errors import UserError
from seedui.prompts import INSTRUCTION_COMMENTS
from seedui.render import highlight_infill
from seedui.service import LaneService
from seedui.ui.lane_view import LANE_TEMPLATE, lane_value
from seedui.ui.sampling_panel import SamplingPanel
from seedui.ui.wiring import BEFORE_GENERATION, generation_event, queue_room, wire_stop

MARKER = "<FILL>"
MODES = ("Fill the <FILL> hole", "Complete left to right")
LANGUAGES = list(INSTRUCTION_COMMENTS)  # the languages the page knows (seedui/prompts.py)
EDITOR_LANGS = {"python", "javascript", "typescript", "html", "css", "sql", "shell", "c", "cpp", "rust", "go", "java"}


@dataclass
class FimTab:
    code: gr.Code
    language: gr.Dropdown
    mode: gr.Radio
    run: gr.Button
    stop: gr.Button
    view: gr.HTML


def split_hole(code: str) -> tuple[str, str]:
    """'a <FILL> b' -> ('a ', ' b'); exactly one marker is required."""
    count = code.count(MARKER)
    if count != 1:
        raise UserError(f"mark exactly one hole with {MARKER} (found {count})")
    prefix, suffix = code.split(MARKER)
    return prefix, suffix


def filled_view(prefix: str, middle: str, suffix: str, lang: str) -> dict[str, Any]:
    """The whole file with the model's part marked in place."""
    blocks = [highlight_infill(prefix, middle, suffix, lang)]
    return {"role": "assistant", "think_label": "", "think_open": False, "think": [], "blocks": blocks}


def build_fim_tab(service: LaneService, sampling: SamplingPanel) -> FimTab | None:
    try:
        base = service.base_lane()
    except UserError:
        return None  # no Base lane in this configuration: no tab
    lane = service.config.lanes[base]
    with gr.Tab("Completion / FIM", id="fim"):
        note = "" if lane.fim else f" — **{lane.display_name} has no FIM tokens**: filling a hole will say so."
        gr.Markdown(f"Write code and mark the hole with `{MARKER}`; the Base lane fills it.{note}")
        with gr.Row():
            mode = gr.Radio(list(MODES), value=MODES[0], label="Mode", elem_id="fim-mode")
            language = gr.Dropdown(LANGUAGES, value="python", label="Language", elem_id="fim-language")
        code = gr.Code(
            value="def fibonacci(n):\n    <FILL>\n\nprint(fibonacci(10))\n", language="python", lines=12,
            label="Code", elem_id="fim-code", interactive=True,
        )  # fmt: skip
        with gr.Row():
            run = gr.Button("Run", variant="primary", elem_id="fim-run")
            stop = gr.Button("Stop", variant="stop", elem_id="fim-stop", elem_classes=["seedui-stop"])
        view = gr.HTML(
            lane_value(base, lane.display_name, service.engines.engines[base].name, []),
            html_template=LANE_TEMPLATE, elem_id="fim-view", apply_default_css=False, padding=False,
        )  # fmt: skip
    tab = FimTab(code, language, mode, run, stop, view)
    _wire(service, tab, sampling, base)
    return tab


def _wire(service: LaneService, tab: FimTab, sampling: SamplingPanel, base: str) -> None:
    cfg = service.config.lanes[base]
    engine = service.engines.engines[base]

    @page_handler
    def set_language(lang: str) -> gr.Code:
        return gr.Code(language=lang if lang in EDITOR_LANGS else None)

    tab.language.change(set_language, [tab.language], [tab.code], queue=False, api_visibility="undocumented")

    @page_handler
    async def run(data: dict[Any, Any], request: gr.Request):
        code, lang, mode = data[tab.code] or "", data[tab.language], data[tab.mode]
        settings = sampling.settings(data)
        if mode == MODES[0]:
            prefix, suffix = split_hole(code)
            stream = service.fim(prefix, suffix, settings, service.client(request))
        else:
            prefix, suffix = code.replace(MARKER, ""), ""
            stream = service.complete(prefix, settings, service.client(request))
        started = False
        try:
            async with aclosing(stream):
                async for snap in stream:
                    started = True
                    message = filled_view(prefix, snap["text"], suffix, lang)
                    running = not snap["stats"].get("finish_reason")
                    yield {
                        tab.view: lane_value(
                            base, cfg.display_name, engine.name, [message], snap, running=running,
                            prompt_label="Prompt sent to the model",
                        )
                    }  # fmt: skip
        except UserError as exc:
            if not started:  # refused (a limit, no FIM tokens): the lane says why, and the toast
                yield {tab.view: lane_value(base, cfg.display_name, engine.name, [], {"error": str(exc)})}
            raise

    inputs = {tab.code, tab.language, tab.mode, *sampling.inputs()}
    first = tab.run.click(queue_room(service.limits), **BEFORE_GENERATION)
    event = first.success(run, inputs=inputs, outputs=[tab.view], **generation_event(service.limits, [tab.view]))
    wire_stop(tab.stop, [event], [tab.view])
