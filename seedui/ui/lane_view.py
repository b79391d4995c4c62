"""Lane dicts from the service -> the values the lane HTML components show.

Everything here that comes from a model or a user is escaped (render.py for
Markdown, `html.escape` for plain text); the component templates insert it
as is. Answers are kept as lists of rendered blocks so that Gradio's diff
sends only what changed (see render.StreamRenderer).
"""

from __future__ import annotations

from html import escape
from typing import Any

from seedui.render import StreamRenderer

# The template is a JS template string evaluated by gr.HTML in the browser.
# Values are pre-escaped on the server; `blocks.flat().join('')` mirrors
# render.flatten_blocks. Each lane is a labelled region with a heading.
LANE_TEMPLATE = """
<section class="seedui-lane ${value.running ? 'seedui-running' : ''}" data-seedui-lane="${value.lane}"
  aria-label="${value.title}" aria-busy="${value.running ? 'true' : 'false'}">
  <div class="seedui-lane-head">
    <h2 class="seedui-lane-title">${value.title}</h2>
    <span class="seedui-engine">${value.engine}</span>
  </div>
  ${value.prompt ? `<details class="seedui-prompt" ${value.prompt_open ? 'open' : ''}>
      <summary>${value.prompt_label}</summary><pre>${value.prompt}</pre></details>` : ''}
  ${value.status ? `<div class="seedui-status">${value.status}</div>` : ''}
  ${value.messages.map(m => m.role === 'user'
      ? `<div class="seedui-msg seedui-user">${m.html}</div>`
      : `<div class="seedui-msg seedui-assistant">
           ${m.think_label ? `<details class="seedui-think" ${m.think_open ? 'open' : ''}>
              <summary>${m.think_label}</summary>
              <div class="seedui-md">${m.think.flat().join('')}</div></details>` : ''}
           <div class="seedui-md seedui-answer">${m.blocks.flat().join('')}</div>
         </div>`).join('')}
  ${value.hint ? `<div class="seedui-hint" role="note">${value.hint}</div>` : ''}
  ${value.error ? `<div class="seedui-error" role="alert">${value.error}</div>` : ''}
  <div class="seedui-stats">${value.stats}</div>
</section>
"""
# A completion lane that stops within this many tokens has most likely "continued" an instruction with nothing.
EARLY_STOP_TOKENS = 3


LANE_MARKER = "data-seedui-lane="


def lane_template(marker: str) -> str:
    """LANE_TEMPLATE with its lane attribute renamed to `marker`: "Check the answers" on the Compare tab
    (sandbox/static/page/checks.mjs) reads every `data-seedui-lane` in the page, so lanes shown elsewhere (a share,
    a battle) carry another name."""
    if LANE_MARKER not in LANE_TEMPLATE:  # pragma: no cover - a guard for a changed template
        raise RuntimeError(f"LANE_TEMPLATE no longer carries {LANE_MARKER!r}; update lane_view.LANE_MARKER")
    return LANE_TEMPLATE.replace(LANE_MARKER, f"{marker}=")


def stats_line(stats: dict[str, Any] | None, running: bool = False) -> str:
    """'TTFT 0.21 s · 57 tokens · 23.4 tok/s · 2.6 s · stop' (escaped).

    While the lane runs, the seconds are marked (`data-seedui-elapsed`) so that the page ticks them between
    updates (seedui/ui/static/page.js), and a lane with no token yet says what it waits for.
    """
    if not stats:
        return ""
    parts = []  # each escaped (numbers, and the finish reason escaped)
    if stats.get("ttft_s") is not None:
        parts.append(f"TTFT {stats['ttft_s']:.2f} s")
    elif running:
        parts.append("waiting for the first token")
    if stats.get("completion_tokens") is not None:
        parts.append(f"{stats['completion_tokens']} tokens")
    if stats.get("tokens_per_s") is not None:
        parts.append(f"{stats['tokens_per_s']:.1f} tok/s")
    if stats.get("total_s") is not None:
        total = stats["total_s"]
        parts.append(f'<span data-seedui-elapsed="{total:.3f}">{total:.1f} s</span>' if running else f"{total:.1f} s")
    if stats.get("finish_reason"):
        parts.append(escape(str(stats["finish_reason"])))
    return " · ".join(parts)


def stopped_early(stats: dict[str, Any] | None, text: str) -> bool:
    """A lane that finished on its own within a couple of tokens, or with nothing to show."""
    stats = stats or {}
    if stats.get("finish_reason") != "stop":
        return False
    tokens = stats.get("completion_tokens")
    return (tokens is not None and tokens <= EARLY_STOP_TOKENS) or not text.strip()


class MessageView:
    """One assistant answer (plus its thinking), rendered incrementally."""

    def __init__(self) -> None:
        self.answer = StreamRenderer()
        self.think = StreamRenderer()

    def view(self, lane: dict[str, Any], final: bool) -> dict[str, Any]:
        reasoning = lane.get("reasoning") or ""
        label = ""
        if reasoning:
            seconds = (lane.get("stats") or {}).get("reasoning_s")
            label = "Thinking" + (f" ({seconds:.1f} s)" if seconds is not None else "")
        return {
            "role": "assistant",
            "think_label": escape(label),
            # Open while the model is still thinking, folded once the answer starts.
            "think_open": bool(reasoning) and not final and not (lane.get("text") or "").strip(),
            "think": self.think.feed(reasoning, final=final) if reasoning else [],
            "blocks": self.answer.feed(lane.get("text") or "", final=final),
        }


def user_message(text: str) -> dict[str, Any]:
    return {"role": "user", "html": escape(text).replace("\n", "<br>")}


def lane_value(
    name: str,
    title: str,
    engine: str,
    messages: list[dict[str, Any]],
    lane: dict[str, Any] | None = None,
    *,
    running: bool = False,
    status: str = "",
    prompt_label: str = "Prompt as sent",
    prompt_open: bool = False,
    hint: str = "",
) -> dict[str, Any]:
    """What a lane column shows. `lane` is the service's lane dict; its `prompt` (the exact text a completion
    lane was sent) is shown folded under `prompt_label`, unfolded with `prompt_open`; `hint` is a note on
    what to try."""
    lane = lane or {}
    return {
        "lane": escape(name),
        "title": escape(title),
        "engine": escape(engine),
        "status": escape(status or lane.get("status") or ""),  # a lane still loading says what it waits for
        "prompt": escape(lane.get("prompt") or ""),
        "prompt_label": escape(prompt_label),
        "prompt_open": prompt_open,
        "messages": messages,
        "hint": escape(hint),
        "error": escape(lane.get("error") or ""),
        "stats": stats_line(lane.get("stats"), running),
        "running": running,
    }
