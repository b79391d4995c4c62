"""Share links: the address a visitor reached the app through, and a share id from what they paste."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

from gradio import route_utils


def public_base_url(request: Any) -> str | None:
    """The app's public root URL as the visitor reached it (proxy headers on Spaces), or None.

    `request` is a `gr.Request` (or None, for a call without one).
    """
    raw = getattr(request, "request", None) if request is not None else None
    if raw is None:
        return None
    try:
        try:
            route = route_utils.get_api_call_path(raw)
        except ValueError:  # not a queue/call route: cut at Gradio's API prefix
            path = raw.url.path
            cut = path.find(route_utils.API_PREFIX + "/")
            route = path[cut:] if cut >= 0 else ""
        root = route_utils.get_root_url(raw, route, raw.scope.get("root_path") or None)
    except Exception:  # an odd request: a relative link still works
        return None
    return root.rstrip("/") or None


def share_url(request: Any, share_id: str, param: str = "share") -> str:
    """The link to a share (or, with `param="bench"`, to a saved bench run)."""
    base = public_base_url(request)
    return f"{base}/?{param}={share_id}" if base else f"?{param}={share_id}"


def extract_share_id(text: str | None, param: str = "share") -> str:
    """A share id from an id or a full share link ('…/?share=ID'; `param` names another link's parameter)."""
    text = (text or "").strip()
    if f"{param}=" in text:
        found = parse_qs(urlparse(text).query).get(param) or parse_qs(text.lstrip("?")).get(param)
        if found:
            return found[0].strip()
    return text
