"""Chat tab: one conversation per lane, side by side, the same message to each.

History lives in a gr.State as {lane: [{"role", "content", "reasoning"}]}.
Thinking is shown but never sent back: only role and content go to the model.
A lane that fails on a turn keeps its history as it was, so a Reasoning
lane's strict user/assistant alternation always holds.
"""

from __future__ import annotations

import copy
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

import gradio as gr

from seedui.boundary import page_handler
from seedui.errors import UserError
from seedui.service import LaneService
from seedui.ui.lane_view import LANE_TEMPLATE, MessageView, lane_value, user_message
from seedui.ui.sampling_panel import SamplingPanel
from seedui.ui.wiring import BEFORE_GENERATION, generation_event, queue_room, wire_lane_toggle, wire_stop

History = dict[str, list[dict[str, str]]]


@dataclass
class ChatTab:
    message: gr.Textbox
    lanes: gr.CheckboxGroup
    send: gr.Button
    stop: gr.Button
    retry: gr.Button
    undo: gr.Button
    clear: gr.Button
    views: dict[str, gr.HTML]
    columns: dict[str, gr.Column]
    history: gr.State


def rendered_history(turns: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Past turns as view messages (rendered once per request, then unchanged)."""
    out = []
    for turn in turns:
        if turn["role"] == "user":
            out.append(user_message(turn["content"]))
        else:
            lane = {"text": turn["content"], "reasoning": turn.get("reasoning", "")}
            out.append(MessageView().view(lane, final=True))
    return out


def build_chat_tab(service: LaneService, sampling: SamplingPanel) -> ChatTab:
    chat_lanes = [n for n, lane in service.config.lanes.items() if lane.chats]
    with gr.Tab("Chat", id="chat"):
        columns: dict[str, gr.Column] = {}
        views: dict[str, gr.HTML] = {}
        with gr.Row(equal_height=False):
            for name in chat_lanes:
                with gr.Column(min_width=340) as col:
                    views[name] = gr.HTML(
                        _value(service, name, []), html_template=LANE_TEMPLATE, elem_id=f"chat-{name}",
                        apply_default_css=False, padding=False,
                    )  # fmt: skip
                columns[name] = col
        message = gr.Textbox(
            label="Message", lines=3, elem_id="chat-message", placeholder="Send the same message to each lane"
        )
        with gr.Row():
            lanes = gr.CheckboxGroup(
                [(service.config.lanes[n].display_name, n) for n in chat_lanes], value=chat_lanes, label="Lanes",
                elem_id="chat-lanes", scale=3,
            )  # fmt: skip
            send = gr.Button("Send", variant="primary", elem_id="chat-send")
            stop = gr.Button("Stop", variant="stop", elem_id="chat-stop", elem_classes=["seedui-stop"])
            retry = gr.Button("Retry", elem_id="chat-retry")
            undo = gr.Button("Undo", elem_id="chat-undo")
            clear = gr.Button("Clear", elem_id="chat-clear")
        history = gr.State({})
    tab = ChatTab(message, lanes, send, stop, retry, undo, clear, views, columns, history)
    _wire(service, tab, sampling)
    return tab


def _value(
    service: LaneService, name: str, messages: list[dict[str, Any]], lane: dict | None = None, running: bool = False
):
    cfg = service.config.lanes[name]
    return lane_value(name, cfg.display_name, service.engines.engines[name].name, messages, lane, running=running)


def _wire(service: LaneService, tab: ChatTab, sampling: SamplingPanel) -> None:
    wire_lane_toggle(tab.lanes, tab.columns)

    @page_handler
    async def send(data: dict[Any, Any], request: gr.Request):
        text, chosen = data[tab.message], data[tab.lanes]
        if not chosen:
            raise UserError("choose at least one lane")
        history: History = copy.deepcopy(data[tab.history] or {})  # never mutate the session's state in place
        past = {n: rendered_history(history.get(n, [])) for n in chosen}
        asks = {n: [*({"role": t["role"], "content": t["content"]} for t in history.get(n, [])),
                    {"role": "user", "content": text}] for n in chosen}  # fmt: skip
        views = {n: MessageView() for n in chosen}
        snap: dict[str, Any] = {}
        try:
            async with aclosing(service.chat(asks, sampling.settings(data), service.client(request))) as stream:
                async for snap in stream:
                    yield {
                        tab.views[n]: _value(
                            service, n, [*past[n], user_message(text), views[n].view(snap[n], False)], snap[n],
                            running=not snap[n]["stats"].get("finish_reason"),
                        )
                        for n in snap
                    }  # fmt: skip
        except UserError as exc:
            if not snap:  # refused before any lane ran (a limit): each lane says why under its history, and the toast
                yield {tab.views[n]: _value(service, n, past[n], {"error": str(exc)}) for n in chosen}
            raise
        out: dict[Any, Any] = {}
        for n, lane in snap.items():
            shown = [*past[n], user_message(text), views[n].view(lane, True)]
            if not lane["error"] and lane["stats"].get("finish_reason") != "cancelled":
                answer = {"role": "assistant", "content": lane["text"], "reasoning": lane["reasoning"]}
                history[n] = [*history.get(n, []), {"role": "user", "content": text}, answer]
            out[tab.views[n]] = _value(service, n, shown, lane)
        yield {**out, tab.history: history, tab.message: ""}

    @page_handler
    def show(history: History) -> dict[Any, Any]:
        return {tab.views[n]: _value(service, n, rendered_history(history.get(n, []))) for n in tab.views}

    @page_handler
    def take_back(history: History) -> dict[Any, Any]:
        """Drop every lane's last exchange and put that message back in the box (undo; retry resends it)."""
        history = history or {}
        last = next((turns[-2]["content"] for turns in history.values() if len(turns) >= 2), "")
        trimmed = {n: turns[:-2] if len(turns) >= 2 else turns for n, turns in history.items()}
        return {tab.history: trimmed, **show(trimmed), tab.message: last}

    outputs_all = [tab.history, tab.message, *tab.views.values()]
    inputs = {tab.message, tab.lanes, tab.history, *sampling.inputs()}
    generating = generation_event(service.limits, list(tab.views.values()))
    check_room = queue_room(service.limits)
    # Enter in the message box sends it (seedui/ui/keys.py): a click on Send.
    first = tab.send.click(check_room, **BEFORE_GENERATION)
    events = [first.success(send, inputs=inputs, outputs=outputs_all, **generating)]
    tab.undo.click(take_back, inputs=[tab.history], outputs=outputs_all, queue=False, api_visibility="undocumented")

    @page_handler
    def take_back_to_retry(history: History, request: gr.Request) -> dict[Any, Any]:
        check_room(request)
        return take_back(history)

    retry = tab.retry.click(take_back_to_retry, inputs=[tab.history], outputs=outputs_all, **BEFORE_GENERATION)
    events.append(retry.success(send, inputs=inputs, outputs=outputs_all, **generating))
    wire_stop(tab.stop, events, list(tab.views.values()))

    @page_handler
    def clear() -> dict[Any, Any]:
        return {tab.history: {}, **show({})}

    tab.clear.click(clear, outputs=outputs_all, queue=False, api_visibility="undocumented")
