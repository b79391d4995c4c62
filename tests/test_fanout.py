"""fan_out's own logic: coalescing, the last snapshot, per-lane errors and hangs.

`ScriptedEngine` is a test double for the engine protocol (not a model): it
streams fixed chunks with fixed delays, so the fan-out's timing logic can be
checked exactly. Real engines are tested in tests/engines/.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from seedui.config import load_config
from seedui.engines.base import Chunk, EngineStatus, GenerationRequest
from seedui.errors import EngineError
from seedui.fanout import LaneJob, LaneRun, fan_out, run_lane
from seedui.sampling import SamplingSettings
from tests.conftest import run_async

CFG = load_config(profile="tiny", environ={})
REQUEST = GenerationRequest(sampling=SamplingSettings(max_tokens=8), prompt="x")


class ScriptedEngine:
    """Test double: yields `script` items (a Chunk, or an exception to raise) after `delay` seconds each."""

    name = "scripted (test double)"

    def __init__(self, script: list[Chunk | Exception], delay: float = 0.0) -> None:
        self.script = script
        self.delay = delay
        self.closed = False
        self.status = EngineStatus("ready")

    async def start(self) -> None:
        pass

    async def count_prompt_tokens(self, request: GenerationRequest) -> int | None:
        return 1

    async def stream(self, request: GenerationRequest) -> AsyncIterator[Chunk]:
        try:
            for item in self.script:
                await asyncio.sleep(self.delay)
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            self.closed = True

    async def close(self) -> None:
        pass


def job(name: str, engine: ScriptedEngine) -> LaneJob:
    return LaneJob(name, CFG.lanes[name], engine, REQUEST)


def words(n: int, finish: str = "stop") -> list[Chunk]:
    return [Chunk(text=f"w{i} ", completion_tokens=i + 1) for i in range(n)] + [
        Chunk(completion_tokens=n, finish_reason=finish)
    ]


def collect(jobs: list[LaneJob], **kw) -> list[dict]:
    async def go():
        return [snap async for snap in fan_out(jobs, **kw)]

    return run_async(go())


def test_last_snapshot_is_final_for_every_lane():
    fast = ScriptedEngine(words(3), delay=0.001)
    slow = ScriptedEngine(words(5), delay=0.02)
    snaps = collect([job("base", fast), job("instruct", slow)], timeout_s=5)
    last = snaps[-1]
    assert last["base"]["text"] == "w0 w1 w2 " and last["base"]["stats"]["finish_reason"] == "stop"
    assert last["instruct"]["text"] == "w0 w1 w2 w3 w4 " and last["instruct"]["stats"]["finish_reason"] == "stop"


def test_updates_are_coalesced():
    # 200 chunks 1 ms apart: far fewer snapshots than chunks at a 50 ms interval.
    engine = ScriptedEngine(words(200), delay=0.001)
    snaps = collect([job("instruct", engine)], timeout_s=5, interval_s=0.05)
    assert snaps[-1]["instruct"]["stats"]["completion_tokens"] == 200
    assert len(snaps) < 200 / 4


def test_one_lane_raising_does_not_stop_the_others():
    bad = ScriptedEngine([Chunk(text="partial "), EngineError("server went away")], delay=0.001)
    good = ScriptedEngine(words(4), delay=0.005)
    last = collect([job("base", bad), job("instruct", good)], timeout_s=5)[-1]
    assert last["base"]["error"] == "server went away" and last["base"]["text"] == "partial "
    assert last["base"]["stats"]["finish_reason"] == "error"
    assert last["instruct"]["error"] is None and last["instruct"]["stats"]["finish_reason"] == "stop"
    assert bad.closed


def test_a_hanging_lane_times_out_and_is_closed():
    hang = ScriptedEngine([Chunk(text="a"), Chunk(text="b")], delay=0.5)
    good = ScriptedEngine(words(2), delay=0.001)
    last = collect([job("base", hang), job("instruct", good)], timeout_s=0.2)[-1]
    assert "sent nothing for 0.2 s" in last["base"]["error"] and hang.closed
    assert last["instruct"]["stats"]["finish_reason"] == "stop"


def test_lanes_refused_before_start_appear_with_their_error():
    good = ScriptedEngine(words(1))
    last = collect([job("instruct", good)], timeout_s=5, failed={"base": "bad setting"})[-1]
    assert last["base"]["error"] == "bad setting" and last["instruct"]["text"] == "w0 "


def test_closing_the_consumer_closes_every_engine_stream():
    engines = [ScriptedEngine(words(1000), delay=0.01) for _ in range(2)]

    async def go():
        stream = fan_out([job("base", engines[0]), job("instruct", engines[1])], timeout_s=5)
        async for snap in stream:
            if all(lane["text"] for lane in snap.values()):  # both engine streams are open
                break
        await stream.aclose()

    run_async(go())
    assert all(e.closed for e in engines)


def test_reasoning_lane_splits_think_tags_and_times_the_thinking():
    engine = ScriptedEngine(
        [
            Chunk(text="<thi"),
            Chunk(text="nk>plan</th"),
            Chunk(text="ink>answer", completion_tokens=3),
            Chunk(finish_reason="stop"),
        ],  # fmt: skip
        delay=0.01,
    )
    last = collect([job("reasoning", engine)], timeout_s=5)[-1]["reasoning"]
    assert (last["reasoning"], last["text"]) == ("plan", "answer")
    assert last["stats"]["reasoning_s"] > 0


def test_the_first_snapshot_comes_at_once_with_each_lane_started():
    """Before any lane has produced anything: the page starts each lane's clock from it."""
    engine = ScriptedEngine(words(2), delay=1.0)

    async def go():
        stream = fan_out([job("base", engine)], timeout_s=5, failed={"instruct": "bad setting"})
        first = await anext(stream)
        await stream.aclose()
        return first

    first = run_async(go())
    assert first["base"]["text"] == "" and first["base"]["stats"]["finish_reason"] is None
    assert first["base"]["stats"]["total_s"] < 0.5 and first["base"]["prompt"] == "x"
    assert first["instruct"]["error"] == "bad setting"


def test_first_token_is_not_held_back_by_coalescing():
    # A prompt-count chunk, then the first text at once: with a 5 s interval, a coalesced first token
    # would wait the whole interval; it must come out in the very next snapshot instead.
    import time

    engine = ScriptedEngine([Chunk(prompt_tokens=3, completion_tokens=0), Chunk(text="hi", completion_tokens=1),
                             Chunk(finish_reason="stop")])  # fmt: skip

    async def go():
        start = time.perf_counter()
        async for snap in fan_out([job("instruct", engine)], timeout_s=10, interval_s=5.0):
            if snap["instruct"]["text"]:
                return time.perf_counter() - start
        return None

    waited = run_async(go())
    assert waited is not None and waited < 2.5  # half the interval: the first token was not coalesced


class GatedEngine(ScriptedEngine):
    """Test double: yields each chunk the test puts in `gate`, the way a real engine's thread hands tokens over."""

    def __init__(self) -> None:
        super().__init__([])
        self.gate: asyncio.Queue[Chunk] = asyncio.Queue()

    async def stream(self, request: GenerationRequest) -> AsyncIterator[Chunk]:
        try:
            while True:
                yield await self.gate.get()
        finally:
            self.closed = True


def test_stop_that_lands_with_a_token_still_stops_the_lane():
    """Gradio's Stop cancels the lane's task once. If a token arrives in the same turn of the loop, the cancel
    must still end the lane: Python 3.11's `asyncio.wait_for` returned the token and dropped the cancel, and the
    lane generated on to its end (a ZeroGPU Stop test under load in CI)."""

    async def go():
        engine = GatedEngine()
        run = LaneRun(prompt="x")
        task = asyncio.create_task(run_lane(job("instruct", engine), run, lambda: None, timeout_s=30))
        engine.gate.put_nowait(Chunk(text="a", completion_tokens=1))
        while not run.text:
            await asyncio.sleep(0)
        engine.gate.put_nowait(Chunk(text="b", completion_tokens=2))  # the token and the Stop, one turn
        task.cancel()
        for i in range(3, 50):  # tokens keep coming, as from a generating model
            await asyncio.sleep(0)
            engine.gate.put_nowait(Chunk(text="c", completion_tokens=i))
        await asyncio.wait([task], timeout=1)
        # Read here: asyncio.run cancels what is left when it returns, which would end the lane anyway.
        return task.done() and task.cancelled(), run.text, engine.closed, run.finish_reason

    stopped, text, closed, finish = run_async(go())
    assert stopped, f"the lane went on after Stop: {text!r}"
    assert closed and finish == "cancelled"
