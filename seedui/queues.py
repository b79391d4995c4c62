"""Gradio concurrency groups shared by the page and the API.

An event in a group waits while `limits.concurrency` events of that group run,
whether the page or a script sent it: a model runs for one group of callers,
not one per entry point.
"""

from __future__ import annotations

from typing import Any

from seedui.config import Limits

GENERATION = "generation"  # every event that runs a model
SHARES = "shares"  # share writes: create and delete
BENCH = "bench"  # bench generations: one problem on one lane, many per run (limits.bench_concurrency)


def group(name: str, limits: Limits) -> dict[str, Any]:
    """The event keywords that put an event in group `name`."""
    limit = limits.bench_concurrency if name == BENCH else limits.concurrency
    return {"concurrency_id": name, "concurrency_limit": limit}
