"""Errors that carry a message meant for the user, and the one way validation errors become text.

    UserError            bad input or a known condition; the message is shown as is
    ├── ConfigError      invalid configuration, found at start-up (exit code 2)
    └── EngineError      an engine failed in a way the user should see (server down, model missing)

Code raises them with text that says what went wrong and how to fix it; the
page and the API turn a `UserError` into their own error at one boundary each,
and the fan-out turns one into a lane's error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pydantic import ValidationError

MAX_PROBLEMS_NAMED = 3  # a request full of bad keys gets a short answer, not an echo of every key


class UserError(Exception):
    """Bad input or a known condition; the message is shown as is."""


class ConfigError(UserError):
    """Invalid configuration, found at start-up."""


class EngineError(UserError):
    """An engine failed in a way the user should see (server down, model missing)."""


def describe_validation_error(
    exc: ValidationError,
    *,
    unknown: str = "unknown key",
    allowed: Callable[[Sequence[str]], Sequence[str] | None] | None = None,
    prefix: Callable[[str], str] | None = None,
    limit: int | None = MAX_PROBLEMS_NAMED,
    separator: str = "; ",
) -> str:
    """Pydantic's errors as 'where: what' items, at most `limit` of them named.

    `unknown` words an unexpected key; `allowed(loc)` may list the keys that
    place takes; `prefix(where)` goes before an item (e.g. the config source
    that set that key).
    """
    errors = exc.errors(include_url=False)
    items = []
    for err in errors[:limit]:
        loc = [str(p) for p in err["loc"]]
        where = ".".join(loc) or "value"
        if err["type"] == "extra_forbidden":
            keys = allowed(loc) if allowed else None
            what = unknown + (f" (allowed: {', '.join(keys)})" if keys else "")
        elif err["type"] == "missing":
            what = "required field is missing"
        elif err["type"] == "value_error":
            what = str(err.get("ctx", {}).get("error", err["msg"]))
        else:
            what = err["msg"]
        items.append(f"{prefix(where) if prefix else ''}{where}: {what}")
    if limit is not None and len(errors) > limit:
        items.append(f"and {len(errors) - limit} more")
    return separator.join(items)
