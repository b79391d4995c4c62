"""A browser-like client of Gradio's queue: POST /queue/join, then read /queue/data as SSE.

This is what the page's JavaScript client does (protocol sse_v3): the first
`process_generating` message of a run carries full output values, later ones
carry JSON diffs, and `process_completed` carries the final values. The
stream is read with `httpx-sse` over httpx's own content decoding (gzip, br,
zstd: whatever this httpx can decode is what the client asks for, as a browser
would); the bytes counted are those that came off the socket, before decoding
(`Response.num_bytes_downloaded`), so they are what a browser would download.
Many of these run in one event loop without threads, so the clients cost the
machine little.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from gradio_client.utils import apply_diff
from httpx._decoders import SUPPORTED_DECODERS
from httpx_sse import aconnect_sse

# Browsers ask for gzip, br and zstd; ask for what httpx can decode here (zstd needs `zstandard`).
ENCODINGS = ", ".join(name for name in SUPPORTED_DECODERS if name != "identity")
BROWSER_HEADERS = {
    "Accept-Encoding": ENCODINGS,
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) seedui-bench",
}


@dataclass
class Run:
    """One event's life as the client saw it; times are seconds since the join request was sent."""

    rejected: str | None = None  # the queue refused the join (e.g. "Queue is full. ...")
    error: str | None = None  # the event ended with an error message
    wire_bytes: int = 0  # SSE body + join response, as received (possibly compressed)
    content_encoding: str | None = None
    messages: dict[str, int] = field(default_factory=dict)  # msg kind -> count
    largest_message: int = 0
    ended_at: float | None = None
    outputs: list[Any] | None = None  # final values (full), when the run completed


def find_dependency(config: dict[str, Any], api_name: str) -> dict[str, Any]:
    for dep in config["dependencies"]:
        if dep.get("api_name") == api_name:
            return dep
    raise LookupError(f"no event with api_name {api_name!r}")


async def run_event(
    http: httpx.AsyncClient,
    fn_index: int,
    data: list[Any],
    *,
    trigger_id: int | None = None,
    headers: dict[str, str] | None = None,
    on_outputs: Callable[[float, list[Any]], None] | None = None,
    track_outputs: bool = True,
) -> Run:
    """Run one queued event to its end. `on_outputs(t, values)` sees every update's full values."""
    run = Run()
    session = uuid.uuid4().hex[:11]
    hdrs = {**BROWSER_HEADERS, **(headers or {})}
    t0 = time.perf_counter()
    body = {"data": data, "event_data": None, "fn_index": fn_index, "trigger_id": trigger_id, "session_hash": session}
    join = await http.post("gradio_api/queue/join", json=body, headers=hdrs)
    run.wire_bytes += len(join.content)
    if join.status_code != 200:
        try:
            run.rejected = join.json().get("detail") or join.text
        except ValueError:
            run.rejected = join.text
        run.ended_at = time.perf_counter() - t0
        return run

    values: list[Any] | None = None
    url = "gradio_api/queue/data"
    async with aconnect_sse(http, "GET", url, params={"session_hash": session}, headers=hdrs) as source:
        run.content_encoding = source.response.headers.get("content-encoding")
        try:
            async for event in source.aiter_sse():
                if not event.data:
                    continue
                run.largest_message = max(run.largest_message, len(event.data.encode()) + len(b"data: \n\n"))
                message = json.loads(event.data)
                kind = message.get("msg", "?")
                run.messages[kind] = run.messages.get(kind, 0) + 1
                now = time.perf_counter() - t0
                output = message.get("output") or {}
                if kind == "process_generating" and track_outputs:
                    chunk = output.get("data") or []
                    values = chunk if values is None else [apply_diff(v, d) for v, d in zip(values, chunk, strict=True)]
                    if on_outputs:
                        on_outputs(now, values)
                elif kind == "process_completed":
                    run.ended_at = now
                    if message.get("success", True) and "data" in output:
                        run.outputs = output["data"]
                        if on_outputs and track_outputs:
                            on_outputs(now, run.outputs)
                    else:
                        run.error = output.get("error") or message.get("title") or "error"
                elif kind in ("close_stream", "unexpected_error"):
                    if kind == "unexpected_error":
                        run.error = message.get("message") or "unexpected error"
                    break
        finally:
            run.wire_bytes += source.response.num_bytes_downloaded
    return _finish(run, t0)


def _finish(run: Run, t0: float) -> Run:
    if run.ended_at is None:
        run.ended_at = time.perf_counter() - t0
    return run
