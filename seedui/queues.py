"""Gradio concurrency groups shared by the page and the API, and the limit on generations waiting.

An event in a group waits while `limits.concurrency` events of that group run,
whether the page or a script sent it: a model runs for one group of callers,
not one per entry point.

At most `limits.max_queue` generations wait, page and API alike, and as many bench
generations (their own group, `limits.bench_concurrency` at once). Gradio's own
queue size would count every event, the page's quick ones too (a lane toggle,
the check before a run), so a full queue would refuse those with a bare
"busy"; instead its size is unbounded and `limit_waiting_generations` refuses
a generation there, saying which limit and when to try again. The page checks
first (`check_room`), so a visitor reads the same in the lanes. Both reach
into Gradio's queue (`Blocks._queue`, Gradio 6.31): tests/ui/test_waiting_browser.py
and tests/test_reliability.py fail if that changes.
"""

from __future__ import annotations

import math
from typing import Any

from seedui.config import Limits
from seedui.errors import UserError

GENERATION = "generation"  # every event that runs a model
SHARES = "shares"  # share writes: create and delete
BENCH = "bench"  # bench generations: one problem on one lane, many per run (limits.bench_concurrency)
# "Try again in" when no generation has finished yet to time one by; and the bounds of an estimate.
UNKNOWN_WAIT_S = 60
MIN_WAIT_S, MAX_WAIT_S = 5, 600


def group(name: str, limits: Limits) -> dict[str, Any]:
    """The event keywords that put an event in group `name`."""
    return {"concurrency_id": name, "concurrency_limit": _running(name, limits)}


def _running(name: str, limits: Limits) -> int:
    """How many events of group `name` run at once."""
    return limits.bench_concurrency if name == BENCH else limits.concurrency


def full_message(queue: Any, limits: Limits, name: str = GENERATION) -> str | None:
    """Why a new event of group `name` (generations, or bench generations) cannot wait in Gradio's `queue`
    now, and when to try again; None when it can.

    The wait: the events waiting, in turns of the group's events at once, at their average time so far.
    """
    group_queue = queue.event_queue_per_concurrency_id.get(name)
    waiting = len(group_queue.queue) if group_queue is not None else 0
    if waiting < limits.max_queue:
        return None
    running = _running(name, limits)
    times = [t.avg_time for fn, t in queue.process_time_per_fn.items() if fn.concurrency_id == name and t.count]
    wait = UNKNOWN_WAIT_S
    if times:
        turns = math.ceil((waiting + 1) / running)
        wait = min(MAX_WAIT_S, max(MIN_WAIT_S, math.ceil(turns * sum(times) / len(times))))
    return (
        f"Queue is full: {waiting} waiting for a model (the limit here is {limits.max_queue}, with "
        f"{running} running at once); try again in about {wait} s"
    )


def check_room(queue: Any, limits: Limits) -> None:
    """Refuse (UserError) a generation that `queue` has no room for: for the page, before it is sent."""
    message = full_message(queue, limits)
    if message is not None:
        raise UserError(message)


def limit_waiting_generations(blocks: Any, limits: Limits) -> None:
    """After `blocks.queue()`: no limit on Gradio's queue as a whole, `limits.max_queue` on generations."""
    from gradio.route_utils import get_fn

    queue = blocks._queue
    queue.max_size = None
    push = queue.push

    async def push_if_room(body: Any, request: Any, username: str | None) -> Any:
        name = get_fn(blocks, None, body).concurrency_id
        if name in (GENERATION, BENCH):
            message = full_message(queue, limits, name)
            if message is not None:
                return False, message, "queue_full"  # what Gradio answers for a full queue: HTTP 503
        return await push(body, request, username)

    queue.push = push_if_room
