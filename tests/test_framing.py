"""The frame-ancestors header on every response, as configured (the browser test shows the refusal)."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Route

from seedui.framing import FrameAncestorsMiddleware
from tests.conftest import run_async


async def page(request):
    return PlainTextResponse("page", headers={"Content-Security-Policy": "default-src 'none'"})


async def stream(request):
    async def body():
        yield b"a"
        yield b"b"

    return StreamingResponse(body())


def get(sources: tuple[str, ...], path: str) -> httpx.Response:
    app = FrameAncestorsMiddleware(Starlette(routes=[Route("/", page), Route("/stream", stream)]), sources)

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            return await client.get(path)

    return run_async(call())


@pytest.mark.parametrize("path", ["/", "/stream"])
def test_every_response_names_the_allowed_ancestors(path):
    resp = get(("'self'", "https://huggingface.co", "https://*.hf.space"), path)
    policies = resp.headers.get_list("content-security-policy")
    assert "frame-ancestors 'self' https://huggingface.co https://*.hf.space" in policies
    assert "x-frame-options" not in resp.headers  # it cannot express an allow-list
    if path == "/":
        assert "default-src 'none'" in policies  # a route's own policy is kept beside it


@pytest.mark.parametrize(("sources", "legacy"), [(("'self'",), "SAMEORIGIN"), (("'none'",), "DENY")])
def test_old_browsers_get_x_frame_options_when_it_can_say_the_same(sources, legacy):
    assert get(sources, "/").headers["x-frame-options"] == legacy
