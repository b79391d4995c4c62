"""Client identity behind proxies: per-client limits cannot be dodged with a forged X-Forwarded-For.

The attack: a proxy that appends (nginx's `$proxy_add_x_forwarded_for`, most
others) forwards `X-Forwarded-For: <anything the client wrote>, <real address>`.
Taking the leftmost entry let one client pose as a new one on every request.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from seedui.clients import ProxyTrust, client_id
from tests.conftest import api_call, serving, tiny_config

LOCAL = ProxyTrust.from_config("auto")


def request(peer: str, forwarded: str | None = None) -> SimpleNamespace:
    headers = {"x-forwarded-for": forwarded} if forwarded is not None else {}
    return SimpleNamespace(client=SimpleNamespace(host=peer), headers=headers)


@pytest.mark.parametrize(
    ("trust", "peer", "forwarded", "expected"),
    [
        # The attack: whatever the client wrote on the left, the address our proxy appended counts.
        (LOCAL, "127.0.0.1", "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        (LOCAL, "127.0.0.1", "1.1.1.1, 2.2.2.2, 203.0.113.9", "203.0.113.9"),
        (LOCAL, "127.0.0.1", "203.0.113.9", "203.0.113.9"),
        # A peer that is not a trusted proxy is the client: its header is ignored.
        (LOCAL, "198.51.100.4", "203.0.113.9", "198.51.100.4"),
        (LOCAL, "10.1.2.3", "203.0.113.9", "10.1.2.3"),  # private networks are trusted only on a Space
        # A chain of trusted proxies is skipped from the right.
        (ProxyTrust.from_config(["10.0.0.0/8"]), "10.0.0.2", "6.6.6.6, 203.0.113.9, 10.0.0.7", "203.0.113.9"),
        (ProxyTrust.from_config("auto", on_space=True), "10.0.0.2", "6.6.6.6, 203.0.113.9, 172.16.0.1", "203.0.113.9"),
        # Hop counting: the client is that many entries from the right.
        (ProxyTrust.from_config(1), "192.0.2.50", "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        (ProxyTrust.from_config(2), "192.0.2.50", "6.6.6.6, 203.0.113.9, 192.0.2.60", "203.0.113.9"),
        (ProxyTrust.from_config(0), "192.0.2.50", "203.0.113.9", "192.0.2.50"),
        # No header, an empty one, ports and IPv6.
        (LOCAL, "127.0.0.1", None, "127.0.0.1"),
        (LOCAL, "127.0.0.1", " , ", "127.0.0.1"),
        (LOCAL, "::1", "6.6.6.6, [2001:db8::1]:443", "[2001:db8::1]:443"),
        (LOCAL, "127.0.0.1", "6.6.6.6, not-an-address", "unparsable:not-an-address"),
    ],
)
def test_the_client_is_the_rightmost_address_no_trusted_proxy_wrote(trust, peer, forwarded, expected):
    assert client_id(request(peer, forwarded), trust) == expected


def test_no_request_is_the_local_caller():
    assert client_id(None, LOCAL) == "local"


# --- the attack against the running app -------------------------------------------------------------


@pytest.fixture(scope="module")
def strict_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The tiny app with strict per-client limits (the session app raises them for the tests). Ten a minute, not
    the shipped 30: under load, 34 generations could outlast the minute and the window would refill."""
    from seedui.webapp import build_app

    config = tiny_config(
        tmp_path_factory.mktemp("strict"), **{"limits.requests_per_minute": 10, "limits.shares_per_minute": 10}
    )
    with serving(build_app(config)) as app:
        yield app.blocks.local_url


# The proxy: a loopback address other than 127.0.0.1, which uvicorn's own proxy-header handling does not
# trust (it trusts 127.0.0.1 alone), so the header reaches SeedUI as a proxy on another host sends it
# (a Docker bridge, a Space's ingress).
PROXY = "127.0.0.2"


def spoofed() -> dict[str, str]:
    """What an appending proxy forwards for a client that writes a new address on every request."""
    return {"x-forwarded-for": f"{uuid.uuid4().int % 256}.{uuid.uuid4().int % 256}.0.1, 203.0.113.9"}


@pytest.mark.e2e
def test_forged_forwarded_for_cannot_dodge_the_share_limit(strict_app):
    share = {"prompt": "p", "lanes": {"instruct": {"text": "t"}}}
    outcomes = [api_call(strict_app, "share", json.dumps([share]), spoofed(), local_address=PROXY) for _ in range(14)]
    assert [kind for kind, _ in outcomes].count("complete") == 10
    assert "too many shares from this client: 10 per minute" in outcomes[-1][1]


@pytest.mark.e2e
def test_forged_forwarded_for_cannot_dodge_the_generation_limit(strict_app):
    body = json.dumps(["base", "def add(a, b):", {"max_tokens": 1, "temperature": 0}])
    outcomes = [api_call(strict_app, "generate", body, spoofed(), local_address=PROXY) for _ in range(14)]
    assert [kind for kind, _ in outcomes].count("complete") == 10
    assert "too many requests from this client: 10 per minute" in outcomes[-1][1]
