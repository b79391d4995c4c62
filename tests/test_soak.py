"""Soak: 200 sequential requests, then a burst of 32 at once, against the launched app.

No request may fail except by a limit's own rejection (a full queue), and the
process's memory must come back near where it started. Answers are kept
short (two tokens) so that the run stays within a few minutes on 2 cores
(about 3 when the machine is quiet, 4 to 7 when it is shared); what is
under test is the server around the model, not the model.
"""

from __future__ import annotations

import gc
import time
from typing import Any

import psutil
import pytest
from gradio_client.utils import QueueError

pytestmark = [
    pytest.mark.slow,
    pytest.mark.e2e,
]

SEQUENTIAL = 200
BURST = 32
TOKENS = 2
# Generous: the allocator keeps some freed memory, and the first requests of a kind warm caches.
RSS_TOLERANCE_MB = 300

LIMIT_REJECTIONS = (QueueError,)  # a full queue is a limit doing its job, not a failure


def requests(n: int) -> list[tuple[tuple[Any, ...], str]]:
    """A mix of every generation endpoint and lane, each asking for a few tokens."""
    settings = {"max_tokens": TOKENS, "temperature": 0.7, "seed": 1}
    kinds = [
        (("base", "def add(a, b):", settings), "/generate"),
        (("instruct", "Say hi.", settings), "/generate"),
        (("reasoning", "Is 7 prime?", settings), "/generate"),
        (("import os\n", settings), "/complete"),
        (("Name a sort algorithm.", settings, ["instruct"]), "/compare"),
    ]
    return [kinds[i % len(kinds)] for i in range(n)]


def lane_errors(result: Any, api_name: str) -> list[str]:
    lanes = result.values() if api_name == "/compare" else [result]
    return [lane["error"] for lane in lanes if lane["error"]]


def rss_mb() -> float:
    gc.collect()
    return psutil.Process().memory_info().rss / 2**20


def settled_rss_mb(seconds: float = 3.0) -> float:
    """RSS once background work has ended: the lowest of a few samples."""
    samples = []
    for _ in range(int(seconds / 0.5)):
        samples.append(rss_mb())
        time.sleep(0.5)
    return min(samples)


def test_soak_sequential_then_burst(client, seedui_app):
    # Warm up every path (and the allocator) before the baseline.
    for args, api_name in requests(5):
        client.predict(*args, api_name=api_name)
    warm = [client.submit("Hi.", {"max_tokens": 2}, [], api_name="/compare") for _ in range(4)]
    for job in warm:
        job.result(timeout=300)
    start_rss = settled_rss_mb()

    failures: list[str] = []
    for i, (args, api_name) in enumerate(requests(SEQUENTIAL)):
        try:
            result = client.predict(*args, api_name=api_name)
        except Exception as exc:  # noqa: BLE001 - every kind of failure is counted
            failures.append(f"request {i} {api_name}: {type(exc).__name__}: {exc}")
            continue
        failures.extend(f"request {i} {api_name}: {err}" for err in lane_errors(result, api_name))
    assert not failures, failures[:5]

    peak = psutil.Process().memory_info().rss / 2**20
    jobs = [
        client.submit("Write a one-line Python comment.", {"max_tokens": TOKENS}, [], api_name="/compare")
        for _ in range(BURST)
    ]
    completed = rejected = 0
    for i, job in enumerate(jobs):
        try:
            result = job.result(timeout=600)
        except LIMIT_REJECTIONS:
            rejected += 1
            continue
        except Exception as exc:  # noqa: BLE001 - every kind of failure is counted
            failures.append(f"burst {i}: {type(exc).__name__}: {exc}")
            continue
        peak = max(peak, psutil.Process().memory_info().rss / 2**20)
        completed += 1
        failures.extend(f"burst {i}: {err}" for err in lane_errors(result, "/compare"))
    assert not failures, failures[:5]
    assert completed + rejected == BURST and completed >= 1

    end_rss = settled_rss_mb()
    grew = end_rss - start_rss
    print(f"soak: {SEQUENTIAL} sequential + {BURST} burst ({completed} completed, {rejected} rejected); "
          f"RSS {start_rss:.0f} -> {end_rss:.0f} MB, peak {peak:.0f} MB")  # fmt: skip
    assert grew < RSS_TOLERANCE_MB, f"RSS {start_rss:.0f} -> {end_rss:.0f} MB (peak {peak:.0f} MB)"
    # The server is still fine.
    assert client.predict("base", "x = ", {"max_tokens": 1}, api_name="/generate")["error"] is None
