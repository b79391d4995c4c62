"""Request limits that protect a shared server, each with its own message."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from seedui.errors import UserError


class RateLimited(UserError):
    """Too many actions from one client in the window."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


MAX_TRACKED_CLIENTS = 10_000


class RateLimiter:
    """At most `limit` actions per `window_s` seconds per client, in memory (sliding window)."""

    def __init__(
        self, limit: int, what: str = "requests", window_s: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1:
            raise ValueError(f"the rate limit must be at least 1 per window, got {limit}")
        self.limit = limit
        self.what = what
        self.window_s = window_s
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str) -> float:
        """Take a slot for `key` and return its stamp, or raise RateLimited."""
        with self._lock:
            now = self._clock()
            if len(self._hits) > MAX_TRACKED_CLIENTS:  # forget idle clients so memory stays bounded
                self._prune(now)
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            if len(hits) >= self.limit:
                wait = max(1, math.ceil(hits[0] + self.window_s - now))
                per = "minute" if self.window_s == 60 else f"{self.window_s:g} s"
                raise RateLimited(
                    f"too many {self.what} from this client: {self.limit} per {per}; try again in {wait} s",
                    retry_after_s=wait,
                )
            hits.append(now)
            return now

    check = acquire

    def release(self, key: str, stamp: float) -> None:
        """Give back a slot taken by `acquire` (the action did not happen)."""
        with self._lock:
            hits = self._hits.get(key)
            if hits is not None:
                try:
                    hits.remove(stamp)
                except ValueError:
                    pass
                if not hits:
                    del self._hits[key]

    def _prune(self, now: float) -> None:
        for key in [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - self.window_s]:
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
