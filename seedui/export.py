"""Export a comparison as a Markdown or JSON download.

The model's answers, reasoning and the prompt are untrusted but are kept
verbatim: the file is a download, and code blocks must survive byte for byte.
What we write around them is made safe instead: heading and metadata lines
collapse whitespace and escape Markdown/HTML punctuation, so a display name
like ``"x\\n# Fake"`` or ``"<img src=...>"`` stays one harmless line; the prompt
sits in a fence longer than any backtick run inside it; an answer that leaves
a code fence open gets it closed, so the next lane's heading is still a heading.
"""

from __future__ import annotations

import json
import re
from typing import Any

from seedui.fences import close_open_fence
from seedui.shares import ShareInvalid, validate_comparison

TITLE = "SeedUI comparison"
MAX_INLINE_CHARS = 200

_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>!|#&~])")


def _inline(text: Any) -> str:
    """One line of plain text, safe inside a heading, list item or table cell."""
    line = " ".join(str(text).split())
    if len(line) > MAX_INLINE_CHARS:
        line = line[: MAX_INLINE_CHARS - 1] + "…"
    return _INLINE_SPECIAL.sub(r"\\\1", line)


def _code(text: Any) -> str:
    """An inline code span holding `text` literally (on one line)."""
    line = " ".join(str(text).split())
    if len(line) > MAX_INLINE_CHARS:
        line = line[: MAX_INLINE_CHARS - 1] + "…"
    longest = max((len(run) for run in re.findall(r"`+", line)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if line.startswith("`") or line.endswith("`") or not line.strip() else ""
    return f"{ticks}{pad}{line}{pad}{ticks}"


def _fence(text: str, info: str = "") -> str:
    """`text` in a fenced block that nothing inside it can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    body = text if text.endswith("\n") or not text else text + "\n"
    return f"{ticks}{info}\n{body}{ticks}"


def _scalar(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) < 1e15 else f"{value:g}"
    if isinstance(value, (int, str)):
        return f"{value:,}" if isinstance(value, int) else value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _details(summary: str, body: str) -> list[str]:
    # Blank lines around the body let Markdown render inside the HTML block.
    return ["<details>", f"<summary>{summary}</summary>", "", body, "", "</details>", ""]


def to_markdown(comparison: dict[str, Any]) -> str:
    """A readable Markdown report of the comparison."""
    data = validate_comparison(comparison)
    meta = data.get("meta") or {}
    out: list[str] = [f"# {TITLE}", ""]

    byline = []
    if meta.get("app_version"):
        byline.append(f"SeedUI {_code(meta['app_version'])}")
    if meta.get("profile"):
        byline.append(f"profile {_code(meta['profile'])}")
    if meta.get("created"):
        byline.append(_inline(meta["created"]))
    if byline:
        out += [" · ".join(byline), ""]

    out += ["## Prompt", "", _fence(data["prompt"], "text"), ""]

    if data["settings"]:
        out += ["## Settings", "", "| Setting | Value |", "| --- | --- |"]
        for key in sorted(data["settings"]):
            value = data["settings"][key]
            out.append(f"| {_inline(key)} | {_code(_scalar(value)).replace('|', chr(92) + '|')} |")
        out.append("")

    models = meta.get("models") or {}
    for name, lane in data["lanes"].items():
        title = lane.get("display_name") or name
        out += [f"## {_inline(title)} ({_code(name)})", ""]
        facts = []
        model = lane.get("model") or models.get(name)
        if model:
            facts.append(f"Model: {_code(model)}")
        if lane.get("engine"):
            facts.append(f"engine: {_code(lane['engine'])}")
        if facts:
            out += [" · ".join(facts), ""]
        if lane["stats"]:
            stats = " · ".join(f"{_inline(k)}: {_inline(_scalar(v))}" for k, v in lane["stats"].items())
            out += [f"Stats: {stats}", ""]
        if lane["error"]:
            out += ["**Error:**", "", _fence(lane["error"], "text"), ""]
        if lane["reasoning"]:
            out += _details("Reasoning", close_open_fence(lane["reasoning"]))
        if lane["text"]:
            out += [close_open_fence(lane["text"]).rstrip("\n"), ""]
        elif not lane["error"]:
            out += ["_(no answer)_", ""]
        if lane.get("execution"):
            out += _details("Execution", _fence(_json(lane["execution"]), "json"))

    if data.get("checks"):
        out += ["## Checks", "", _fence(_json(data["checks"]), "json"), ""]

    return "\n".join(out).rstrip("\n") + "\n"


def _json(value: Any, indent: int | None = 2) -> str:
    try:
        return json.dumps(value, indent=indent, sort_keys=True, ensure_ascii=False, allow_nan=False)
    except ValueError:
        raise ShareInvalid("invalid comparison: it contains NaN or infinity, which JSON cannot hold") from None


def to_json(comparison: dict[str, Any]) -> str:
    """The normalised comparison as pretty JSON with a stable key order."""
    return _json(validate_comparison(comparison)) + "\n"
