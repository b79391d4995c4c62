"""Which sites may show SeedUI inside a frame: the CSP `frame-ancestors` header on every response.

A page that frames SeedUI can navigate the app's own (sandboxed, opaque-origin)
code-runner frame to a page of its own and receive the visitor's code; so only
the configured ancestors may frame it: the app itself and, by default, the
Hugging Face pages that embed a Space (`frame_ancestors` in the config).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.datastructures import MutableHeaders


def frame_ancestors_policy(sources: Sequence[str]) -> str:
    return "frame-ancestors " + " ".join(sources)


class FrameAncestorsMiddleware:
    """Pure ASGI middleware (streamed responses pass through untouched) that adds the header.

    An added CSP header combines with any other one a route sends (the sandbox
    routes have their own): browsers enforce every policy they get.
    """

    def __init__(self, app: Any, sources: Sequence[str]) -> None:
        self.app = app
        self.policy = frame_ancestors_policy(sources)
        # Old browsers without CSP level 2 understand only X-Frame-Options, which has no allow-list.
        self.legacy = {("'self'",): "SAMEORIGIN", ("'none'",): "DENY"}.get(tuple(sources))

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_policy(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.append("Content-Security-Policy", self.policy)
                if self.legacy:
                    headers.append("X-Frame-Options", self.legacy)
            await send(message)

        await self.app(scope, receive, send_with_policy)
