"""Share, export, and the read-only shared view: the page side of seedui/shares.py.

On the Compare tab: a Share button (saves the last comparison and shows its
link and the one-time delete token), Export Markdown / JSON downloads, and
delete-by-token controls. A "Shared" tab, hidden until the page is opened
with ``?share=<id>``, shows a stored comparison read-only with the same lane
rendering as the Compare tab, and "Open in playground" fills the Compare tab
(prompt, lanes, sampling settings) to run it again.

Everything shown comes from a stranger and is escaped here (render.py for
Markdown, `html.escape` for text); the lane template inserts it as is.
`register_share_api` adds `/share`, `/load_share` and `/delete_share`.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import gradio as gr
from gradio import route_utils

from seedui.boundary import api_endpoint, page_handler
from seedui.controls import SLIDER_FIELDS, shown_values
from seedui.errors import UserError
from seedui.export import to_json, to_markdown
from seedui.notices import warn
from seedui.render import escape_text
from seedui.sampling import SamplingSettings
from seedui.service import LaneService
from seedui.shares import ShareService
from seedui.ui.compare_tab import CompareTab
from seedui.ui.lane_view import LANE_TEMPLATE, MessageView, lane_value
from seedui.ui.sampling_panel import Controls, SamplingPanel

SHARED_TAB_ID = "shared"
SHARES = "shares"  # concurrency group for share writes
UNAVAILABLE = (
    "sharing is unavailable on this server: its share database could not be opened (see the server log); "
    "Export still works"
)
KEEP_TOKEN = (
    "Keep this delete token somewhere safe: it is shown only this once, and it is the only way to delete the share."
)
NO_RESULT = "Run a comparison first: there is nothing to share or export yet."

# The Compare tab's lane template, once per stored lane. The lanes are marked
# `data-seedui-shared-lane` rather than `data-seedui-lane`, so the execution
# checks (seedui.js) keep reading only the Compare tab's live lanes.
_LANE_ATTR = "data-seedui-lane="
if _LANE_ATTR not in LANE_TEMPLATE:  # pragma: no cover - a guard for a changed template
    raise RuntimeError("LANE_TEMPLATE no longer carries data-seedui-lane; update share_panel._LANE_ATTR")
SHARED_TEMPLATE = (
    '<div class="seedui-shared">${value.header}'
    '<div class="seedui-shared-lanes">${(value.lanes || []).map(value => `'
    + LANE_TEMPLATE.replace(_LANE_ATTR, "data-seedui-shared-lane=")
    + "`).join('')}</div>${value.footer}</div>"
)
SHARED_CSS = """
.seedui-shared-title { font-weight: 600; font-size: 1.1em; margin-bottom: 4px; }
.seedui-shared-badge { font-weight: 400; font-size: 0.8em; opacity: 0.75; border: 1px solid currentColor;
  border-radius: 6px; padding: 0 6px; margin-left: 6px; }
.seedui-shared-meta, .seedui-shared-settings { font-size: 0.85em; opacity: 0.8; margin: 4px 0; }
.seedui-shared-prompt { white-space: pre-wrap; background: var(--background-fill-secondary); border-radius: 8px;
  padding: 6px 10px; margin: 6px 0; font-family: var(--font-mono, monospace); font-size: 0.9em; }
.seedui-shared-lanes { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 8px; }
.seedui-shared-lanes > .seedui-lane { flex: 1 1 320px; min-width: 0; }
.seedui-shared-exec pre { white-space: pre-wrap; font-size: 0.85em; }
"""
EMPTY_VIEW: dict[str, Any] = {"header": "", "lanes": [], "footer": ""}
_STAT_NUMBERS = ("ttft_s", "completion_tokens", "tokens_per_s", "total_s", "reasoning_s")


@dataclass
class SharePanel:
    shares: ShareService | None
    share: gr.Button
    share_result: gr.HTML
    export_md: gr.DownloadButton
    export_json: gr.DownloadButton
    delete_id: gr.Textbox
    delete_token: gr.Textbox
    delete: gr.Button
    delete_status: gr.HTML
    shared_tab: gr.Tab
    shared_notice: gr.HTML
    shared_view: gr.HTML
    shared: gr.State  # the loaded shared comparison (normalised), or {}
    open_playground: gr.Button
    shared_export_md: gr.DownloadButton
    shared_export_json: gr.DownloadButton


# --- pure helpers --------------------------------------------------------------------------


def public_base_url(request: gr.Request | None) -> str | None:
    """The app's public root URL as the visitor reached it (proxy headers on Spaces), or None."""
    raw = getattr(request, "request", None) if request is not None else None
    if raw is None:
        return None
    try:
        try:
            route = route_utils.get_api_call_path(raw)
        except ValueError:  # not a queue/call route: cut at Gradio's API prefix
            path = raw.url.path
            cut = path.find(route_utils.API_PREFIX + "/")
            route = path[cut:] if cut >= 0 else ""
        root = route_utils.get_root_url(raw, route, raw.scope.get("root_path") or None)
    except Exception:  # an odd request: a relative link still works
        return None
    return root.rstrip("/") or None


def share_url(request: gr.Request | None, share_id: str) -> str:
    base = public_base_url(request)
    return f"{base}/?share={share_id}" if base else f"?share={share_id}"


def extract_share_id(text: str | None) -> str:
    """A share id from an id or a full share link ('…/?share=ID')."""
    text = (text or "").strip()
    if "share=" in text:
        found = parse_qs(urlparse(text).query).get("share") or parse_qs(text.lstrip("?")).get("share")
        if found:
            return found[0].strip()
    return text


def share_result_html(url: str, share_id: str, token: str) -> str:
    url_e, id_e, token_e = escape_text(url), escape_text(share_id), escape_text(token)
    return (
        '<div class="seedui-share-result">'
        f'<div>Link: <a href="{url_e}" target="_blank" rel="noopener noreferrer" id="share-link">{url_e}</a></div>'
        f'<div>Share id: <code id="share-id">{id_e}</code></div>'
        f'<div>Delete token: <code id="share-token">{token_e}</code></div>'
        f"<div><strong>{escape_text(KEEP_TOKEN)}</strong></div>"
        "</div>"
    )


def notice_html(text: str, kind: str = "warning") -> str:
    if not text:
        return ""
    role = "alert" if kind == "error" else "status"
    return f'<div class="seedui-notice seedui-notice-{kind}" role="{role}">{escape_text(text)}</div>'


def _scalar(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def settings_line(settings: dict[str, Any]) -> str:
    """'temperature 0.2 · max_tokens 8 · instruct: top_p 0.9' (plain text)."""
    parts = []
    for key, value in settings.items():
        if isinstance(value, dict):
            inner = ", ".join(f"{k} {_scalar(v)}" for k, v in value.items())
            parts.append(f"{key}: {inner or '—'}")
        else:
            parts.append(f"{key} {_scalar(value)}")
    return " · ".join(parts) if parts else "each lane's model card defaults"


def _safe_stats(stats: Any) -> dict[str, Any]:
    """Only the stats the lane view formats, and only when they have the right type (shares are untrusted)."""
    if not isinstance(stats, dict):
        return {}
    out: dict[str, Any] = {}
    for key in _STAT_NUMBERS:
        value = stats.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = value
    if isinstance(stats.get("finish_reason"), str):
        out["finish_reason"] = stats["finish_reason"]
    return out


def shared_view_value(comparison: dict[str, Any]) -> dict[str, Any]:
    """The Shared tab's template value: header, lanes (lane_value dicts) and footer, all escaped."""
    meta = comparison.get("meta") or {}
    models = meta.get("models") or {}
    facts = [
        f"profile {meta['profile']}" if meta.get("profile") else "",
        str(meta.get("created") or ""),
        f"SeedUI {meta['app_version']}" if meta.get("app_version") else "",
    ]
    meta_line = " · ".join(f for f in facts if f)
    header = (
        '<div class="seedui-shared-head">'
        '<div class="seedui-shared-title">Shared comparison<span class="seedui-shared-badge">read-only</span></div>'
        + (f'<div class="seedui-shared-meta">{escape_text(meta_line)}</div>' if meta_line else "")
        + '<div class="seedui-shared-prompt" id="shared-prompt">'
        + escape_text(comparison.get("prompt") or "")
        + "</div>"
        + '<div class="seedui-shared-settings">Settings: '
        + escape_text(settings_line(comparison.get("settings") or {}))
        + "</div></div>"
    )
    lanes = []
    executions = []
    for name, lane in (comparison.get("lanes") or {}).items():
        lane = {**lane, "stats": _safe_stats(lane.get("stats"))}
        model = lane.get("model") or models.get(name) or ""
        label = " · ".join(x for x in (model, lane.get("engine") or "") if x)
        message = MessageView().view(lane, final=True)
        lanes.append(lane_value(name, lane.get("display_name") or name, label, [message], lane))
        if lane.get("execution"):
            executions.append((lane.get("display_name") or name, lane["execution"]))
    footer = []
    for title, result in executions:
        footer.append(_json_details(f"Execution: {title}", result))
    if comparison.get("checks"):
        footer.append(_json_details("Execution checks", comparison["checks"]))
    return {"header": header, "lanes": lanes, "footer": "".join(footer)}


def _json_details(title: str, data: Any) -> str:
    body = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)
    return (
        f'<details class="seedui-shared-exec" open><summary>{escape_text(title)}</summary>'
        f"<pre>{escape_text(body)}</pre></details>"
    )


class ExportFiles:
    """Writes a comparison's Markdown and JSON to files the download buttons serve."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="seedui-export-"))

    def write(self, comparison: dict[str, Any]) -> tuple[str, str]:
        md, js = to_markdown(comparison), to_json(comparison)
        # The file name carries the content hash: one file per distinct comparison, and a fresh
        # name for each new one so the browser never serves a stale download.
        digest = hashlib.sha256(js.encode("utf-8")).hexdigest()[:12]
        md_path = self.folder / f"seedui-comparison-{digest}.md"
        js_path = self.folder / f"seedui-comparison-{digest}.json"
        if not md_path.exists():
            md_path.write_text(md, encoding="utf-8")
        if not js_path.exists():
            js_path.write_text(js, encoding="utf-8")
        return str(md_path), str(js_path)

    def buttons(self, comparison: Any) -> tuple[gr.DownloadButton, gr.DownloadButton]:
        if not isinstance(comparison, dict) or not comparison:
            return gr.DownloadButton(value=None, interactive=False), gr.DownloadButton(value=None, interactive=False)
        try:
            md, js = self.write(comparison)
        except UserError as exc:
            warn(f"cannot export this comparison: {exc}")
            return gr.DownloadButton(value=None, interactive=False), gr.DownloadButton(value=None, interactive=False)
        return gr.DownloadButton(value=md, interactive=True), gr.DownloadButton(value=js, interactive=True)


# --- "open in playground": a stored comparison -> the Compare tab's inputs ----------------------


def _control_values(controls: Controls, s: SamplingSettings, notes: list[str], where: str) -> dict[Any, Any]:
    values, more = shown_values(s, int(controls.max_tokens.maximum), where)
    notes += more
    return controls.show(values)


def playground_updates(
    service: LaneService, sampling: SamplingPanel, compare: CompareTab, comparison: dict[str, Any]
) -> tuple[dict[Any, Any], list[str]]:
    """Updates that put a stored comparison into the Compare tab, and notices for what could not be kept.

    Settings are reproduced as the run saw them: the page's linked sliders when the
    comparison carries a full set of them, each lane's own controls otherwise (its
    model card defaults, then the shared values, then the lane's overrides — the
    order `LaneService.lane_settings` applies).
    """
    notes: list[str] = []
    here = service.lane_names
    shared_lanes = list((comparison.get("lanes") or {}).keys())
    chosen = [n for n in here if n in shared_lanes]
    for name in shared_lanes:
        if name not in here:
            notes.append(f"lane {name!r} is not on this server (lanes here: {', '.join(here)})")
    if not chosen:
        chosen = here
    out: dict[Any, Any] = {compare.prompt: comparison.get("prompt") or "", compare.lanes: chosen}

    raw = comparison.get("settings") or {}
    settings: dict[str, Any] = {}
    fields = set(SamplingSettings.model_fields)
    for key, value in raw.items():
        if key in here:
            if isinstance(value, dict):
                settings[key] = value
            else:
                notes.append(f"ignored settings.{key}: per-lane settings must be a dict")
        elif isinstance(value, dict):
            notes.append(f"ignored the settings for lane {key!r}, which is not on this server")
        elif key in fields or key == "system_prompt":
            settings[key] = value
        else:
            notes.append(f"ignored the unknown setting {key!r}")

    per_lane = {k: v for k, v in settings.items() if isinstance(v, dict)}
    shared = {k: v for k, v in settings.items() if not isinstance(v, dict)}
    system = shared.get("system_prompt") or next(
        (v.get("system_prompt") for v in per_lane.values() if v.get("system_prompt")), ""
    )
    out[sampling.system_prompt] = system if isinstance(system, str) else ""
    shared_sampling = {k: v for k, v in shared.items() if k != "system_prompt"}
    lane_sampling = any(set(v) - {"system_prompt"} for v in per_lane.values())
    full_set = set(SLIDER_FIELDS) <= set(shared_sampling)
    light = set(shared_sampling) <= {"seed", "stop"}

    def linked(card_defaults: bool) -> bool:
        try:
            s = SamplingSettings.parse(shared_sampling)
        except UserError:
            return False
        out[sampling.unlink] = False
        out[sampling.card_defaults] = card_defaults
        values = _control_values(sampling.shared, s, notes, "")
        if card_defaults:  # the sliders are not sent in this mode: leave them as they are
            values = {c: v for c, v in values.items() if c in (sampling.shared.seed, sampling.shared.stop)}
        out.update(values)
        return True

    if not lane_sampling and (light and linked(True) or full_set and linked(False)):
        return out, notes
    out[sampling.unlink] = True
    for name, controls in sampling.per_lane.items():
        try:
            s, _ = service.lane_settings(settings, name)
        except UserError as exc:
            notes.append(f"{exc}; lane {name} shows its model card defaults")
            s = service.config.lanes[name].sampling
        out.update(_control_values(controls, s, notes, f"lane {name}: "))
    return out, notes


# --- building -----------------------------------------------------------------------------------


@contextmanager
def reopen(block: gr.blocks.BlockContext) -> Iterator[None]:
    """Add children to a layout block that was already closed, keeping its parent link."""
    parent = block.parent
    with block:
        yield
    block.parent = parent


def enclosing(component: Any, kind: type) -> Any:
    node = getattr(component, "parent", None)
    while node is not None and not isinstance(node, kind):
        node = getattr(node, "parent", None)
    return node


def build_share_panel(
    service: LaneService,
    compare: CompareTab,
    tabs: gr.Tabs,
    sampling: SamplingPanel,
    shares: ShareService | None = None,
) -> SharePanel:
    """Add the share/export controls to the Compare tab and the Shared tab to `tabs`.

    Call inside the app's Blocks context, after the tabs are built. `shares`
    None means sharing is off (the database could not be opened); Export works.
    """
    compare_tab = enclosing(compare.prompt, gr.Tab)
    blocks = enclosing(tabs, gr.Blocks)
    if compare_tab is None or blocks is None:
        raise RuntimeError("build_share_panel needs the Compare tab inside gr.Tabs inside the app's gr.Blocks")
    exports = ExportFiles()

    with reopen(compare_tab):
        with gr.Row(equal_height=True, elem_id="share-row"):
            share = gr.Button("Share", variant="secondary", elem_id="share-button", scale=1)
            export_md = gr.DownloadButton(
                "Export Markdown", interactive=False, elem_id="export-md", scale=1, variant="secondary"
            )
            export_json = gr.DownloadButton(
                "Export JSON", interactive=False, elem_id="export-json", scale=1, variant="secondary"
            )
        share_result = gr.HTML("", elem_id="share-result", padding=False)
        with gr.Accordion("Delete a share (needs its delete token)", open=False, elem_id="share-delete"):
            with gr.Row():
                delete_id = gr.Textbox(label="Share id or link", elem_id="delete-share-id", scale=2)
                delete_token = gr.Textbox(label="Delete token", elem_id="delete-share-token", scale=2)
                delete = gr.Button("Delete share", variant="stop", elem_id="delete-share-button", scale=1)
            delete_status = gr.HTML("", elem_id="delete-share-status", padding=False)

    with reopen(tabs):
        with gr.Tab("Shared", id=SHARED_TAB_ID, visible=False, elem_id="shared-tab") as shared_tab:
            shared_notice = gr.HTML("", elem_id="shared-notice", padding=False)
            shared_view = gr.HTML(
                EMPTY_VIEW, html_template=SHARED_TEMPLATE, css_template=SHARED_CSS, elem_id="shared-view",
                apply_default_css=False, padding=False,
            )  # fmt: skip
            with gr.Row():
                open_playground = gr.Button(
                    "Open in playground", variant="primary", visible=False, elem_id="open-in-playground"
                )
                shared_export_md = gr.DownloadButton("Export Markdown", interactive=False, elem_id="shared-export-md")
                shared_export_json = gr.DownloadButton("Export JSON", interactive=False, elem_id="shared-export-json")
            shared = gr.State({})

    panel = SharePanel(
        shares, share, share_result, export_md, export_json, delete_id, delete_token, delete, delete_status,
        shared_tab, shared_notice, shared_view, shared, open_playground, shared_export_md, shared_export_json,
    )  # fmt: skip
    _wire(service, panel, compare, tabs, sampling, blocks, exports)
    return panel


def _wire(
    service: LaneService,
    panel: SharePanel,
    compare: CompareTab,
    tabs: gr.Tabs,
    sampling: SamplingPanel,
    blocks: gr.Blocks,
    exports: ExportFiles,
) -> None:
    shares = panel.shares

    @page_handler
    def do_share(result: dict, request: gr.Request) -> dict[Any, Any]:
        if not result:
            raise UserError(NO_RESULT)
        if shares is None:
            raise UserError(UNAVAILABLE)
        made = shares.create(result, service.client(request))
        url = share_url(request, made["id"])
        return {panel.share_result: share_result_html(url, made["id"], made["delete_token"]), panel.delete_id: url}

    panel.share.click(
        do_share, inputs=[compare.result], outputs=[panel.share_result, panel.delete_id],
        concurrency_id=SHARES, concurrency_limit=service.limits.concurrency,
    )  # fmt: skip

    @page_handler
    def do_delete(text: str, token: str) -> dict[Any, Any]:
        if shares is None:
            raise UserError(UNAVAILABLE)
        share_id = extract_share_id(text)
        try:
            shares.delete(share_id, (token or "").strip())
        except UserError as exc:
            return {panel.delete_status: notice_html(str(exc), "error")}
        return {panel.delete_status: notice_html(f"share {share_id} deleted", "info"), panel.delete_token: ""}

    panel.delete.click(
        do_delete, inputs=[panel.delete_id, panel.delete_token], outputs=[panel.delete_status, panel.delete_token],
        concurrency_id=SHARES, concurrency_limit=service.limits.concurrency,
    )  # fmt: skip

    compare.result.change(
        page_handler(exports.buttons),
        inputs=[compare.result],
        outputs=[panel.export_md, panel.export_json],
        queue=False,
    )

    load_outputs = [
        panel.shared_tab, tabs, panel.shared_notice, panel.shared_view, panel.shared, panel.open_playground,
        panel.shared_export_md, panel.shared_export_json,
    ]  # fmt: skip

    @page_handler
    def load_shared(request: gr.Request) -> dict[Any, Any]:
        params = dict(request.query_params) if request is not None else {}
        share_id = str(params.get("share") or "").strip()
        if not share_id:  # no share link (an empty id is noted by the deep-link check)
            return {comp: gr.skip() for comp in load_outputs}
        show = {panel.shared_tab: gr.Tab(visible=True), tabs: gr.Tabs(selected=SHARED_TAB_ID)}

        def missing(message: str) -> dict[Any, Any]:
            return {
                **show, panel.shared_notice: notice_html(message, "error"), panel.shared_view: EMPTY_VIEW,
                panel.shared: {}, panel.open_playground: gr.Button(visible=False),
            }  # fmt: skip

        if shares is None:
            return missing(UNAVAILABLE)
        try:
            comparison = shares.load(share_id)
        except UserError as exc:
            return missing(str(exc))
        md, js = exports.buttons(comparison)
        return {
            **show,
            panel.shared_notice: notice_html(
                "A shared comparison, read-only. 'Open in playground' puts its prompt, lanes and settings "
                "into the Compare tab to run it again.",
                "info",
            ),
            panel.shared_view: shared_view_value(comparison),
            panel.shared: comparison,
            panel.open_playground: gr.Button(visible=True),
            panel.shared_export_md: md,
            panel.shared_export_json: js,
        }

    blocks.load(load_shared, outputs=load_outputs, show_progress="hidden")

    play_outputs = [
        tabs, compare.prompt, compare.lanes, sampling.card_defaults, sampling.unlink, sampling.system_prompt,
        *sampling.shared.components(), *(c for ctl in sampling.per_lane.values() for c in ctl.components()),
    ]  # fmt: skip

    @page_handler
    def open_in_playground(comparison: dict) -> dict[Any, Any]:
        if not comparison:
            raise UserError("no shared comparison is open")
        updates, notes = playground_updates(service, sampling, compare, comparison)
        if notes:
            warn("Opened in the playground, with changes: " + "; ".join(notes))
        return {tabs: gr.Tabs(selected="compare"), **updates}

    panel.open_playground.click(open_in_playground, inputs=[panel.shared], outputs=play_outputs)


def register_share_api(service: LaneService, shares: ShareService) -> None:
    """`/share`, `/load_share`, `/delete_share`; call inside the app's `gr.Blocks` context."""

    @api_endpoint
    def share(comparison: dict, request: gr.Request = None) -> dict:
        """Save a comparison {"prompt", "settings", "lanes", "meta"?, "checks"?}; returns {"id", "url", "delete_token"}.

        `lanes` maps a lane name to what `/compare` streams for it ({"text", "reasoning",
        "stats", "error"}, plus optional "model", "engine", "display_name", "execution").
        The delete token is returned only this once: keep it to delete the share.
        """
        made = shares.create(comparison, service.client(request))
        return {**made, "url": share_url(request, made["id"])}

    @api_endpoint
    def load_share(id: str) -> dict:
        """The shared comparison with this id (normalised: every field present)."""
        return shares.load(extract_share_id(id))

    @api_endpoint
    def delete_share(id: str, delete_token: str) -> dict:
        """Delete a share with the delete token shown when it was made; returns {"deleted": id}."""
        share_id = extract_share_id(id)
        shares.delete(share_id, delete_token)
        return {"deleted": share_id}

    limit = service.limits.concurrency
    gr.api(share, api_name="share", concurrency_id=SHARES, concurrency_limit=limit)
    gr.api(load_share, api_name="load_share", concurrency_limit=limit)
    gr.api(delete_share, api_name="delete_share", concurrency_id=SHARES, concurrency_limit=limit)
