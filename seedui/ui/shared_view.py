"""The Shared tab's read-only view of a stored comparison, as the value of its gr.HTML.

The lanes use the Compare tab's lane template and rendering (lane_view.py), so
a shared answer looks as it did when it was run. Everything in a share comes
from a stranger: text is escaped here (`escape_text`), Markdown by render.py,
and stats are kept only when they have the type the lane view formats.
"""

from __future__ import annotations

import json
from typing import Any

from seedui.render import escape_text
from seedui.ui.lane_view import MessageView, lane_template, lane_value

# The Compare tab's lane template, once per stored lane. The lanes are marked
# `data-seedui-shared-lane` rather than `data-seedui-lane`, so the execution
# checks (sandbox/static/page/checks.mjs) keep reading only the Compare tab's live lanes.
SHARED_TEMPLATE = (
    '<div class="seedui-shared">${value.header}'
    '<div class="seedui-shared-lanes">${(value.lanes || []).map(value => `'
    + lane_template("data-seedui-shared-lane")
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
