"""Shared comparisons: the schema, size limits, ids, delete tokens, rate limit.

A comparison is what the page shows after a side-by-side run::

    {"prompt": str, "settings": {...}, "lanes": {lane_name: lane}, "meta": {...}?, "checks": {...}?}

where a lane is what the app's `/compare` API streams per lane::

    {"text": str, "reasoning": str, "stats": {...}, "error": str | None,
     "model"?: str, "engine"?: str, "display_name"?: str, "execution"?: {...}}

Unknown fields are refused by name; optional parts get their defaults, and the
stored payload is the normalised form (every field present), so readers never
need to guess. The id is random (96 bits) and is the only way to find a share;
the delete token is shown once and only its SHA-256 is kept. The token carries
192 random bits, so a plain hash (no salt, no slow KDF) is enough.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError, field_validator

from seedui.errors import UserError, describe_validation_error
from seedui.limits import RateLimited as RateLimited  # re-exported: callers catch it from here
from seedui.limits import RateLimiter, check_settings_shape
from seedui.store import ShareRow, Store

KB = 1024
MAX_PROMPT_BYTES = 64 * KB
MAX_LANE_TEXT_BYTES = 256 * KB  # each lane's text, and each lane's reasoning
MAX_PAYLOAD_BYTES = 1024 * KB  # the whole comparison as stored JSON
MAX_LANES = 8
DEFAULT_RATE_PER_MINUTE = 10
RATE_WINDOW_S = 60.0

ID_BYTES = 12  # 96 bits -> 16 URL-safe characters
DELETE_TOKEN_BYTES = 24  # 192 bits
# Accept a little more than we make, so a later change of ID_BYTES keeps old links valid.
SHARE_ID_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")
LANE_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
MAX_DELETE_TOKEN_CHARS = 256


# --- errors ------------------------------------------------------------------------


class ShareError(UserError):
    """Any problem with creating, loading or deleting a share."""


class ShareInvalid(ShareError):
    """The comparison does not match the schema."""


class ShareTooLarge(ShareError):
    """The comparison is over one of the size limits."""


class ShareNotFound(ShareError):
    """No share has this id (deleted, never existed, or the link was cut)."""


class InvalidShareId(ShareNotFound):
    """The id cannot be a share id at all; refused before any SQL."""


class WrongDeleteToken(ShareError):
    """The delete token does not belong to this share."""


# --- schema --------------------------------------------------------------------------


class Lane(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    reasoning: str = ""
    stats: dict[str, JsonValue] = Field(default_factory=dict)
    error: str | None = None
    model: str | None = None
    engine: str | None = None
    display_name: str | None = None
    execution: dict[str, JsonValue] | None = None


class Meta(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    app_version: str | None = None
    profile: str | None = None
    created: str | None = Field(None, description="ISO 8601 time the comparison was made")
    models: dict[str, str] = Field(default_factory=dict, description="lane name -> model id")


class Comparison(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt: str
    settings: dict[str, JsonValue] = Field(default_factory=dict)
    lanes: dict[str, Lane]
    meta: Meta | None = None
    checks: dict[str, JsonValue] | None = None

    @field_validator("lanes", mode="before")
    @classmethod
    def _lane_names(cls, value: Any) -> Any:
        if isinstance(value, dict):
            if not value:
                raise ValueError("at least one lane is needed")
            for name in value:
                if not isinstance(name, str) or not LANE_NAME_RE.fullmatch(name):
                    raise ValueError(
                        f"lane name {_short(name)} must be a simple identifier "
                        "(ASCII letters, digits and _, not starting with a digit, at most 64 characters)"
                    )
        return value


_FIELDS_BY_PLACE: dict[str, list[str]] = {
    "comparison": list(Comparison.model_fields),
    "lane": list(Lane.model_fields),
    "meta": list(Meta.model_fields),
}


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _kb(n: int) -> str:
    return f"{n:,} bytes ({n / KB:,.1f} KB)"


def _allowed(loc: Sequence[str]) -> list[str] | None:
    """The fields a place in a comparison takes, for an 'unknown field' message."""
    if len(loc) == 1:
        return _FIELDS_BY_PLACE["comparison"]
    if loc[0] == "lanes" and len(loc) == 3:
        return _FIELDS_BY_PLACE["lane"]
    return _FIELDS_BY_PLACE.get(loc[0])


# What /compare streams per lane beyond the result: `status` (a lane still loading says what it waits for) and
# `prompt` (the exact text a Base lane was sent, which the comparison's prompt and settings reproduce).
PASSING_LANE_KEYS = ("status", "prompt")


def _without_passing(lane: Any) -> Any:
    return {k: v for k, v in lane.items() if k not in PASSING_LANE_KEYS} if isinstance(lane, dict) else lane


def validate_comparison(data: Any) -> dict[str, Any]:
    """Check `data` against the schema; return it normalised (defaults filled in).

    Size limits are not applied here (an export of a big comparison is fine);
    `encode_for_share` applies them.
    """
    if isinstance(data, Comparison):
        return data.model_dump(mode="json")
    if not isinstance(data, dict):
        raise ShareInvalid(f"a comparison must be a JSON object (dict), got {type(data).__name__}")
    lanes = data.get("lanes")
    if isinstance(lanes, dict) and len(lanes) > MAX_LANES:
        raise ShareTooLarge(f"too many lanes to share: {len(lanes)} (limit {MAX_LANES})")
    if isinstance(data.get("settings"), dict):  # a flood is refused before pydantic walks it
        try:
            check_settings_shape(data["settings"], MAX_PROMPT_BYTES, MAX_LANES)
        except UserError as exc:
            raise ShareTooLarge(f"cannot share: {exc}") from None
    if isinstance(lanes, dict):
        data = {**data, "lanes": {k: _without_passing(v) for k, v in lanes.items()}}  # not part of the result
    try:
        return Comparison.model_validate(data).model_dump(mode="json")
    except ValidationError as exc:
        problems = describe_validation_error(exc, unknown="unknown field", allowed=_allowed)
        raise ShareInvalid(f"invalid comparison: {problems}") from None


NO_NAN = "it contains NaN or infinity, which JSON cannot hold"


def compact_json(value: Any, refusal: Exception) -> str:
    """`value` as compact JSON to store (key order kept); `refusal` is raised for NaN or infinity."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:
        raise refusal from None


def encode_for_share(data: Any) -> str:
    """Validate, apply the size limits, and return the compact JSON to store."""
    comparison = validate_comparison(data)
    prompt_size = len(comparison["prompt"].encode("utf-8"))
    if prompt_size > MAX_PROMPT_BYTES:
        raise ShareTooLarge(
            f"the prompt is too large to share: {_kb(prompt_size)}; the limit is {_kb(MAX_PROMPT_BYTES)}"
        )
    for name, lane in comparison["lanes"].items():
        for part in ("text", "reasoning"):
            size = len(lane[part].encode("utf-8"))
            if size > MAX_LANE_TEXT_BYTES:
                raise ShareTooLarge(
                    f"lane {name!r} {part} is too large to share: {_kb(size)}; "
                    f"the limit is {_kb(MAX_LANE_TEXT_BYTES)} per lane"
                )
    payload = compact_json(comparison, ShareInvalid("invalid comparison: " + NO_NAN))  # key order kept: lanes as shown
    size = len(payload.encode("utf-8"))
    if size > MAX_PAYLOAD_BYTES:
        raise ShareTooLarge(
            f"the comparison is too large to share: {_kb(size)} as JSON; the limit is {_kb(MAX_PAYLOAD_BYTES)}"
        )
    return payload


def check_share_id(share_id: Any) -> str:
    """Return the id if it has the form of a share id, else raise InvalidShareId."""
    if not isinstance(share_id, str) or not SHARE_ID_RE.fullmatch(share_id):
        raise InvalidShareId(
            f"share {_short(share_id)} not found — it is not a valid share id "
            "(16 to 64 letters, digits, '-' or '_'); the link may be incomplete"
        )
    return share_id


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def insert_with_new_id(insert: Callable[[str, str], None], what: str) -> tuple[str, str]:
    """A random id and delete token for a new row: `insert(id, token_hash)`, tried again on an id collision
    (2**-96 per pair, but cheap to handle). Returns (id, token)."""
    token = secrets.token_urlsafe(DELETE_TOKEN_BYTES)
    for _attempt in range(3):
        new_id = secrets.token_urlsafe(ID_BYTES)
        try:
            insert(new_id, hash_token(token))
        except sqlite3.IntegrityError:
            continue
        return new_id, token
    raise ShareError(f"could not find a free {what} id; please try again")


def token_hash_if_right(token: Any, stored_hash: str) -> str | None:
    """The hash of `token` if it is the delete token whose hash is stored, else None."""
    if not isinstance(token, str) or not token or len(token) > MAX_DELETE_TOKEN_CHARS:
        return None
    token_hash = hash_token(token)
    return token_hash if hmac.compare_digest(token_hash, stored_hash) else None


def delete_with_token(
    row: Any, token: Any, delete: Callable[[str], bool], missing: Callable[[], Exception], wrong: Exception
) -> None:
    """Delete a stored item (its `row`, None when there is none) if `token` is its delete token: `missing()` is
    raised when it is gone (before, or meanwhile by another request), `wrong` for any other token. `delete`
    takes the token's hash and says whether a row went."""
    if row is None:
        raise missing()
    token_hash = token_hash_if_right(token, row.delete_token_hash)
    if token_hash is None:
        raise wrong
    if not delete(token_hash):
        raise missing()


# --- rate limit ------------------------------------------------------------------------


# --- service -----------------------------------------------------------------------------


class ShareService:
    """Create, load and delete shared comparisons in a `Store`."""

    def __init__(
        self,
        store: Store,
        *,
        base_url: str | None,
        rate_per_minute: int = DEFAULT_RATE_PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.base_url = base_url.rstrip("/") if base_url else None
        self.limiter = RateLimiter(rate_per_minute, "shares", RATE_WINDOW_S, clock)

    def url_for(self, share_id: str) -> str:
        return f"{self.base_url}/?share={share_id}" if self.base_url else f"?share={share_id}"

    def create(self, comparison: dict[str, Any], client_id: str) -> dict[str, str]:
        """Store the comparison; return {"id", "url", "delete_token"} (the token only this once)."""
        with self.limiter.taken(client_id or "anonymous"):
            payload = encode_for_share(comparison)
            size = len(payload.encode("utf-8"))
            share_id, token = insert_with_new_id(
                lambda new_id, token_hash: self.store.insert_share(
                    ShareRow(new_id, time.time(), token_hash, payload, size)
                ),
                "share",
            )
        return {"id": share_id, "url": self.url_for(share_id), "delete_token": token}

    def load(self, share_id: str) -> dict[str, Any]:
        """The stored comparison (normalised form), or ShareNotFound."""
        check_share_id(share_id)
        row = self.store.get_share(share_id)
        if row is None:
            raise _not_found(share_id)
        return json.loads(row.payload)

    def delete(self, share_id: str, token: str) -> None:
        """Delete the share if `token` is its delete token."""
        check_share_id(share_id)
        wrong = WrongDeleteToken(
            f"wrong delete token for share {share_id!r}: only the token shown when the share was made can delete it"
        )
        delete_with_token(
            self.store.get_share(share_id),
            token,
            lambda token_hash: self.store.delete_share(share_id, token_hash),
            lambda: _not_found(share_id),
            wrong,
        )


def _not_found(share_id: str) -> ShareNotFound:
    return ShareNotFound(f"share {share_id!r} not found — it may have been deleted, or the link is incomplete")
