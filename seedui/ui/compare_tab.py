"""Compare tab: one prompt, the chosen lanes side by side, streaming at once."""

from __future__ import annotations

from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

import gradio as gr

from seedui.boundary import page_handler
from seedui.errors import UserError
from seedui.queues import GENERATION, group
from seedui.service import LaneService
from seedui.ui.lane_view import LANE_TEMPLATE, MessageView, lane_value
from seedui.ui.sampling_panel import SamplingPanel
from seedui.ui.wiring import wire_lane_toggle, wire_stop


@dataclass
class CompareTab:
    prompt: gr.Textbox
    lanes: gr.CheckboxGroup
    run: gr.Button
    stop: gr.Button
    columns: dict[str, gr.Column]
    views: dict[str, gr.HTML]
    result: gr.State  # the last comparison as data: {"prompt", "settings", "lanes", "meta"}
    check_code: gr.Code
    check_run: gr.Button
    check_results: gr.JSON


def empty_view(service: LaneService, name: str, **kw: Any) -> dict[str, Any]:
    """A lane column with no answer yet; says so when its engine is not ready."""
    lane = service.config.lanes[name]
    engine = service.engines.engines[name]
    status = engine.status
    note = "" if status.state == "ready" else f"{status.state}: {status.detail}".strip(": ")
    if status.state == "failed" and status.log_tail:
        note += " — " + " | ".join(status.log_tail[-5:])
    return lane_value(name, lane.display_name, engine.name, [], status=note, **kw)


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
                elem_id="compare-lanes", scale=4,
            )  # fmt: skip
            run = gr.Button("Run", variant="primary", elem_id="compare-run", scale=1)
            stop = gr.Button("Stop", variant="stop", elem_id="compare-stop", scale=1)
        columns: dict[str, gr.Column] = {}
        views: dict[str, gr.HTML] = {}
        with gr.Row(equal_height=False, elem_id="compare-lanes-row"):
            for name in names:
                with gr.Column(min_width=340, elem_classes=["seedui-col"]) as col:
                    views[name] = gr.HTML(
                        empty_view(service, name), html_template=LANE_TEMPLATE, elem_id=f"lane-{name}",
                        apply_default_css=False, padding=False,
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
    tab = CompareTab(prompt, lanes, run, stop, columns, views, result, check_code, check_run, check_results)
    _wire(service, tab, sampling)
    return tab


def _wire(service: LaneService, tab: CompareTab, sampling: SamplingPanel) -> None:
    wire_lane_toggle(tab.lanes, tab.columns)

    @page_handler
    async def run_compare(data: dict[Any, Any], request: gr.Request):
        chosen = data[tab.lanes]
        if not chosen:
            raise UserError("choose at least one lane")
        settings = sampling.settings(data)
        msgs = {name: MessageView() for name in chosen}
        snap: dict[str, Any] = {}
        async with aclosing(service.compare(data[tab.prompt], settings, chosen, service.client(request))) as stream:
            async for snap in stream:
                # The result state is kept up to date (it costs no bytes: states stay on the server),
                # so what was streamed before a Stop can still be shared or exported.
                yield {
                    **{tab.views[n]: _view(service, n, msgs[n], snap[n], final=False) for n in snap},
                    tab.result: comparison(service, data[tab.prompt], settings, snap),
                }
        if snap:  # the final render (closes open blocks) and the result as data
            yield {
                **{tab.views[n]: _view(service, n, msgs[n], snap[n], final=True) for n in snap},
                tab.result: comparison(service, data[tab.prompt], settings, snap),
            }

    @page_handler
    def clear(chosen: list[str]):
        return {tab.views[n]: empty_view(service, n, running=n in chosen) for n in tab.views}

    inputs = {tab.prompt, tab.lanes, *sampling.inputs()}
    outputs = [*tab.views.values(), tab.result]
    generating = {**group(GENERATION, service.limits), "show_progress": "hidden", "api_visibility": "undocumented"}
    events = []
    for trigger in (tab.run.click, tab.prompt.submit):
        ev = trigger(
            clear, inputs=[tab.lanes], outputs=list(tab.views.values()), queue=False, api_visibility="undocumented"
        )
        events.append(ev.then(run_compare, inputs=inputs, outputs=outputs, **generating))

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


def _view(service: LaneService, name: str, msg: MessageView, lane: dict[str, Any], final: bool) -> dict[str, Any]:
    cfg = service.config.lanes[name]
    running = not final and not lane["stats"].get("finish_reason")
    engine = service.engines.engines[name].name
    return lane_value(name, cfg.display_name, engine, [msg.view(lane, final)], lane, running=running)


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
