"""Parsing streamed model output: the thinking/answer split and stop strings.

Both work on text that arrives in pieces, so a tag or stop string may be cut
across two chunks: text that could be the start of one is held back until the
next chunk (or `flush`) decides. Used by the fan-out (thinking) and by engines
that cannot stop on strings themselves; nothing here knows about prompts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class ThinkSplitter:
    """Split streamed text into reasoning (inside <think>...</think>) and answer.

    Safe for tags cut across chunks: text that could be the start of a tag is
    held back until the next chunk (or `flush`) decides.
    """

    open_tag: str = "<think>"
    close_tag: str = "</think>"
    in_think: bool = False
    _held: str = ""
    _seen_text: bool = False

    def feed(self, delta: str) -> tuple[str, str]:
        """-> (reasoning delta, answer delta)."""
        buf = self._held + delta
        self._held = ""
        reasoning, answer = [], []
        while buf:
            tag = self.close_tag if self.in_think else self.open_tag
            idx = buf.find(tag)
            if idx >= 0:
                (reasoning if self.in_think else answer).append(buf[:idx])
                buf = buf[idx + len(tag) :]
                self.in_think = not self.in_think
                continue
            keep = _partial_suffix(buf, tag)
            emit, self._held = buf[: len(buf) - keep], buf[len(buf) - keep :]
            (reasoning if self.in_think else answer).append(emit)
            break
        return "".join(reasoning), "".join(answer)

    def flush(self) -> tuple[str, str]:
        held, self._held = self._held, ""
        return (held, "") if self.in_think else ("", held)


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest end of `text` that is a proper start of `tag`."""
    for n in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:n]):
            return n
    return 0


class StopMatcher:
    """Cut streamed text at the first stop string (the stop string itself is not shown).

    For engines that cannot stop on strings themselves; like ThinkSplitter,
    text that may be the start of a stop string is held back.
    """

    def __init__(self, stops: Sequence[str]) -> None:
        self.stops = [s for s in stops if s]
        self._held = ""
        self.stopped = False

    def feed(self, delta: str) -> str:
        if self.stopped:
            return ""
        buf = self._held + delta
        hits = [(buf.find(s), s) for s in self.stops if s in buf]
        if hits:
            self.stopped = True
            self._held = ""
            return buf[: min(i for i, _ in hits)]
        keep = max((_partial_suffix(buf, s) for s in self.stops), default=0)
        self._held = buf[len(buf) - keep :] if keep else ""
        return buf[: len(buf) - keep]

    def flush(self) -> str:
        held, self._held = self._held, ""
        return "" if self.stopped else held
