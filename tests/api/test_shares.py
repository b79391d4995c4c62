"""/share, /load_share and /delete_share through gradio_client: on the real app, and on a small app
with a low rate limit (so the limit is tested without touching the session app's budget)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from seedui.api.shares import register_share_api
from seedui.clients import ProxyTrust, client_id
from seedui.shares import MAX_PROMPT_BYTES, ShareService, validate_comparison
from seedui.store import Store
from tests.conftest import free_port

pytestmark = pytest.mark.e2e


def comparison(**extra: Any) -> dict[str, Any]:
    return {
        "prompt": "Write add(a, b).",
        "settings": {"temperature": 0.2, "instruct": {"top_p": 0.9}},
        "lanes": {
            "instruct": {"text": "```python\ndef add(a, b):\n    return a + b\n```", "reasoning": "", "stats": {}},
            "reasoning": {
                "text": "a + b",
                "reasoning": "think",
                "stats": {"ttft_s": 0.1, "finish_reason": "stop"},
                "error": None,
                "execution": {"status": "passed"},
            },
        },
        **extra,
    }


# --- the real app -------------------------------------------------------------------------------------


def test_round_trip_load_and_delete(client, app_url):
    sent = comparison(checks={"instruct": {"status": "failed", "detail": "AssertionError"}})
    made = client.predict(sent, api_name="/share")
    assert set(made) == {"id", "url", "delete_token"}
    assert made["url"] == f"{app_url}?share={made['id']}"
    loaded = client.predict(made["id"], api_name="/load_share")
    assert loaded == validate_comparison(sent)  # normalised: defaults filled in, nothing lost
    assert loaded["lanes"]["instruct"]["error"] is None and loaded["meta"] is None
    # A full link works as the id too.
    assert client.predict(made["url"], api_name="/load_share") == loaded

    with pytest.raises(AppError, match="wrong delete token"):
        client.predict(made["id"], "not-the-token", api_name="/delete_share")
    assert client.predict(made["id"], made["delete_token"], api_name="/delete_share") == {"deleted": made["id"]}
    with pytest.raises(AppError, match="not found"):
        client.predict(made["id"], api_name="/load_share")
    with pytest.raises(AppError, match="not found"):
        client.predict(made["id"], made["delete_token"], api_name="/delete_share")


@pytest.mark.parametrize("share_id", ["NoSuchShareId0000", "short", "../../etc/passwd", ""])
def test_unknown_or_malformed_id_is_a_clear_not_found(client, share_id):
    with pytest.raises(AppError, match="not found"):
        client.predict(share_id, api_name="/load_share")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (comparison(colour="red"), "colour: unknown field"),
        ({"prompt": "p", "settings": {}}, "lanes: required field is missing"),
        (comparison(lanes={"instruct": {"text": "x", "tokens": 3}}), "lanes.instruct.tokens: unknown field"),
        (comparison(lanes={}), "at least one lane"),
        (comparison(prompt="x" * (MAX_PROMPT_BYTES + 1)), "too large to share"),
    ],
)
def test_invalid_or_oversized_comparisons_are_refused_clearly(client, bad, message):
    with pytest.raises(AppError, match=message):
        client.predict(bad, api_name="/share")


def test_lane_results_from_compare_can_be_shared_as_they_are(client):
    lanes = client.predict("Say hi.", {"max_tokens": 4}, ["instruct"], api_name="/compare")
    made = client.predict({"prompt": "Say hi.", "settings": {"max_tokens": 4}, "lanes": lanes}, api_name="/share")
    loaded = client.predict(made["id"], api_name="/load_share")
    assert loaded["lanes"]["instruct"]["text"] == lanes["instruct"]["text"]
    assert loaded["lanes"]["instruct"]["stats"] == lanes["instruct"]["stats"]
    client.predict(made["id"], made["delete_token"], api_name="/delete_share")


# --- a small app with a low rate limit ------------------------------------------------------------------


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    store = Store(Path(tmp_path_factory.mktemp("shares")) / "shares.sqlite3")
    shares = ShareService(store, base_url=None, rate_per_minute=2)
    trust = ProxyTrust.from_config("auto")
    service = SimpleNamespace(limits=SimpleNamespace(concurrency=2), client=lambda r: client_id(r, trust))
    with gr.Blocks(analytics_enabled=False) as blocks:
        register_share_api(service, shares)  # type: ignore[arg-type]
    blocks.queue()
    _, url, _ = blocks.launch(prevent_thread_lock=True, server_port=free_port(), quiet=True)
    try:
        yield SimpleNamespace(url=url, store=store)
    finally:
        blocks.close()
        store.close()


def test_rate_limit_per_client(limited):
    proxied = Client(limited.url, verbose=False, headers={"x-forwarded-for": "203.0.113.7"})
    first = proxied.predict(comparison(), api_name="/share")
    proxied.predict(comparison(), api_name="/share")
    with pytest.raises(AppError, match=r"too many shares from this client: 2 per minute; try again in \d+ s"):
        proxied.predict(comparison(), api_name="/share")
    # Another client is not affected; refused shares were not stored; reads are not limited.
    other = Client(limited.url, verbose=False, headers={"x-forwarded-for": "198.51.100.9"})
    other.predict(comparison(), api_name="/share")
    assert limited.store.count_shares() == 3
    for _ in range(3):
        proxied.predict(first["id"], api_name="/load_share")


def test_share_url_uses_the_public_address_behind_a_proxy(limited):
    spaces = Client(
        limited.url,
        verbose=False,
        headers={
            "x-forwarded-for": "192.0.2.1",
            "x-forwarded-host": "user-seedui.hf.space",
            "x-forwarded-proto": "https",
        },
    )
    made = spaces.predict(comparison(), api_name="/share")
    assert made["url"] == f"https://user-seedui.hf.space/?share={made['id']}"
