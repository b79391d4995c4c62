"""The page: profile banner, sampling panel, and the tabs."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import gradio as gr

from seedui.api import register_api
from seedui.arena.battles import Arena
from seedui.bench_runs import BenchRuns
from seedui.bench_service import BenchService
from seedui.boundary import page_handler
from seedui.render import pygments_css
from seedui.service import LaneService
from seedui.shares import ShareService
from seedui.ui.battle_tab import build_battle_tab
from seedui.ui.bench_tab import build_bench_tab, config_html, wire_bench_link
from seedui.ui.chat_tab import build_chat_tab
from seedui.ui.compare_tab import CompareTab, build_compare_tab, empty_view
from seedui.ui.deeplinks import wire_deeplinks
from seedui.ui.exports import ExportFiles
from seedui.ui.fill import PageInputs
from seedui.ui.fim_tab import build_fim_tab
from seedui.ui.gallery import build_gallery
from seedui.ui.keys import KeyMap
from seedui.ui.leaderboard_tab import build_leaderboard_tab
from seedui.ui.placement import enclosing
from seedui.ui.sampling_panel import build_sampling_panel
from seedui.ui.share_controls import build_share_controls
from seedui.ui.shared_tab import build_shared_tab

STYLE_FILE = Path(__file__).with_name("style.css")
PAGE_TITLE = "SeedUI — Seed-Coder playground"
THEME_TOGGLE_JS = "() => { document.body.classList.toggle('dark'); }"


def page_css() -> str:
    return pygments_css() + "\n" + STYLE_FILE.read_text()


def banner_html(service: LaneService) -> str:
    """Which profile runs and why, each lane's engine state (and the RAM it needs, where known), and any
    notice an engine has (a slower fallback and what to install). Always visible: one line (the profile, how many
    lanes are ready, what it is) that unfolds to the rest, which the page script unfolds on wide screens; the
    notices stay outside the fold."""
    cfg = service.config
    tiny = cfg.profile == "tiny"
    label = f'<span class="{"seedui-tiny" if tiny else ""}">Profile: {escape(cfg.profile)}</span>'
    what = escape(cfg.description)
    if tiny:
        what += " — answers come from a 135M-parameter model, far weaker than Seed-Coder-8B"
    statuses = [service.engines.engines[name].status for name in cfg.lanes]
    states = [status.state for status in statuses]
    counts = " · ".join(f"{states.count(s)} {s}" for s in ("ready", "starting", "failed") if states.count(s))
    each = " · ".join(
        f"{escape(lane.display_name)}: {escape(status.state)}"
        + (f" (needs ~{status.memory_gib:.1f} GB RAM)" if status.memory_gib else "")
        for lane, status in zip(cfg.lanes.values(), statuses, strict=True)
    )
    notices = "".join(
        f'<div class="seedui-notice" role="status">{escape(notice)}</div>'
        for notice in dict.fromkeys(status.notice for status in statuses if status.notice)
    )
    return (
        f'<h1 class="seedui-visually-hidden">{escape(PAGE_TITLE)}</h1>'
        f'<details class="seedui-banner"><summary>{label} · lanes: {counts} — {what}</summary>'
        f"<small>{escape(cfg.profile_reason)} · {each}</small></details>{notices}"
    )


def all_ready(service: LaneService) -> bool:
    return all(e.status.state != "starting" for e in service.engines.engines.values())


def build_blocks(
    service: LaneService,
    *,
    shares: ShareService | None = None,
    arena: Arena | None = None,
    bench: BenchService | None = None,
    runs: BenchRuns | None = None,
) -> gr.Blocks:
    """The page; `shares` / `runs` None turn sharing / saving runs off (Export and deep links still work);
    `arena` None leaves the Battle and Leaderboard tabs out, `bench` None the Bench tab."""
    with gr.Blocks(title=PAGE_TITLE, analytics_enabled=False) as blocks:
        # The documented endpoints first: they keep their names whatever the page's events are called.
        register_api(service, shares=shares, arena=arena, bench=bench, runs=runs)
        with gr.Row():
            banner = gr.HTML(banner_html(service), elem_id="profile-banner")
            theme = gr.Button("Light / dark", size="sm", scale=0, min_width=120, elem_id="theme-toggle")
        theme.click(fn=None, js=THEME_TOGGLE_JS, queue=False)
        sampling = build_sampling_panel(service.config)
        files = ExportFiles()
        with gr.Tabs(elem_id="tabs") as tabs:
            compare = build_compare_tab(service, sampling)
            chat = build_chat_tab(service, sampling)
            fim = build_fim_tab(service, sampling)
            battle = None
            if arena is not None:
                battle = build_battle_tab(arena, sampling)
                build_leaderboard_tab(arena, after=battle.voted)
            bench_tab = build_bench_tab(bench, sampling, runs, files) if bench is not None else None
        if bench is not None and bench_tab is not None:
            gr.HTML(config_html(bench), padding=False, elem_id="bench-config-holder")
            wire_bench_link(bench_tab, runs, tabs, blocks)
        page = PageInputs(
            tabs,
            text={"compare": compare.prompt, "chat": chat.message, **({"fim": fim.code} if fim else {})},
            lanes={"compare": compare.lanes, "chat": chat.lanes},
            sampling=sampling,
            instruction_as=compare.instruction_as,
        )
        compare_tab = enclosing(compare.prompt, gr.Tab)
        build_share_controls(service, compare, compare_tab, files, shares)
        build_shared_tab(service, page, blocks, files, shares)
        build_gallery(service.config, tabs, compare, chat, fim)  # after every tab: it shows under some
        wire_deeplinks(service, page, compare_tab, blocks)
        _show_engine_state(service, blocks, banner, compare)
        keys = KeyMap()
        keys.box(compare.prompt)
        keys.box(chat.message, send=chat.send)
        if battle is not None:
            keys.box(battle.prompt)
        pairs = [(compare.run, compare.stop), (chat.send, chat.stop)]
        pairs += [(fim.run, fim.stop)] if fim else []
        pairs += [(battle.start, battle.stop)] if battle else []
        pairs += [(bench_tab.start, bench_tab.stop)] if bench_tab else []
        for run, stop in pairs:
            keys.runs(run)
            keys.stops(stop)
        blocks.load(fn=None, js=keys.configure_js(), queue=False)
    return blocks


def _show_engine_state(service: LaneService, blocks: gr.Blocks, banner: gr.HTML, compare: CompareTab) -> None:
    """Engines start after the page is built: each visit shows their state as it is then (the banner and
    the Compare tab's empty lanes), and the banner is refreshed until every lane is ready or failed
    (vLLM can take minutes to start)."""
    timer = gr.Timer(2.0, active=not all_ready(service))

    @page_handler
    def poll() -> dict[Any, Any]:
        return {banner: banner_html(service), timer: gr.Timer(active=not all_ready(service))}

    @page_handler
    def on_load() -> dict[Any, Any]:
        return {**poll(), **{view: empty_view(service, name) for name, view in compare.views.items()}}

    page = {"queue": False, "show_progress": "hidden", "api_visibility": "undocumented"}
    blocks.load(on_load, outputs=[banner, timer, *compare.views.values()], **page)
    timer.tick(poll, outputs=[banner, timer], **page)
