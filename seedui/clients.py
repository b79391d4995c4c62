"""Who is asking: the client address that per-client limits count against.

Behind a reverse proxy the direct peer is the proxy, and the client is in
X-Forwarded-For. Proxies *append* the address they saw (nginx's
`$proxy_add_x_forwarded_for`, Hugging Face's ingress), so only the right end
of the header is written by someone we trust; the left end is whatever the
client sent. As uvicorn's `ProxyHeadersMiddleware` does, walk the header from
the right, skipping trusted proxies, and take the first address that is not
one. A peer that is not a trusted proxy is the client itself: its header is
ignored.

Trusted proxies are configured (`trusted_proxies`) as networks, or as a count
of proxy hops in front of the app when their addresses are not known.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

LOOPBACK = ("127.0.0.0/8", "::1/128")
PRIVATE = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
MAX_FORWARDED_ENTRIES = 32  # a longer header is not from a proxy chain we serve behind


@dataclass(frozen=True)
class ProxyTrust:
    """Which peers may tell us the client's address: networks, or a number of hops."""

    networks: tuple[IPNetwork, ...] = ()
    hops: int | None = None

    @classmethod
    def from_config(cls, value: Any, on_space: bool = False) -> ProxyTrust:
        """`"auto"`: loopback (a proxy on this host), plus private networks on a Hugging Face Space,
        whose container is reached only through the platform's ingress. An int: that many hops.
        A list: those networks or addresses."""
        if value == "auto":
            return cls(_networks((*LOOPBACK, *PRIVATE) if on_space else LOOPBACK))
        if isinstance(value, int) and not isinstance(value, bool):
            return cls(hops=value)
        return cls(_networks(value))

    def trusts(self, host: str) -> bool:
        address = _address(host)
        return address is not None and any(address in net for net in self.networks)

    def client(self, peer: str, forwarded_for: str) -> str:
        entries = [e.strip() for e in forwarded_for.split(",")][-MAX_FORWARDED_ENTRIES:] if forwarded_for else []
        entries = [e for e in entries if e]
        if self.hops is not None:
            # Each of our `hops` proxies appended the address it saw: the client is that many from the right.
            if self.hops == 0 or not entries:
                return peer
            return entries[-self.hops] if len(entries) >= self.hops else entries[0]
        if not self.trusts(peer):
            return peer
        for entry in reversed(entries):
            if not self.trusts(entry):
                return entry if _address(entry) is not None else f"unparsable:{entry[:64]}"
        # Every hop is a trusted proxy: the request started inside our own network.
        return entries[0] if entries else peer


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _networks(values: Sequence[str]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(v, strict=False) for v in values)


def client_id(request: Any, trust: ProxyTrust) -> str:
    """The client address of a Gradio/Starlette request, for per-client limits ("local" without one)."""
    if request is None:
        return "local"
    peer = request.client.host if getattr(request, "client", None) else "unknown"
    headers = getattr(request, "headers", None)
    forwarded = headers.get("x-forwarded-for", "") if headers else ""
    return trust.client(peer, forwarded)
