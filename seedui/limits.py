"""Request limits that protect a shared server, each with its own message."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from seedui.errors import UserError


class RateLimited(UserError):
    pass


class RateLimiter:
    """Sliding one-minute window per client id."""

    def __init__(self, per_minute: int, what: str = "requests") -> None:
        self.per_minute = per_minute
        self.what = what
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            hits = self._hits[client]
            while hits and now - hits[0] > 60:
                hits.popleft()
            if len(hits) >= self.per_minute:
                wait = 60 - (now - hits[0])
                raise RateLimited(
                    f"too many {self.what} from this client: the limit is {self.per_minute} a minute; "
                    f"try again in {wait:.0f} s"
                )
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle clients so memory stays bounded
                for key in [k for k, v in self._hits.items() if not v or now - v[-1] > 60]:
                    del self._hits[key]


def check_text(text: object, what: str, max_chars: int, allow_empty: bool = False) -> str:
    """A user-supplied string: a str, not blank, not too long, valid Unicode, no NUL."""
    if not isinstance(text, str):
        raise UserError(f"the {what} must be a string, got {type(text).__name__}")
    if not allow_empty and not text.strip():
        raise UserError(f"the {what} is empty: write something first")
    if len(text) > max_chars:
        raise UserError(f"the {what} is {len(text):,} characters; the limit is {max_chars:,}")
    if "\x00" in text:
        raise UserError(f"the {what} contains a NUL character (\\x00); remove it")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise UserError(f"the {what} has invalid Unicode at position {exc.start} (a lone surrogate)") from None
    return text
