"""Fan one request out to the chosen lanes at once; per-lane stats and errors.

Each lane runs as its own task. One lane failing (bad input for that lane,
an engine error, a hang) becomes that lane's `error`; the others go on.
Updates are coalesced: the consumer gets a snapshot of every lane at most
`UPDATE_INTERVAL_S` apart, so long answers do not flood the browser. The
first snapshot comes at once, before any lane has produced anything: the
request has started (the page starts each lane's clock from it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from seedui.config import LaneConfig
from seedui.engines.base import Engine, GenerationRequest
from seedui.errors import UserError
from seedui.streaming import ThinkSplitter

log = logging.getLogger(__name__)

UPDATE_INTERVAL_S = 1 / 25  # at most ~25 updates a second per request


@dataclass
class LaneRun:
    """What one lane has produced so far; `snapshot()` is the API's lane dict."""

    text: str = ""
    reasoning: str = ""
    error: str | None = None
    started: float = field(default_factory=time.perf_counter)
    first_token_at: float | None = None
    last_token_at: float | None = None
    reasoning_started: float | None = None
    answer_started: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str | None = None
    ended: float | None = None
    status: str = ""  # what the lane waits for before its first token (a lane still loading), else ""
    waited_s: float | None = None  # how long it waited for its engine to start
    prompt: str | None = None  # the exact text a completion lane was sent (None: chat turns, templated later)

    def stats(self) -> dict[str, Any]:
        now = self.ended or time.perf_counter()
        stats: dict[str, Any] = {
            "ttft_s": _round(self.first_token_at - self.started) if self.first_token_at else None,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "tokens_per_s": None,
            "total_s": _round(now - self.started),
            "finish_reason": self.finish_reason,
        }
        # Decode speed: tokens after the first, over the time after the first.
        if self.completion_tokens and self.completion_tokens > 1 and self.first_token_at and self.last_token_at:
            span = self.last_token_at - self.first_token_at
            if span > 0:
                stats["tokens_per_s"] = round((self.completion_tokens - 1) / span, 2)
        if self.reasoning_started is not None:
            end = self.answer_started or now
            stats["reasoning_s"] = _round(end - self.reasoning_started)
        if self.waited_s is not None:
            stats["startup_wait_s"] = _round(self.waited_s)
        return stats

    def snapshot(self) -> dict[str, Any]:
        """The lane dict. While the lane waits for its engine, `status` says so and `stats` stays empty."""
        if self.status:
            return {
                "text": "",
                "reasoning": "",
                "stats": {},
                "error": None,
                "status": self.status,
                "prompt": self.prompt,
            }
        return {
            "text": self.text,
            "reasoning": self.reasoning,
            "stats": self.stats(),
            "error": self.error,
            "status": "",
            "prompt": self.prompt,
        }


def _round(value: float) -> float:
    return round(value, 3)


@dataclass
class LaneJob:
    """One lane's work: the engine, the request, and how to read its output."""

    name: str
    lane: LaneConfig
    engine: Engine
    request: GenerationRequest
    prompt_tokens: int | None = None  # counted before the run, when the engine can
    # For a lane whose engine is still starting: waits until it is ready (reporting what it waits for
    # through the callback) and finishes the job (counts the prompt); raises UserError to fail the lane.
    prepare: Callable[[Callable[[str], None]], Awaitable[None]] | None = None


async def run_lane(job: LaneJob, run: LaneRun, changed: Callable[[], None], timeout_s: float) -> None:
    """Drive one lane's stream into `run`. Never raises (but honours cancellation)."""
    splitter = ThinkSplitter(*job.lane.think_tags) if job.lane.thinks else None
    stream = None
    try:
        if job.prepare is not None:
            await _prepare(job, run, changed)
        stream = job.engine.stream(job.request)
        run.prompt_tokens = job.prompt_tokens
        while True:
            try:
                # Not wait_for: on Python 3.11 it drops a cancel (Stop) that lands with a token, and the lane
                # generates on to its end. asyncio.timeout lets the cancel through.
                async with asyncio.timeout(timeout_s):
                    chunk = await anext(stream)
            except StopAsyncIteration:
                break
            except TimeoutError:
                raise UserError(
                    f"{job.lane.display_name} sent nothing for {timeout_s:g} s; the lane was stopped"
                ) from None
            reasoning, text = chunk.reasoning, chunk.text
            if splitter is not None and text:
                more_reasoning, text = splitter.feed(text)
                reasoning += more_reasoning
            _apply(run, reasoning, text, chunk)
            if chunk.finish_reason:
                run.finish_reason = chunk.finish_reason
            changed()
        if splitter is not None:
            reasoning, text = splitter.flush()
            _apply(run, reasoning, text, None)
    except asyncio.CancelledError:
        run.finish_reason = "cancelled"
        raise
    except UserError as exc:
        run.error = str(exc)
        run.finish_reason = "error"
    except Exception as exc:  # an engine bug must not take the other lanes down
        log.exception("lane %s failed", job.name)
        run.error = f"{job.lane.display_name} failed: {type(exc).__name__}: {exc}"
        run.finish_reason = "error"
    finally:
        run.status = ""
        if stream is not None:
            await stream.aclose()  # stops generation when the client left or we failed
        run.ended = time.perf_counter()
        changed()


async def _prepare(job: LaneJob, run: LaneRun, changed: Callable[[], None]) -> None:
    """Wait for a lane still loading, showing what it waits for; its timings then start when it is ready."""

    def note(text: str) -> None:
        if text != run.status:
            run.status = text
            changed()

    note("loading")
    try:
        await job.prepare(note)  # type: ignore[misc]
    finally:
        run.status = ""
    now = time.perf_counter()
    run.waited_s = now - run.started
    run.started = now


def _apply(run: LaneRun, reasoning: str, text: str, chunk: Any) -> None:
    now = time.perf_counter()
    if reasoning or text:
        run.first_token_at = run.first_token_at or now
        run.last_token_at = now
    if reasoning:
        run.reasoning_started = run.reasoning_started or now
        run.reasoning += reasoning
    if text:
        if run.reasoning_started and not run.answer_started and text.strip():
            run.answer_started = now
        run.text += text
    if chunk is not None:
        if chunk.prompt_tokens is not None:
            run.prompt_tokens = chunk.prompt_tokens
        if chunk.completion_tokens is not None:
            run.completion_tokens = chunk.completion_tokens


async def fan_out(
    jobs: list[LaneJob],
    *,
    timeout_s: float,
    failed: dict[str, str] | None = None,
    interval_s: float = UPDATE_INTERVAL_S,
) -> AsyncIterator[dict[str, dict[str, Any]]]:
    """Run the lanes at once and yield {lane: lane dict} snapshots, coalesced.

    `failed` holds lanes refused before they started (bad per-lane settings):
    they appear with their error from the first snapshot on.
    """
    runs = {job.name: LaneRun(prompt=job.request.prompt, prompt_tokens=job.prompt_tokens) for job in jobs}
    for name, error in (failed or {}).items():
        runs[name] = LaneRun(error=error, finish_reason="error", ended=time.perf_counter())
    wake = asyncio.Event()
    tasks = [asyncio.create_task(run_lane(job, runs[job.name], wake.set, timeout_s)) for job in jobs]
    try:
        yield {name: run.snapshot() for name, run in runs.items()}  # started: not counted for coalescing
        last_sent = 0.0
        while True:
            await _wait_any(wake, tasks)
            wake.clear()
            all_done = all(t.done() for t in tasks)
            # Coalesce: after a snapshot, wait out the interval unless we are finished, or a lane has
            # just produced its first token (the snapshot before it, with only the prompt's token count,
            # must not hold back the time to first token).
            first_token = any(r.first_token_at is not None and r.first_token_at > last_sent for r in runs.values())
            pause = interval_s - (time.perf_counter() - last_sent)
            if pause > 0 and not all_done and not first_token:
                await asyncio.sleep(pause)
            last_sent = time.perf_counter()
            # Decide "finished" before the snapshot: a lane that ends while the consumer holds this
            # snapshot must still get one more, or its last text and finish reason are lost.
            all_done = all(t.done() for t in tasks)
            yield {name: run.snapshot() for name, run in runs.items()}
            if all_done:
                return
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _wait_any(wake: asyncio.Event, tasks: list[asyncio.Task[None]]) -> None:
    if wake.is_set() or all(t.done() for t in tasks):
        return
    await wake.wait()
