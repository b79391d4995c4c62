"""The limit on generations waiting: when the queue is full, and the wait it suggests.

`FakeQueue` is a TEST DOUBLE of the two things `full_message` reads from Gradio's queue (the waiting events per
concurrency group, and the average time per event function); the real queue is exercised end to end in
tests/ui/test_waiting_browser.py and tests/test_reliability.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from seedui.config import Limits
from seedui.errors import UserError
from seedui.queues import GENERATION, UNKNOWN_WAIT_S, check_room, full_message


@dataclass
class Group:
    queue: list[Any]


@dataclass(frozen=True)
class Fn:
    concurrency_id: str


@dataclass
class Timing:
    avg_time: float
    count: int = 1


@dataclass
class FakeQueue:
    waiting: dict[str, int]
    times: dict[Fn, Timing] = field(default_factory=dict)

    @property
    def event_queue_per_concurrency_id(self) -> dict[str, Group]:
        return {name: Group([object()] * n) for name, n in self.waiting.items()}

    @property
    def process_time_per_fn(self) -> dict[Fn, Timing]:
        return self.times


LIMITS = Limits(concurrency=2, max_queue=4)


@pytest.mark.parametrize(
    ("waiting", "times", "wait_s"),
    [
        ({GENERATION: 3, "other": 50}, {}, None),  # quick page events do not count
        ({GENERATION: 4}, {}, UNKNOWN_WAIT_S),  # nothing timed yet
        ({GENERATION: 4}, {Fn(GENERATION): Timing(10.0), Fn("other"): Timing(500.0)}, 30),  # 5 waits / 2 = 3 turns
        ({GENERATION: 4}, {Fn(GENERATION): Timing(0.1)}, 5),  # at least MIN_WAIT_S
        ({GENERATION: 9}, {Fn(GENERATION): Timing(400.0)}, 600),  # at most MAX_WAIT_S
        ({GENERATION: 4}, {Fn(GENERATION): Timing(99.0, count=0)}, UNKNOWN_WAIT_S),
    ],
)
def test_full_message(waiting, times, wait_s):
    message = full_message(FakeQueue(waiting, times), LIMITS)
    if wait_s is None:
        assert message is None
        return
    assert message.startswith("Queue is full:") and "the limit here is 4, with 2 running at once" in message
    assert message.endswith(f"try again in about {wait_s} s")


def test_check_room_refuses_with_the_message():
    with pytest.raises(UserError, match="the limit here is 4"):
        check_room(FakeQueue({GENERATION: 4}), LIMITS)
    check_room(FakeQueue({}), LIMITS)
