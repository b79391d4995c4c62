"""Deep links: on page load, URL query parameters prefill the page.

``/?prompt=...&lanes=base,instruct&tab=compare&temperature=0.2&max_tokens=64``

`deeplink.parse_query` does the checking and never raises; this module only
turns its result into component updates. A parameter that is not valid is
ignored and said so (a warning toast and a notice on the Compare tab); the
valid ones still apply. ``share=`` is the share panel's (seedui/ui/share_panel.py).
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from seedui.boundary import page_handler
from seedui.deeplink import DeepLink, parse_query
from seedui.notices import warn
from seedui.service import LaneService
from seedui.ui.compare_tab import CompareTab
from seedui.ui.sampling_panel import SamplingPanel
from seedui.ui.share_panel import enclosing, notice_html, reopen

SHARE_PARAM = "share"  # handled by the share panel


def deeplink_updates(
    link: DeepLink,
    compare: CompareTab,
    tabs: gr.Tabs,
    sampling: SamplingPanel,
    chat: Any = None,
    fim: Any = None,
) -> tuple[dict[Any, Any], list[str]]:
    """Component updates for a parsed link, and the notices to show (the link's own plus ours)."""
    notes = list(link.notices)
    out: dict[Any, Any] = {}
    tab = link.tab or "compare"
    if link.tab == "chat" and chat is None or link.tab == "fim" and fim is None:
        notes.append(f"ignored tab={link.tab}: that tab is not on this server")
        tab = "compare"
    if link.tab:
        out[tabs] = gr.Tabs(selected=tab)

    if link.prompt is not None:
        target = {"chat": getattr(chat, "message", None), "fim": getattr(fim, "code", None)}.get(tab, compare.prompt)
        out[target] = link.prompt
    if link.lanes:
        if tab == "fim":
            notes.append("ignored lanes: the Completion / FIM tab always uses the Base lane")
        else:
            box = chat.lanes if tab == "chat" else compare.lanes
            offered = [choice[1] if isinstance(choice, (list, tuple)) else choice for choice in box.choices]
            chosen = [name for name in link.lanes if name in offered]
            for name in link.lanes:
                if name not in offered:
                    notes.append(f"ignored lane {name!r}: the {tab} tab offers {', '.join(offered)}")
            if chosen:
                out[box] = chosen

    values = link.settings
    if values:
        controls = sampling.shared
        out[sampling.unlink] = False
        for name, comp in controls.sliders.items():
            if name in values:
                out[comp] = values[name]
        if "max_tokens" in values:
            limit = int(controls.max_tokens.maximum)
            if values["max_tokens"] > limit:
                notes.append(f"max_tokens={values['max_tokens']} is over this server's limit; set to {limit}")
            out[controls.max_tokens] = min(int(values["max_tokens"]), limit)
        if "seed" in values:
            out[controls.seed] = int(values["seed"])
        # The sliders are sent only with "card defaults" off; a seed alone is sent either way.
        if set(values) & set(controls.sliders):
            out[sampling.card_defaults] = False
    return out, notes


def wire_deeplinks(
    service: LaneService,
    compare: CompareTab,
    tabs: gr.Tabs,
    sampling: SamplingPanel,
    chat: Any = None,
    fim: Any = None,
) -> gr.HTML:
    """Prefill the page from its URL on load; returns the notice box (on the Compare tab).

    Call inside the app's Blocks context, after the tabs are built. `chat` and
    `fim` are the ChatTab / FimTab handles (a prompt for them goes into their
    message / code box), or None where the page lacks that tab.
    """
    blocks = enclosing(tabs, gr.Blocks)
    compare_tab = enclosing(compare.prompt, gr.Tab)
    if blocks is None or compare_tab is None:
        raise RuntimeError("wire_deeplinks needs the Compare tab inside gr.Tabs inside the app's gr.Blocks")
    with reopen(compare_tab):
        notice = gr.HTML("", elem_id="deeplink-notice", padding=False)

    outputs: list[Any] = [
        tabs, notice, compare.prompt, compare.lanes, sampling.card_defaults, sampling.unlink,
        sampling.shared.seed, *sampling.shared.sliders.values(),
    ]  # fmt: skip
    if chat is not None:
        outputs += [chat.message, chat.lanes]
    if fim is not None:
        outputs.append(fim.code)

    @page_handler
    def apply(request: gr.Request) -> dict[Any, Any]:
        # A share id is the share panel's; an empty one is noted here as not valid.
        given = dict(request.query_params) if request is not None else {}
        params = {k: v for k, v in given.items() if not (k == SHARE_PARAM and str(v).strip())}
        if not params:
            return {comp: gr.skip() for comp in outputs}
        link = parse_query(params, service.lane_names)
        updates, notes = deeplink_updates(link, compare, tabs, sampling, chat, fim)
        if notes:
            text = "About this link: " + "; ".join(notes)
            warn(text)
            updates[notice] = notice_html(text)
        return updates

    blocks.load(apply, outputs=outputs, show_progress="hidden")
    return notice
