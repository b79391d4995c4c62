"""The bench's browser-like queue client reads Gradio's SSE through httpx's own decoding,
whatever compression the server picks (a browser accepts gzip, Brotli and zstd)."""

from __future__ import annotations

import gzip
import json

import brotli
import httpx
import pytest
import zstandard
from starlette.applications import Starlette
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from bench.sse import run_event
from tests.conftest import run_async

MESSAGES = [
    {"msg": "estimation", "rank": 0},
    {"msg": "process_starts"},
    {"msg": "process_generating", "output": {"data": [{"text": "he"}]}},
    {"msg": "process_generating", "output": {"data": [[["append", ["text"], "llo"]]]}},
    {"msg": "process_completed", "success": True, "output": {"data": [{"text": "hello"}]}},
    {"msg": "close_stream"},
]
BODY = "".join(f"data: {json.dumps(m)}\n\n" for m in MESSAGES).encode()
COMPRESS = {"gzip": gzip.compress, "br": brotli.compress, "zstd": zstandard.ZstdCompressor().compress, None: bytes}


def server(encoding: str | None) -> httpx.ASGITransport:
    """Gradio's two queue routes, the stream sent compressed as a server would (in two pieces)."""

    async def join(request):
        return Response(b'{"event_id":"e1"}', media_type="application/json")

    async def data(request):
        body = COMPRESS[encoding](BODY)
        headers = {"content-encoding": encoding} if encoding else {}

        async def pieces():
            yield body[: len(body) // 2]
            yield body[len(body) // 2 :]

        return StreamingResponse(pieces(), media_type="text/event-stream", headers=headers)

    routes = [Route("/gradio_api/queue/join", join, methods=["POST"]), Route("/gradio_api/queue/data", data)]
    app = Starlette(routes=routes)
    return httpx.ASGITransport(app=app)


@pytest.mark.parametrize("encoding", [None, "gzip", "br", "zstd"])
def test_every_encoding_a_browser_accepts_is_read(encoding):
    seen: list[list] = []

    async def main():
        async with httpx.AsyncClient(transport=server(encoding), base_url="http://app/") as http:
            return await run_event(http, 0, ["hi"], on_outputs=lambda t, values: seen.append(values))

    run = run_async(main())
    assert run.error is None and run.outputs == [{"text": "hello"}]
    assert [v[0]["text"] for v in seen] == ["he", "hello", "hello"]  # the diff applied, then the final values
    assert run.messages["process_generating"] == 2 and run.content_encoding == encoding
    assert run.wire_bytes == len(COMPRESS[encoding](BODY)) + len(b'{"event_id":"e1"}')  # as downloaded


def test_the_client_asks_only_for_encodings_it_can_decode():
    from bench.sse import BROWSER_HEADERS

    assert set(BROWSER_HEADERS["Accept-Encoding"].split(", ")) >= {"gzip", "br", "zstd"}
