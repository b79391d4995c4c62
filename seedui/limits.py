"""Request limits that protect a shared server, each with its own message."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

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
                per = {60.0: "minute", 3600.0: "hour"}.get(self.window_s, f"{self.window_s:g} s")
                raise RateLimited(
                    f"too many {self.what} from this client: {self.limit} per {per}; try again in {wait} s",
                    retry_after_s=wait,
                )
            hits.append(now)
            return now

    check = acquire

    @contextmanager
    def taken(self, key: str) -> Iterator[None]:
        """A slot for `key` for the `with` block, given back if the block raises (the action did not happen)."""
        stamp = self.acquire(key)
        try:
            yield
        except BaseException:
            self.release(key, stamp)
            raise

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


class InFlight:
    """At most `limit` actions per client running at once, in memory; `hold(key)` takes a slot for a `with`."""

    def __init__(self, limit: int, what: str = "requests") -> None:
        if limit < 1:
            raise ValueError(f"the in-flight limit must be at least 1, got {limit}")
        self.limit = limit
        self.what = what
        self._running: dict[str, int] = {}
        self._lock = threading.Lock()

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        with self._lock:
            running = self._running.get(key, 0)
            if running >= self.limit:
                raise RateLimited(
                    f"too many {self.what} running at once from this client: at most {self.limit}; "
                    "wait for some to finish",
                    retry_after_s=1,
                )
            self._running[key] = running + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._running[key] - 1
                if left:
                    self._running[key] = left
                else:
                    del self._running[key]

    def running(self, key: str) -> int:
        with self._lock:
            return self._running.get(key, 0)


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


# A request's settings: sampling values, and per-lane dicts of them. Twelve fields and a few lanes need far
# fewer keys than this; a flood is refused before anything walks or echoes it.
MAX_SETTINGS_KEYS = 64
MAX_SETTINGS_DEPTH = 2  # {"temperature": 0.2, "instruct": {"top_p": 0.9}}
MAX_SETTINGS_LIST = 8  # stop strings, the one list setting
MAX_SETTINGS_KEY_CHARS = 64
SETTINGS_OVERHEAD_CHARS = 16_384  # everything in the settings but the system prompts


def check_settings_shape(settings: object, max_text_chars: int, lanes: int) -> dict:
    """Refuse an oversized settings dict (keys, depth, size) cheaply, before it is validated.

    Cost is bounded by the limits, not by the input: a dict of 300,000 keys is
    refused on its length alone. `max_text_chars` bounds each system prompt;
    there may be one per lane and one shared.
    """
    if settings is None:
        return {}
    if not isinstance(settings, dict):
        raise UserError(f"settings must be a JSON object (dict), got {type(settings).__name__}")
    max_chars = (lanes + 1) * max_text_chars + SETTINGS_OVERHEAD_CHARS
    keys = 0
    chars = 0
    stack: list[tuple[object, int, str]] = [(settings, 1, "settings")]
    while stack:
        node, depth, where = stack.pop()
        if isinstance(node, dict):
            if depth > MAX_SETTINGS_DEPTH:
                raise UserError(
                    f"settings nest too deep: at most {MAX_SETTINGS_DEPTH} levels "
                    "(shared values, and per-lane dicts of values under a lane's name)"
                )
            keys += len(node)
            if keys > MAX_SETTINGS_KEYS:
                raise UserError(f"settings have too many keys: the limit is {MAX_SETTINGS_KEYS}")
            for key, value in node.items():
                if not isinstance(key, str) or len(key) > MAX_SETTINGS_KEY_CHARS:
                    raise UserError(f"a settings key is longer than {MAX_SETTINGS_KEY_CHARS} characters")
                chars += len(key)
                stack.append((value, depth + 1, f"{where}.{key}"))
        elif isinstance(node, list):
            if len(node) > MAX_SETTINGS_LIST:
                raise UserError(f"{where} has {len(node):,} items; at most {MAX_SETTINGS_LIST} are allowed")
            stack.extend((item, depth, where) for item in node)
        elif isinstance(node, str):
            chars += len(node)
        if chars > max_chars:
            raise UserError(f"settings are too large: over {max_chars:,} characters")
    return settings
