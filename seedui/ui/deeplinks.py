"""Deep links: on page load, URL query parameters prefill the page.

``/?prompt=...&lanes=base,instruct&tab=compare&temperature=0.2&max_tokens=64``

`deeplink.parse_query` checks the parameters and `prefill.deeplink_fill` says
what the page shows (both pure, and never raise); this module only wires that
to the page. A parameter that is not valid is ignored and said so (a warning
toast and a notice on the Compare tab); the valid ones still apply.
``share=`` is the Shared tab's (shared_tab.py), ``bench=`` the Bench tab's (bench_tab.py).
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from seedui.bench_runs import BENCH_PARAM
from seedui.boundary import page_handler
from seedui.deeplink import parse_query
from seedui.notices import notice_html, warn
from seedui.prefill import deeplink_fill
from seedui.service import LaneService
from seedui.ui.fill import PageInputs
from seedui.ui.placement import reopen
from seedui.ui.shared_tab import SHARE_PARAM


def wire_deeplinks(service: LaneService, page: PageInputs, compare_tab: gr.Tab, blocks: gr.Blocks) -> gr.HTML:
    """Prefill the page from its URL on load; returns the notice box (added to the Compare tab)."""
    with reopen(compare_tab):
        notice = gr.HTML("", elem_id="deeplink-notice", padding=False)

    @page_handler
    def apply(request: gr.Request) -> dict[Any, Any]:
        # A share id is the Shared tab's, a bench run's the Bench tab's; an empty one is noted here as not valid.
        given = dict(request.query_params) if request is not None else {}
        params = {k: v for k, v in given.items() if not (k in (SHARE_PARAM, BENCH_PARAM) and str(v).strip())}
        if not params:
            return gr.skip()  # every output as it is
        fill = deeplink_fill(parse_query(params, service.lane_names), page.offered(), page.sampling.max_tokens_limit)
        updates = page.updates(fill)
        if fill.notes:
            text = "About this link: " + "; ".join(fill.notes)
            warn(text)
            updates[notice] = notice_html(text)
        return updates or gr.skip()  # e.g. only Gradio's own parameters (?view=api)

    blocks.load(apply, outputs=[notice, *page.outputs()], show_progress="hidden", api_visibility="undocumented")
    return notice
