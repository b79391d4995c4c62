"""Markdown code fences, line by line: the one place their CommonMark rules live.

A fence opens with three or more backticks or tildes, indented at most three
spaces; a backtick fence's info string has no backticks. It closes with a run
of the same character at least as long, and nothing after it but spaces.
Rendering, export and answer extraction all read fences through these.
"""

from __future__ import annotations

import re

FENCE_LINE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")


def opening(line: str) -> tuple[str, str] | None:
    """(the fence run, the info string) if `line` opens a fence, else None."""
    match = FENCE_LINE.match(line)
    if not match:
        return None
    run, info = match.group(1), match.group(2)
    if run[0] == "`" and "`" in info:
        return None
    return run, info.strip()


def closes(line: str, opener: str) -> bool:
    """Whether `line` closes a fence opened by `opener`."""
    match = FENCE_LINE.match(line.rstrip("\n"))
    if not match:
        return False
    run, rest = match.group(1), match.group(2)
    return run[0] == opener[0] and len(run) >= len(opener) and not rest.strip()


def open_fence(text: str) -> str | None:
    """The opener of the fence `text` ends inside, or None when every fence is closed."""
    opener: str | None = None
    for line in text.splitlines():
        if opener is None:
            found = opening(line)
            if found:
                opener = found[0]
        elif closes(line, opener):
            opener = None
    return opener


def close_open_fence(text: str) -> str:
    """`text` unchanged, plus a closing fence if it ends inside an open code fence."""
    opener = open_fence(text)
    if opener is None:
        return text
    return text + ("" if text.endswith("\n") else "\n") + opener
