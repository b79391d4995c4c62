from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Any

import pytest

from seedui.errors import UserError
from seedui.shares import (
    MAX_LANE_TEXT_BYTES,
    MAX_LANES,
    MAX_PAYLOAD_BYTES,
    MAX_PROMPT_BYTES,
    SHARE_ID_RE,
    InvalidShareId,
    RateLimited,
    ShareInvalid,
    ShareNotFound,
    ShareService,
    ShareTooLarge,
    WrongDeleteToken,
    encode_for_share,
    validate_comparison,
)
from seedui.store import Store


def lane(text: str = "hello", **extra: Any) -> dict[str, Any]:
    return {"text": text, "reasoning": "", "stats": {"tokens": 3, "seconds": 0.5}, "error": None, **extra}


def comparison(**extra: Any) -> dict[str, Any]:
    return {
        "prompt": "Write fizzbuzz.\n```python\n# start\n```",
        "settings": {"temperature": 0.6, "max_tokens": 256},
        "lanes": {"base": lane("```python\nprint(1)\n```"), "instruct": lane("ok", model="m/x", engine="vllm")},
        **extra,
    }


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "shares.sqlite3") as s:
        yield s


@pytest.fixture
def service(store: Store) -> ShareService:
    return ShareService(store, base_url="https://example.hf.space/", rate_per_minute=100)


# --- round trip ----------------------------------------------------------------------------


def test_create_then_load_round_trips(service: ShareService) -> None:
    data = comparison(meta={"app_version": "0.1.0", "profile": "tiny", "models": {"base": "smol"}}, checks={"a": 1})
    made = service.create(data, client_id="1.2.3.4")
    assert set(made) == {"id", "url", "delete_token"}
    assert SHARE_ID_RE.fullmatch(made["id"]) and len(made["id"]) == 16
    assert made["url"] == f"https://example.hf.space/?share={made['id']}"
    assert service.load(made["id"]) == validate_comparison(data)
    assert service.load(made["id"])["lanes"]["base"]["text"] == "```python\nprint(1)\n```"


def test_relative_url_without_base_url(store: Store) -> None:
    made = ShareService(store, base_url=None, rate_per_minute=5).create(comparison(), "c")
    assert made["url"] == f"?share={made['id']}"


def test_only_the_token_hash_is_stored(service: ShareService, store: Store) -> None:
    made = service.create(comparison(), "c")
    row = store.get_share(made["id"])
    assert row is not None
    assert row.delete_token_hash == hashlib.sha256(made["delete_token"].encode()).hexdigest()
    assert made["delete_token"] not in repr(row)
    assert row.size == len(row.payload.encode()) and json.loads(row.payload) == validate_comparison(comparison())
    assert len(made["delete_token"]) >= 32


def test_ids_and_tokens_are_unique(service: ShareService) -> None:
    made = [service.create(comparison(), f"client{i}") for i in range(50)]
    assert len({m["id"] for m in made}) == 50
    assert len({m["delete_token"] for m in made}) == 50


def test_concurrent_creates_from_threads(store: Store) -> None:
    service = ShareService(store, base_url=None, rate_per_minute=1000)
    ids: list[str] = []

    def work() -> None:
        for _ in range(20):
            ids.append(service.create(comparison(), "same-client")["id"])

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 120 == store.count_shares()


# --- schema --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "names"),
    [
        ({**comparison(), "secret": 1}, ["secret: unknown field", "allowed: prompt"]),
        (comparison(lanes={"base": lane(colour="red")}), ["lanes.base.colour: unknown field", "allowed: text"]),
        (comparison(meta={"app_version": "1", "owner": "x"}), ["meta.owner: unknown field", "allowed: app_version"]),
    ],
    ids=["top", "lane", "meta"],
)
def test_unknown_fields_are_refused_by_name(data: dict, names: list[str]) -> None:
    with pytest.raises(ShareInvalid) as info:
        validate_comparison(data)
    for name in names:
        assert name in str(info.value)
    assert "unknown field" in str(info.value)


def test_missing_optional_parts_get_defaults() -> None:
    got = validate_comparison({"prompt": "p", "lanes": {"base": {"text": "t"}}})
    assert got == {
        "prompt": "p",
        "settings": {},
        "lanes": {
            "base": {
                "text": "t",
                "reasoning": "",
                "stats": {},
                "error": None,
                "model": None,
                "engine": None,
                "display_name": None,
                "execution": None,
            }
        },
        "meta": None,
        "checks": None,
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"lanes": {"base": lane()}}, "prompt: required field is missing"),
        ({"prompt": "p"}, "lanes: required field is missing"),
        ({"prompt": "p", "lanes": {}}, "at least one lane"),
        ({"prompt": "p", "lanes": {"base": {"reasoning": "r"}}}, "lanes.base.text: required field is missing"),
        ({"prompt": 5, "lanes": {"base": lane()}}, "prompt: Input should be a valid string"),
        ({"prompt": "p", "lanes": {"bad-name": lane()}}, "'bad-name' must be a simple identifier"),
        ({"prompt": "p", "lanes": {"1st": lane()}}, "simple identifier"),
        ({"prompt": "p", "lanes": {"../x": lane()}}, "simple identifier"),
        ({"prompt": "p", "lanes": {"a" * 65: lane()}}, "simple identifier"),
        ({"prompt": "p", "lanes": {"base": lane(stats={"x": {1, 2}})}}, "lanes.base.stats.x"),
        ({"prompt": "p", "lanes": {"base": lane(error=3)}}, "lanes.base.error"),
        (["not", "a", "dict"], "must be a JSON object (dict), got list"),
    ],
)
def test_schema_errors_say_what_is_wrong(data: Any, message: str) -> None:
    with pytest.raises(ShareInvalid) as info:
        validate_comparison(data)
    assert message in str(info.value)
    assert isinstance(info.value, UserError)


def test_nan_cannot_be_shared() -> None:
    with pytest.raises(ShareInvalid, match="NaN or infinity"):
        encode_for_share(comparison(lanes={"base": lane(stats={"tok_s": float("nan")})}))


# --- size limits ---------------------------------------------------------------------------


def _big_lanes(n: int, size: int) -> dict[str, Any]:
    return {f"lane{i}": lane("x" * size) for i in range(n)}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (comparison(prompt="p" * (MAX_PROMPT_BYTES + 1)), "prompt is too large to share: 65,537 bytes"),
        # bytes, not characters: 22,000 three-byte characters are 66,000 bytes
        (comparison(prompt="✓" * 22_000), "prompt is too large to share: 66,000 bytes"),
        (comparison(lanes={"base": lane("t" * (MAX_LANE_TEXT_BYTES + 1))}), "lane 'base' text is too large"),
        (comparison(lanes={"base": lane(reasoning="r" * (MAX_LANE_TEXT_BYTES + 1))}), "lane 'base' reasoning"),
        (comparison(lanes=_big_lanes(MAX_LANES + 1, 1)), f"too many lanes to share: 9 (limit {MAX_LANES})"),
        (comparison(lanes=_big_lanes(5, MAX_LANE_TEXT_BYTES - 10)), "comparison is too large to share"),
    ],
    ids=["prompt", "prompt-bytes", "text", "reasoning", "lanes", "payload"],
)
def test_size_limits_name_the_limit_and_sizes(service: ShareService, data: dict, message: str) -> None:
    with pytest.raises(ShareTooLarge) as info:
        service.create(data, "c")
    assert message in str(info.value)
    if "too many lanes" not in message:
        assert "the limit is" in str(info.value) and "KB" in str(info.value)


def test_sizes_at_the_limits_are_accepted(service: ShareService) -> None:
    data = comparison(
        prompt="p" * MAX_PROMPT_BYTES,
        lanes={"base": lane("t" * MAX_LANE_TEXT_BYTES, reasoning="r" * MAX_LANE_TEXT_BYTES)}
        | _big_lanes(MAX_LANES - 1, 10),
    )
    assert len(encode_for_share(data).encode()) < MAX_PAYLOAD_BYTES
    service.load(service.create(data, "c")["id"])


# --- rate limit ------------------------------------------------------------------------------


def test_rate_limit_per_client_with_sliding_window(store: Store) -> None:
    clock = Clock()
    service = ShareService(store, base_url=None, rate_per_minute=3, clock=clock)
    for _ in range(3):
        service.create(comparison(), "alice")
        clock.now += 10
    with pytest.raises(RateLimited) as info:
        service.create(comparison(), "alice")
    assert str(info.value) == "too many shares from this client: 3 per minute; try again in 30 s"
    assert info.value.retry_after_s == 30
    service.create(comparison(), "bob")  # another client is not affected
    clock.now += 30  # the first share leaves the window
    service.create(comparison(), "alice")
    with pytest.raises(RateLimited, match="try again in 10 s"):
        service.create(comparison(), "alice")


def test_failed_creates_do_not_use_up_the_limit(store: Store) -> None:
    service = ShareService(store, base_url=None, rate_per_minute=2, clock=Clock())
    for _ in range(5):
        with pytest.raises(ShareInvalid):
            service.create({"prompt": "p"}, "alice")
    service.create(comparison(), "alice")
    service.create(comparison(), "alice")
    with pytest.raises(RateLimited):
        service.create(comparison(), "alice")


def test_rate_limit_must_be_positive(store: Store) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ShareService(store, base_url=None, rate_per_minute=0)


# --- delete --------------------------------------------------------------------------------


def test_delete_with_the_right_token(service: ShareService) -> None:
    made = service.create(comparison(), "c")
    service.delete(made["id"], made["delete_token"])
    with pytest.raises(ShareNotFound):
        service.load(made["id"])
    with pytest.raises(ShareNotFound):
        service.delete(made["id"], made["delete_token"])


@pytest.mark.parametrize("token", ["wrong", "", None, 42, "x" * 100_000])
def test_delete_with_a_wrong_token_keeps_the_share(service: ShareService, token: Any) -> None:
    made = service.create(comparison(), "c")
    other = service.create(comparison(), "c")
    for bad in (token, other["delete_token"]):
        with pytest.raises(WrongDeleteToken, match=f"wrong delete token for share '{made['id']}'"):
            service.delete(made["id"], bad)
    assert service.load(made["id"]) == validate_comparison(comparison())


# --- not found and hostile ids -----------------------------------------------------------------


def test_not_found_message(service: ShareService) -> None:
    with pytest.raises(ShareNotFound) as info:
        service.load("A" * 16)
    assert str(info.value) == (f"share '{'A' * 16}' not found — it may have been deleted, or the link is incomplete")
    with pytest.raises(ShareNotFound, match="not found"):
        service.delete("A" * 16, "token")


class NoSqlStore:
    """Fails the test if the service touches the database."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the store was used ({name}) for an invalid id")


@pytest.mark.parametrize(
    "share_id",
    [
        "../../x",
        "' OR 1=1 --",
        "a" * 10_240,
        "",
        "abc",
        "A" * 15,  # a cut link
        "A" * 15 + "/",
        "AAAAAAAAAAAAAAAA\x00",
        "ÄAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAA%",
        None,
        12345678901234567890,
    ],
    ids=lambda value: repr(value)[:24],
)
def test_hostile_ids_are_refused_before_sql(share_id: Any) -> None:
    service = ShareService(NoSqlStore(), base_url=None, rate_per_minute=1)  # type: ignore[arg-type]
    for call in (lambda: service.load(share_id), lambda: service.delete(share_id, "t")):
        with pytest.raises(InvalidShareId) as info:
            call()
        message = str(info.value)
        assert "not a valid share id" in message and "link may be incomplete" in message
        assert len(message) < 200  # a 10 KB id is not echoed back
        assert isinstance(info.value, ShareNotFound) and isinstance(info.value, UserError)


def test_hostile_ids_leave_the_database_intact(service: ShareService, store: Store) -> None:
    made = service.create(comparison(), "c")
    for share_id in ("' OR 1=1 --", "x'; DROP TABLE shares; --", "../../x"):
        with pytest.raises(ShareNotFound):
            service.load(share_id)
        with pytest.raises(ShareNotFound):
            service.delete(share_id, "' OR 1=1 --")
    assert store.count_shares() == 1
    assert service.load(made["id"]) == validate_comparison(comparison())
    assert store.integrity_check() == "ok"
