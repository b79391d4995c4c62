"""Gradio concurrency groups shared by the page and the API, and the page's word on a full queue.

An event in a group waits while `limits.concurrency` events of that group run,
whether the page or a script sent it: a model runs for one group of callers,
not one per entry point. Gradio refuses an event when `limits.max_queue`
events wait; its page then says only that the app is busy, so the page checks
first (`check_room`) and says which limit, and when to try again.
"""

from __future__ import annotations

import math
from typing import Any

from seedui.config import Limits
from seedui.errors import UserError

GENERATION = "generation"  # every event that runs a model
SHARES = "shares"  # share writes: create and delete
# "Try again in" when no generation has finished yet to time one by; and the bounds of an estimate.
UNKNOWN_WAIT_S = 60
MIN_WAIT_S, MAX_WAIT_S = 5, 600


def group(name: str, limits: Limits) -> dict[str, Any]:
    """The event keywords that put an event in group `name`."""
    return {"concurrency_id": name, "concurrency_limit": limits.concurrency}


def check_room(queue: Any, limits: Limits) -> None:
    """Refuse a generation that Gradio's `queue` (`Blocks._queue`) has no room for, saying which limit and
    when to try again: the waiting events, over the limit's turns of `concurrency` runs at the average
    generation time so far."""
    waiting = len(queue)  # Gradio's max_size counts the waiting events of every group
    if waiting < limits.max_queue:
        return
    times = [t.avg_time for fn, t in queue.process_time_per_fn.items() if fn.concurrency_id == GENERATION and t.count]
    if times:
        turns = math.ceil((waiting + 1) / limits.concurrency)
        wait = min(MAX_WAIT_S, max(MIN_WAIT_S, math.ceil(turns * sum(times) / len(times))))
        when = f"in about {wait} s"
    else:
        when = f"in about {UNKNOWN_WAIT_S} s"
    raise UserError(
        f"the server's queue is full: {waiting} requests are waiting (the limit here is {limits.max_queue}, "
        f"with {limits.concurrency} running at once); try again {when}"
    )
