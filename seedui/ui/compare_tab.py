"""Compare tab: one prompt, the chosen lanes side by side, streaming at once."""

from __future__ import annotations

from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

import gradio as gr

from seedui.boundary import page_handler
from seedui.errors import UserError
from seedui.prompts import AS_TYPED, INSTRUCTION_COMMENTS
from seedui.service import LaneService
from seedui.ui.lane_view import LANE_TEMPLATE, MessageView, lane_value, stopped_early
from seedui.ui.sampling_panel import SamplingPanel
from seedui.ui.wiring import BEFORE_GENERATION, generation_event, queue_room, wire_lane_toggle, wire_stop

# How an instruction reaches a Base lane (a setting the API takes too: `instruction_as`, seedui/prompts.py).
INSTRUCTION_CHOICES = [("as typed", AS_TYPED)] + [
    (f"as a comment in {c.name}, then the code", lang) for lang, c in INSTRUCTION_COMMENTS.items()
]
EARLY_STOP_HINT = (
    "{title} stopped after {tokens}. A base model continues text; it does not follow instructions, so an "
    "instruction alone often ends at once. Try: the instruction as a comment (the choice below this column), "
    "the start of the code yourself (e.g. `def is_prime(n):`), or the Completion / FIM tab."
)


@dataclass
class CompareTab:
    prompt: gr.Textbox
    lanes: gr.CheckboxGroup
    run: gr.Button
    stop: gr.Button
    columns: dict[str, gr.Column]
    views: dict[str, gr.HTML]
    instruction_as: dict[str, gr.Dropdown]  # Base lanes: how the prompt reaches them
    result: gr.State  # the last comparison as data: {"prompt", "settings", "lanes", "meta"}
    check_code: gr.Code
    check_run: gr.Button
    check_results: gr.JSON


def empty_view(service: LaneService, name: str, *, error: str = "", **kw: Any) -> dict[str, Any]:
    """A lane column with no answer yet; says so when its engine is not ready, or why a request was refused."""
    lane = service.config.lanes[name]
    engine = service.engines.engines[name]
    status = engine.status
    note = "" if status.state == "ready" else f"{status.state}: {status.detail}".strip(": ")
    if status.state == "failed" and status.log_tail:
        note += " — " + " | ".join(status.log_tail[-5:])
    return lane_value(name, lane.display_name, engine.name, [], {"error": error}, status=note, **kw)


def with_instruction_as(settings: dict[str, Any], ways: dict[str, str]) -> dict[str, Any]:
    """The settings plus each Base lane's `instruction_as` where it is not the default (as typed)."""
    for name, way in ways.items():
        if way and way != AS_TYPED:
            settings.setdefault(name, {})["instruction_as"] = way
    return settings


def build_compare_tab(service: LaneService, sampling: SamplingPanel) -> CompareTab:
    names = service.lane_names
    with gr.Tab("Compare", id="compare"):
        prompt = gr.Textbox(
            label="Prompt", lines=5, max_lines=30, elem_id="compare-prompt",
            placeholder="Ask for code, e.g. 'Write a Python function that merges two sorted lists.'",
        )  # fmt: skip
        with gr.Row(equal_height=False):
            lanes = gr.CheckboxGroup(
                [(service.config.lanes[n].display_name, n) for n in names], value=names, label="Lanes",
                elem_id="compare-lanes", scale=4, min_width=300,
            )  # fmt: skip
            run = gr.Button("Run", variant="primary", elem_id="compare-run", scale=1)
            stop = gr.Button("Stop", variant="stop", elem_id="compare-stop", elem_classes=["seedui-stop"], scale=1)
        columns: dict[str, gr.Column] = {}
        views: dict[str, gr.HTML] = {}
        instruction_as: dict[str, gr.Dropdown] = {}
        with gr.Row(equal_height=False, elem_id="compare-lanes-row"):
            for name in names:
                with gr.Column(min_width=340, elem_classes=["seedui-col"]) as col:
                    views[name] = gr.HTML(
                        empty_view(service, name), html_template=LANE_TEMPLATE, elem_id=f"lane-{name}",
                        apply_default_css=False, padding=False,
                    )  # fmt: skip
                    if not service.config.lanes[name].chats:
                        instruction_as[name] = gr.Dropdown(
                            INSTRUCTION_CHOICES, value=AS_TYPED, elem_id=f"instruction-as-{name}",
                            label=f"How the prompt reaches {service.config.lanes[name].display_name}",
                        )  # fmt: skip
                columns[name] = col
        with gr.Accordion("Check the answers: run tests on each lane's Python code (in your browser)", open=False):
            check_code = gr.Code(
                language="python", label="Test code (asserts or test_* functions)", elem_id="check-code", lines=6,
            )  # fmt: skip
            check_run = gr.Button("Run all lanes", elem_id="check-run")
            gr.HTML('<div id="seedui-check-results"></div>', padding=False)
            check_results = gr.JSON(
                label="Check results (kept with the comparison)", elem_id="check-json", visible=False
            )
        result = gr.State({})
    tab = CompareTab(
        prompt, lanes, run, stop, columns, views, instruction_as, result, check_code, check_run, check_results
    )
    _wire(service, tab, sampling)
    return tab


def _wire(service: LaneService, tab: CompareTab, sampling: SamplingPanel) -> None:
    wire_lane_toggle(tab.lanes, tab.columns)

    @page_handler
    async def run_compare(data: dict[Any, Any], request: gr.Request):
        chosen = data[tab.lanes]
        if not chosen:
            raise UserError("choose at least one lane")
        ways = {name: data[box] for name, box in tab.instruction_as.items()}
        settings = with_instruction_as(sampling.settings(data), ways)
        msgs = {name: MessageView() for name in chosen}
        snap: dict[str, Any] = {}
        try:
            async with aclosing(service.compare(data[tab.prompt], settings, chosen, service.client(request))) as stream:
                async for snap in stream:
                    # The result state is kept up to date (it costs no bytes: states stay on the server),
                    # so what was streamed before a Stop can still be shared or exported.
                    yield {
                        **{tab.views[n]: _view(service, n, msgs[n], snap[n], ways, final=False) for n in snap},
                        tab.result: comparison(service, data[tab.prompt], settings, snap),
                    }
        except UserError as exc:
            if not snap:  # refused before any lane ran (a limit): each lane says why, and the toast
                yield {tab.views[n]: empty_view(service, n, error=str(exc)) for n in chosen}
            raise
        if snap:  # the final render (closes open blocks) and the result as data
            yield {
                **{tab.views[n]: _view(service, n, msgs[n], snap[n], ways, final=True) for n in snap},
                tab.result: comparison(service, data[tab.prompt], settings, snap),
            }

    check_room = queue_room(service.limits)

    @page_handler
    def clear(chosen: list[str], request: gr.Request):
        check_room(request)  # a full queue is refused here, before the lanes are cleared
        return {tab.views[n]: empty_view(service, n, running=n in chosen) for n in tab.views}

    inputs = {tab.prompt, tab.lanes, *tab.instruction_as.values(), *sampling.inputs()}
    outputs = [*tab.views.values(), tab.result]
    generating = generation_event(service.limits, list(tab.views.values()))
    # Ctrl/Cmd+Enter in the tab is a click on Run (seedui/ui/keys.py); Shift+Enter is a new line in the prompt.
    cleared = tab.run.click(clear, inputs=[tab.lanes], outputs=list(tab.views.values()), **BEFORE_GENERATION)
    events = [cleared.success(run_compare, inputs=inputs, outputs=outputs, **generating)]

    wire_stop(tab.stop, events, list(tab.views.values()))

    # Execution checks run in the browser (seedui/sandbox); the results come back as data.
    @page_handler
    def keep_results(results: dict | None, result: dict) -> dict:
        if isinstance(results, dict) and result:
            result = {**result, "checks": results}
        return {tab.result: result, tab.check_results: results}

    tab.check_run.click(
        keep_results,
        inputs=[tab.check_code, tab.result],
        outputs=[tab.result, tab.check_results],
        js="async (code, result) => [await window.seedui.checkLanes(code), result]",
        queue=False,
        api_visibility="undocumented",
    )


def _view(
    service: LaneService, name: str, msg: MessageView, lane: dict[str, Any], ways: dict[str, str], final: bool
) -> dict[str, Any]:
    cfg = service.config.lanes[name]
    running = not final and not lane["stats"].get("finish_reason")
    engine = service.engines.engines[name].name
    way = ways.get(name, AS_TYPED)
    label = "as typed" if way == AS_TYPED else f"the instruction as a comment in {INSTRUCTION_COMMENTS[way].name}"
    hint = ""
    if not cfg.chats and final and not lane.get("error") and stopped_early(lane["stats"], lane.get("text") or ""):
        tokens = lane["stats"].get("completion_tokens")
        count = "no token" if not tokens else f"{tokens} token{'s' if tokens != 1 else ''}"
        hint = EARLY_STOP_HINT.format(title=cfg.display_name, tokens=count)
    return lane_value(
        name, cfg.display_name, engine, [msg.view(lane, final)], lane, running=running,
        prompt_label=f"Prompt sent to the model ({label})", prompt_open=way != AS_TYPED, hint=hint,
    )  # fmt: skip


def comparison(service: LaneService, prompt: str, settings: dict[str, Any], lanes: dict[str, Any]) -> dict[str, Any]:
    """What a share or an export keeps: the prompt, settings, and each lane's result."""
    return {
        "prompt": prompt,
        "settings": settings,
        "lanes": {
            name: {
                **lane,
                "model": service.config.lanes[name].model,
                "display_name": service.config.lanes[name].display_name,
                "engine": service.engines.engines[name].name,
            }
            for name, lane in lanes.items()
        },
        "meta": {"profile": service.config.profile},
    }
