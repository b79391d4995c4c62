"""Battle tab: a prompt answered by two models drawn at random, shown as Model A and Model B; run and check
their code, vote, and only then see who they were (seedui/arena/battles.py keeps the blindfold).

Every value this tab sends to the browser before the vote comes from the battle's anonymous updates:
the side views carry "Model A"/"Model B", the answer text and a generic note, and the page's states hold
only the battle id and the checks (Gradio keeps states on the server anyway). Who was where is read back
from the database by the vote.
"""

from __future__ import annotations

import json
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from seedui.arena.battles import CHOICES, SIDES, TITLES, Arena
from seedui.boundary import page_handler
from seedui.errors import UserError
from seedui.notices import notice_html
from seedui.ui.lane_view import MessageView, lane_template, lane_value
from seedui.ui.sampling_panel import SamplingPanel
from seedui.ui.wiring import BEFORE_GENERATION, generation_event, queue_room, wire_stop

SIDE_MARKER = "data-seedui-battle-side"
BATTLE_TEMPLATE = lane_template(SIDE_MARKER)
# "Check both answers": the sandbox's lane check (sandbox/static/page/checks.mjs) on the two sides, shown in
# the tab's own table as Model A / Model B; [checks, battle id] go to the handler that keeps them for the vote.
CHECK_JS = f"""async (tests, battleId) => {{
  const where = {{attribute: "{SIDE_MARKER}", target: "battle-check-results", titles: {json.dumps(TITLES)}}};
  if (!window.seedui) return [{{tests: String(tests || "")}}, battleId];
  return [{{tests: String(tests || ""), ...(await window.seedui.checkLanes(tests, undefined, where))}}, battleId];
}}"""
CLEAR_CHECKS_JS = "() => { document.getElementById('battle-check-results')?.replaceChildren(); return []; }"
INTRO = (
    "Two models drawn at random answer your prompt as **Model A** and **Model B**. Run their code (the Run "
    "buttons) or check it with your tests, then vote: their names, engines and speed are shown only after your "
    "vote. Battles use each model's card defaults, or the shared sampling settings when card defaults are off; "
    "per-lane settings and the system prompt are left out, since the sides are anonymous."
)
READY = "Both answers are complete: run or check their code, then vote."
ASK_NEXT = "Start a new battle with the same prompt or another."


@dataclass
class BattleTab:
    prompt: gr.Textbox
    start: gr.Button
    stop: gr.Button
    views: dict[str, gr.HTML]  # side -> its view
    note: gr.HTML
    votes: dict[str, gr.Button]  # choice -> its button
    new: gr.Button
    check_code: gr.Code
    check_run: gr.Button
    battle_id: gr.State  # the battle on show ("" before one has started)
    checks: gr.State  # the last "Check both answers" results, sent with the vote
    voted: list[Any] = field(default_factory=list)  # the vote events (the leaderboard refreshes after them)


def side_value(side: str, messages: list[dict[str, Any]], lane: dict[str, Any] | None = None, **kw: Any) -> dict:
    """A side before the vote: its title, no engine, no stats."""
    lane = {"error": (lane or {}).get("error"), "status": (lane or {}).get("status") or ""}
    return lane_value(side, TITLES[side], "", messages, lane, **kw)


def revealed_value(side: str, lane: dict[str, Any]) -> dict[str, Any]:
    """A side after the vote: who it was, its engine and stats, its thinking, its real error."""
    title = f"{TITLES[side]}: {lane['display_name']}"
    engine = " · ".join(x for x in (lane.get("model"), lane.get("engine")) if x)
    message = MessageView().view(lane, final=True)
    return lane_value(side, title, engine, [message], {**lane, "status": ""})


def build_battle_tab(arena: Arena, sampling: SamplingPanel) -> BattleTab:
    with gr.Tab("Battle", id="battle"):
        gr.Markdown(INTRO, elem_id="battle-intro")
        prompt = gr.Textbox(
            label="Prompt", lines=4, max_lines=30, elem_id="battle-prompt",
            placeholder="Ask both models for code, e.g. 'Write a Python function that parses ISO dates.'",
        )  # fmt: skip
        with gr.Row():
            start = gr.Button("Start battle", variant="primary", elem_id="battle-start")
            stop = gr.Button("Stop", variant="stop", elem_id="battle-stop")
        views: dict[str, gr.HTML] = {}
        with gr.Row(equal_height=False, elem_id="battle-sides"):
            for side in SIDES:
                with gr.Column(min_width=340, elem_classes=["seedui-col"]):
                    views[side] = gr.HTML(
                        side_value(side, []), html_template=BATTLE_TEMPLATE, elem_id=f"battle-{side}",
                        apply_default_css=False, padding=False,
                    )  # fmt: skip
        note = gr.HTML("", elem_id="battle-note", padding=False)
        with gr.Row(elem_id="battle-votes"):
            votes = {
                choice: gr.Button(label, interactive=False, elem_id=f"vote-{choice}")
                for choice, label in CHOICES.items()
            }
        new = gr.Button("New battle", visible=False, elem_id="battle-new")
        with gr.Accordion("Check the answers: run tests on both answers' Python code (in your browser)", open=False):
            check_code = gr.Code(
                language="python", label="Test code (asserts or test_* functions)", elem_id="battle-check-code",
                lines=6,
            )  # fmt: skip
            check_run = gr.Button("Check both answers", elem_id="battle-check-run")
            gr.HTML('<div id="battle-check-results"></div>', padding=False)
        battle_id = gr.State("")
        checks = gr.State(None)
    tab = BattleTab(prompt, start, stop, views, note, votes, new, check_code, check_run, battle_id, checks)
    _wire(arena, tab, sampling)
    return tab


def _wire(arena: Arena, tab: BattleTab, sampling: SamplingPanel) -> None:
    service = arena.service
    views = list(tab.views.values())
    reset_outputs = [*views, tab.note, *tab.votes.values(), tab.new, tab.battle_id, tab.checks]

    def reset(running: bool) -> dict[Any, Any]:
        return {
            **{tab.views[s]: side_value(s, [], running=running) for s in SIDES},
            tab.note: "",
            **{button: gr.Button(interactive=False, visible=True) for button in tab.votes.values()},
            tab.new: gr.Button(visible=False),
            tab.battle_id: "",
            tab.checks: None,
        }

    check_room = queue_room(service.limits)

    @page_handler
    def clear_battle(request: gr.Request) -> dict[Any, Any]:
        check_room(request)  # a full queue is refused here, before the sides are cleared
        return reset(running=True)

    @page_handler
    def new_battle() -> dict[Any, Any]:
        return reset(running=False)

    @page_handler
    async def run_battle(data: dict[Any, Any], request: gr.Request):
        # The shared sampling values only (a battle refuses per-lane ones): card defaults unless turned off.
        settings = sampling.shared.values(data, include_sliders=not data[sampling.card_defaults])
        msgs = {side: MessageView() for side in SIDES}
        battle = arena.battle(data[tab.prompt], settings, service.client(request))
        async with aclosing(battle) as stream:
            async for update in stream:
                out: dict[Any, Any] = {tab.battle_id: update["battle_id"]}
                for side in SIDES:
                    lane = update[side]
                    view = msgs[side].view({"text": lane["text"]}, final=lane["done"])
                    out[tab.views[side]] = side_value(side, [view], lane, running=not lane["done"])
                if update["done"]:
                    out.update(_finished(tab, update))
                yield out

    @page_handler
    def keep_checks(results: Any, battle_id: str) -> dict[Any, Any]:
        return {tab.checks: results if battle_id and isinstance(results, dict) else None}

    generating = generation_event(service.limits, views)
    inputs = {tab.prompt, sampling.card_defaults, *sampling.shared.components()}
    # Ctrl/Cmd+Enter in the tab is a click on Start (seedui/ui/keys.py); Shift+Enter is a new line in the prompt.
    cleared = tab.start.click(clear_battle, outputs=reset_outputs, js=CLEAR_CHECKS_JS, **BEFORE_GENERATION)
    outputs = [*views, tab.battle_id, tab.note, *tab.votes.values(), tab.new]
    events = [cleared.success(run_battle, inputs=inputs, outputs=outputs, **generating)]
    wire_stop(tab.stop, events, views)
    tab.new.click(new_battle, outputs=reset_outputs, js=CLEAR_CHECKS_JS, queue=False, api_visibility="undocumented")
    tab.check_run.click(
        keep_checks,
        inputs=[tab.check_code, tab.battle_id],
        outputs=[tab.checks],
        js=CHECK_JS,
        queue=False,
        api_visibility="undocumented",
    )
    tab.voted = [
        button.click(
            _voter(arena, tab, choice),
            inputs=[tab.battle_id, tab.checks],
            outputs=[*views, tab.note, *tab.votes.values(), tab.new],
            api_visibility="undocumented",
        )
        for choice, button in tab.votes.items()
    ]


def _finished(tab: BattleTab, update: dict[str, Any]) -> dict[Any, Any]:
    """The battle's last update: open the vote, or (void) say why and show the sides."""
    if update["votable"]:
        return {
            tab.note: notice_html(READY, "info"),
            **{button: gr.Button(interactive=True) for button in tab.votes.values()},
        }
    out: dict[Any, Any] = {
        tab.note: notice_html(f"{update['note']}. {ASK_NEXT}", "error"),
        tab.new: gr.Button(visible=True),
    }
    if update["reveal"]:
        out.update({tab.views[s]: revealed_value(s, update["reveal"][s]) for s in SIDES})
    return out


def _voter(arena: Arena, tab: BattleTab, choice: str) -> Any:
    @page_handler
    def vote_from_page(battle_id: str, checks: Any, request: gr.Request) -> dict[Any, Any]:
        if not battle_id:
            raise UserError("start a battle first: there is nothing to vote on yet")
        made = arena.vote(battle_id, choice, arena.service.client(request), checks)
        said = f"You voted: {CHOICES[choice]}. " + " · ".join(
            f"{TITLES[s]} was {made[s]['display_name']}" for s in SIDES
        )
        return {
            **{tab.views[s]: revealed_value(s, made[s]) for s in SIDES},
            tab.note: notice_html(f"{said}. {ASK_NEXT}", "info"),
            **{button: gr.Button(interactive=False) for button in tab.votes.values()},
            tab.new: gr.Button(visible=True),
        }

    vote_from_page.__name__ = f"vote_{choice}_from_page"
    return vote_from_page
