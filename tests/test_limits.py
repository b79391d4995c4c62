"""seedui.limits.RateLimiter on an injected clock: the sliding window, retry-after, release, and pruning."""

from __future__ import annotations

import pytest

from seedui.errors import UserError
from seedui.limits import MAX_TRACKED_CLIENTS, InFlight, RateLimited, RateLimiter


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def limited(limit: int = 3, window_s: float = 60.0, what: str = "requests") -> tuple[RateLimiter, Clock]:
    clock = Clock()
    return RateLimiter(limit, what=what, window_s=window_s, clock=clock), clock


def test_allows_the_limit_then_refuses_with_how_long_to_wait():
    rate, clock = limited(3)
    for _ in range(3):
        rate.acquire("a")
        clock.now += 10
    with pytest.raises(RateLimited) as info:
        rate.acquire("a")  # the first hit was 30 s ago: it leaves the window in 30 s
    assert info.value.retry_after_s == 30
    assert str(info.value) == "too many requests from this client: 3 per minute; try again in 30 s"
    assert isinstance(info.value, UserError)  # the page and the API show it as it is


def test_the_window_slides():
    rate, clock = limited(2)
    rate.acquire("a")  # t=0
    clock.now += 40
    rate.acquire("a")  # t=40
    clock.now += 19.9  # t=59.9: both still in the window
    with pytest.raises(RateLimited):
        rate.acquire("a")
    clock.now += 0.1  # t=60: the first one has left; one slot frees, not two
    rate.acquire("a")
    with pytest.raises(RateLimited) as info:
        rate.acquire("a")
    assert info.value.retry_after_s == 40  # the t=40 hit leaves at t=100


@pytest.mark.parametrize(("left_s", "said"), [(0.2, 1), (1.0, 1), (1.01, 2), (59.5, 60)])
def test_retry_after_rounds_up_and_is_at_least_one_second(left_s, said):
    rate, clock = limited(1)
    rate.acquire("a")
    clock.now += 60 - left_s
    with pytest.raises(RateLimited) as info:
        rate.acquire("a")
    assert info.value.retry_after_s == said


def test_refused_attempts_take_no_slot():
    rate, clock = limited(1)
    rate.acquire("a")
    for _ in range(5):
        with pytest.raises(RateLimited):
            rate.acquire("a")
    clock.now += 60
    rate.acquire("a")  # free again a window after the one success, however often it was refused


def test_clients_are_counted_apart():
    rate, _ = limited(1)
    rate.acquire("a")
    rate.acquire("b")
    with pytest.raises(RateLimited):
        rate.acquire("a")


def test_release_gives_the_slot_back():
    rate, clock = limited(2)
    first = rate.acquire("a")
    clock.now += 5
    second = rate.acquire("a")
    rate.release("a", second)  # that action did not happen
    rate.acquire("a")
    with pytest.raises(RateLimited) as info:
        rate.acquire("a")
    assert info.value.retry_after_s == 55  # the first hit, 5 s ago, still holds its slot
    rate.release("a", first)
    rate.acquire("a")


def test_release_is_safe_to_repeat_and_forgets_an_idle_client():
    rate, _ = limited(2)
    stamp = rate.acquire("a")
    rate.release("a", stamp)
    rate.release("a", stamp)  # already given back
    rate.release("nobody", stamp)
    assert rate._hits == {}


def test_window_and_words_show_in_the_message():
    rate, _ = limited(1, window_s=10, what="shares")
    rate.acquire("a")
    with pytest.raises(RateLimited, match=r"^too many shares from this client: 1 per 10 s; try again in 10 s$"):
        rate.acquire("a")


def test_idle_clients_are_forgotten_once_many_are_tracked():
    rate, clock = limited(1)
    for i in range(MAX_TRACKED_CLIENTS + 1):
        rate.acquire(f"old-{i}")
    clock.now += 30
    rate.acquire("recent")
    clock.now += 31  # the old ones' hits have left the window; "recent" is 31 s old
    rate.acquire("new")  # over the limit of tracked clients: idle ones are pruned
    assert set(rate._hits) == {"recent", "new"}
    with pytest.raises(RateLimited):
        rate.acquire("recent")  # a client still in its window keeps its count


def test_a_limit_below_one_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        RateLimiter(0)


def test_an_hour_is_said_as_one():
    rate, _ = limited(2, window_s=3600, what="bench generations")
    rate.acquire("a")
    rate.acquire("a")
    with pytest.raises(RateLimited, match=r"^too many bench generations from this client: 2 per hour; try again in"):
        rate.acquire("a")


def test_in_flight_holds_a_slot_while_running_and_gives_it_back():
    running = InFlight(2, "bench generations")
    with running.hold("a"), running.hold("a"):
        assert running.running("a") == 2
        with pytest.raises(RateLimited, match="at most 2"), running.hold("a"):
            pass
        with running.hold("b"):  # clients are counted apart
            assert running.running("b") == 1
    assert running.running("a") == 0 and running._running == {}


def test_in_flight_gives_the_slot_back_when_the_action_fails():
    running = InFlight(1)
    with pytest.raises(RuntimeError), running.hold("a"):
        raise RuntimeError("the engine failed")
    with running.hold("a"):
        pass
    with pytest.raises(ValueError, match="at least 1"):
        InFlight(0)
