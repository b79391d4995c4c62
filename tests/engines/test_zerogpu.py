"""The ZeroGPU path on the real tiny model, against the REAL `spaces` package with the platform stood in.

`zerogpu_space.py` (a STAND-IN for the ZeroGPU platform: its device API and the CUDA layer of `spaces`) runs
app.py as the Space's process; the real `spaces` forks the GPU workers, pickles what crosses, stops a worker
after its next yield on close and asks for `duration` with the visitor's token. The tests drive that Space
from outside through its API, as a visitor does, and read the device API's log of /schedule, /allow and
/release. Measured figures go to test-artifacts/zerogpu-standin.json.

Why a Space process of its own: torch's OpenMP thread team belongs to the thread that started it, and a child
forked from a thread that had run torch work hangs at that team's barrier in its first matrix product (seen in
gdb: `gomp_team_barrier_wait_end` under MKL's sgemm). The Space forks each worker from the new thread that
iterates the GPU generator, and the worker runs `generate` in a new thread too, as on a real Space.
The Space runs with one OpenMP thread: on the 2 shared cores here a team of 2 spins at its barriers
(measured under load: 1.4 tokens/s with 2 threads, 7.9 with 1, the same text).
"""

from __future__ import annotations

import ast
import asyncio
import json
import pickle
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from seedui.config import Overrides, load_config
from seedui.engines import zerogpu
from seedui.engines.engine_set import build_engines
from seedui.engines.transformers_local import GenerateJob
from seedui.prompts import build_request
from seedui.sampling import SamplingSettings
from tests.conftest import (
    ON_TRANSFORMERS,
    ROOT,
    app_env,
    close_after_text,
    end_process,
    free_port,
    generations_end,
    run_async,
)
from tests.engines.zerogpu_space import CUDA_LAYER

SPACE = Path(__file__).parent / "zerogpu_space.py"
# The tiny lanes on transformers, as a ZeroGPU Space configures its lanes (docs/spaces.md).
CFG = load_config(profile="tiny", cli=Overrides(dict(ON_TRANSFORMERS)), environ={})
VISITOR = "visitor-token"  # the X-IP-Token header a Space's proxy adds for a visitor
FIGURES: dict[str, Any] = {}


def request(lane: str = "instruct", prompt: str = "Write a Python function that reverses a string.", **sampling):
    s = SamplingSettings.parse(sampling).merged_over(CFG.lanes[lane].sampling)
    return build_request(CFG.lanes[lane], s, prompt=prompt)


# --- the module against the real `spaces` package where it runs here -------------------------------------


def test_the_stand_in_cuda_layer_has_the_names_of_the_real_one():
    import spaces

    source = Path(spaces.__file__).parent / "zero" / "torch" / "__init__.py"
    tree = ast.parse(source.read_text())
    assigned = [target for node in tree.body if isinstance(node, ast.Assign) for target in node.targets]
    assert {target.id for target in assigned if isinstance(target, ast.Name)} == set(CUDA_LAYER)


def test_outside_zerogpu_the_real_decorator_passes_our_generator_through():
    import spaces

    assert not zerogpu.ON_ZEROGPU
    assert spaces.GPU(duration=zerogpu.gpu_duration)(zerogpu._gpu_tokens) is zerogpu._gpu_tokens
    assert zerogpu.gpu_tokens is zerogpu._gpu_tokens


def gpu_job(max_new_tokens: int) -> GenerateJob:
    return GenerateJob("m", [1, 2, 3], {"max_new_tokens": max_new_tokens}, SamplingSettings())


def test_the_gpu_seconds_asked_for_grow_with_max_tokens():
    asked = [zerogpu.gpu_duration(gpu_job(n)) for n in (16, 256, 2048)]
    assert asked == sorted(asked) and len(set(asked)) == 3
    assert all(isinstance(s, int) for s in asked)


def test_on_zerogpu_the_models_are_placed_from_the_main_thread_only(monkeypatch):
    monkeypatch.setattr(zerogpu, "ON_ZEROGPU", True)
    errors = []
    worker = threading.Thread(target=lambda: errors.append(_raises(lambda: zerogpu.PlacedModels().place(CFG))))
    worker.start()
    worker.join()
    assert errors and "main thread" in errors[0]


def _raises(fn: Any) -> str:
    try:
        fn()
    except Exception as exc:
        return str(exc)
    return ""


def test_a_lane_whose_model_was_not_placed_fails_with_the_reason():
    engine = zerogpu.ZeroGPUEngine(CFG.lanes["instruct"], zerogpu.PlacedModels())
    run_async(engine.start())
    assert engine.status.state == "failed" and "not placed before launch" in engine.status.detail


async def together(*coros: Any) -> list[Any]:
    return await asyncio.gather(*coros)


@pytest.fixture(scope="module")
def in_process():
    """Off ZeroGPU the GPU generator runs in this process: the engine's plumbing without a fork."""
    zerogpu.PLACED.place(CFG)
    engine = zerogpu.ZeroGPUEngine(CFG.lanes["instruct"], zerogpu.PLACED)
    local = build_engines(CFG).engines["instruct"]
    run_async(together(engine.start(), local.start()))
    assert engine.status.state == "ready", engine.status
    return engine, local


def test_in_process_it_streams_what_the_local_engine_streams(in_process, monkeypatch):
    engine, local = in_process
    jobs = []

    def gpu_tokens(job):  # what ZeroGPU would pickle into the worker: it must come back equal
        jobs.append(job)
        return zerogpu._gpu_tokens(pickle.loads(pickle.dumps(job)))

    monkeypatch.setattr(zerogpu, "gpu_tokens", gpu_tokens)

    async def text(eng):
        return "".join([c.text async for c in eng.stream(request(max_tokens=20, temperature=0.7, seed=3))])

    ours, theirs = run_async(together(text(engine), text(local)))
    assert ours and ours == theirs
    assert pickle.loads(pickle.dumps(jobs[0])) == jobs[0]
    assert jobs[0].model == CFG.lanes["instruct"].model and jobs[0].max_new_tokens == 20


def test_in_process_closing_the_stream_ends_generation(in_process):
    engine, _ = in_process
    close_after_text(engine, request(max_tokens=400, temperature=0))
    assert generations_end(timeout=10)  # the thread iterating the GPU generator, and the generator's own


# --- the real `spaces` in ZeroGPU mode, in a process of its own ------------------------------------------------

REFUSAL_CHECK = """
import json, threading
from tests.engines.zerogpu_space import install
install(None)
import spaces
from seedui.engines import zerogpu
from seedui.engines.transformers_local import GenerateJob
from seedui.sampling import SamplingSettings
out = {"decorated": zerogpu.gpu_tokens is not zerogpu._gpu_tokens}
try:
    # A job whose generate kwargs hold a lock: the seconds asked for can be computed, the job cannot be pickled.
    bad = GenerateJob("m", [1, 2], {"max_new_tokens": 2, "lock": threading.Lock()}, SamplingSettings())
    next(zerogpu.gpu_tokens(bad))
except Exception as exc:
    out["error"] = f"{type(exc).__name__}: {exc}"
async def coroutine():
    return 1
try:
    spaces.GPU(coroutine)
    out["async"] = "accepted"
except NotImplementedError:
    out["async"] = "refused"
print("RESULT " + json.dumps(out))
"""


def test_the_real_spaces_refuses_an_argument_that_cannot_be_pickled():
    env = app_env(PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", REFUSAL_CHECK], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=180)  # fmt: skip
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, proc.stdout[-2000:] + proc.stderr[-3000:]
    out = json.loads(lines[-1][len("RESULT ") :])
    assert out["decorated"] is True  # in ZeroGPU mode the real decorator wrapped our generator and its duration
    assert out["error"].startswith("PicklingError") and "lock" in out["error"], out
    assert out["async"] == "refused"  # as on ZeroGPU; outside it the decorator passes anything through


# --- a Space on the stand-in platform, driven from outside ---------------------------------------------------


class Space:
    def __init__(self, proc: subprocess.Popen[bytes], url: str, log: Path, api_log: Path) -> None:
        self.proc, self.url, self.log, self.api_log = proc, url, log, api_log

    def calls(self, path: str, after: float = 0.0) -> list[dict[str, Any]]:
        if not self.api_log.exists():
            return []
        rows = [json.loads(line) for line in self.api_log.read_text().splitlines() if line.strip()]
        return [r for r in rows if r["path"] == path and r["t"] > after]

    def wait_for(self, path: str, after: float, timeout: float = 60) -> dict[str, Any]:
        deadline = time.time() + timeout
        while not (found := self.calls(path, after)):
            assert time.time() < deadline, f"no {path} after {after}: {self.api_log.read_text()[-2000:]}"
            time.sleep(0.01)
        return found[0]

    def tail(self) -> str:
        return self.log.read_text()[-3000:]


def ready(space: Space) -> dict[str, Any] | None:
    try:
        resp = httpx.get(space.url + "seedui/ready", timeout=10)
    except httpx.HTTPError:
        return None
    return resp.json() if resp.status_code == 200 else None


@pytest.fixture(scope="module")
def space(tmp_path_factory: pytest.TempPathFactory, artifacts: Path):
    tmp = tmp_path_factory.mktemp("zerogpu")
    port = free_port()
    log, api_log = tmp / "space.log", tmp / "device-api.jsonl"
    on_transformers = {f"SEEDUI_{key.upper().replace('.', '__')}": value for key, value in ON_TRANSFORMERS.items()}
    env = app_env(ZEROGPU_STANDIN_LOG=str(api_log), OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1", **on_transformers)
    cmd = [sys.executable, str(SPACE), "--profile", "tiny", "--port", str(port), "--db", str(tmp / "db.sqlite3")]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    space = Space(proc, f"http://127.0.0.1:{port}/", log, api_log)
    try:
        deadline = time.monotonic() + 300
        while not ready(space):  # every lane ready (GET /seedui/ready answers 200)
            assert proc.poll() is None, space.tail()
            assert time.monotonic() < deadline, f"the Space did not start:\n{space.tail()}"
            time.sleep(0.5)
        lanes = ready(space)["lanes"]
        assert {lane["engine"] for lane in lanes.values()} == {"transformers (ZeroGPU)"}, lanes
        assert space.calls("/startup-report"), "spaces reports the start-up from its Blocks.launch hook"
        yield space
    finally:
        end_process(proc)
        (artifacts / "zerogpu-standin.json").write_text(json.dumps(FIGURES, indent=2))


@pytest.fixture(scope="module")
def visitor(space: Space):
    from gradio_client import Client

    return Client(space.url, verbose=False, headers={"X-IP-Token": VISITOR})


def watch(job: Any) -> list[tuple[float, int, int]]:
    """(time, characters, tokens) each time the lane's text grew, until the job ends."""
    seen: list[tuple[float, int, int]] = []
    while not job.done():
        outs = job.outputs()
        if outs and outs[-1].get("text") and (not seen or len(outs[-1]["text"]) > seen[-1][1]):
            seen.append((time.time(), len(outs[-1]["text"]), outs[-1]["stats"].get("completion_tokens") or 0))
        time.sleep(0.01)
    return seen


@pytest.mark.e2e
def test_tokens_come_from_a_forked_gpu_worker_as_they_are_made(space: Space, visitor: Any):
    started = time.time()
    job = visitor.submit("instruct", "Write a Python function that reverses a string.",
                         {"max_tokens": 48, "temperature": 0}, api_name="/generate")  # fmt: skip
    seen = watch(job)
    final = job.result()
    assert final["error"] is None and final["stats"]["completion_tokens"] == 48, final
    schedule = space.wait_for("/schedule", started)
    allow = space.wait_for("/allow", started)
    # The visitor's quota token reached the scheduler (the GPU generator ran in the request's context), and the
    # seconds asked for are the engine's function of max_tokens, called by the real `spaces` with our arguments.
    assert schedule["token"] == VISITOR
    assert int(schedule["durationSeconds"]) == zerogpu.gpu_duration(gpu_job(48))
    worker = int(allow["pid"])
    assert worker in {p.pid for p in psutil.Process(space.proc.pid).children()}, "a worker forked by the Space"
    # Streamed: many updates, spread over the generation rather than bunched at its end.
    first, last = seen[0][0], seen[-1][0]
    assert len(seen) >= 10, seen
    assert first - schedule["t"] < 0.5 * (last - schedule["t"]), seen
    token_s = (last - first) / max(1, seen[-1][2] - seen[0][2])
    # The worker is forked as soon as the GPU is granted (/schedule); it reports itself with /allow.
    FIGURES["fork_to_worker_allowed_s"] = round(allow["t"] - schedule["t"], 3)
    FIGURES["fork_to_first_token_at_visitor_s"] = round(first - schedule["t"], 3)
    FIGURES["per_token_s"] = round(token_s, 4)


@pytest.mark.e2e
def test_stop_ends_the_gpu_work_within_2_s(space: Space, visitor: Any):
    """Stop reaches the worker after its next yield (the contract), so it takes the cancel's own path and ~3
    token-times: the parent's generator waits for the next token, the worker for the one after, and generation
    then ends with its token. Bounded by 2 s, or on a loaded machine, where one token's time varies several-fold,
    by 8 median token-times measured in the same run. A Stop that did not reach the worker would take ~390."""
    stops, token_times = [], []
    for _ in range(3):
        job = visitor.submit("instruct", "Write a long essay about compilers.", {"max_tokens": 400, "temperature": 0},
                             api_name="/generate")  # fmt: skip
        seen: list[tuple[float, int]] = []
        while len(seen) < 12 or seen[-1][1] < 12:
            outs = job.outputs()
            tokens = (outs[-1]["stats"].get("completion_tokens") or 0) if outs else 0
            if tokens and (not seen or tokens > seen[-1][1]):
                seen.append((time.time(), tokens))
            assert not job.done(), job.result()
            time.sleep(0.01)
        token_times.append((seen[-1][0] - seen[0][0]) / (seen[-1][1] - seen[0][1]))
        stopped = time.time()
        job.cancel()
        release = space.wait_for("/release", stopped, timeout=60)
        stops.append(release["t"] - stopped)
        worker = psutil.Process(int(space.calls("/allow")[-1]["pid"]))
        cpu = sum(worker.cpu_times()[:2])
        time.sleep(1)
        assert sum(worker.cpu_times()[:2]) - cpu < 0.2, "the worker kept generating after Stop"
    token_s = statistics.median(token_times)
    FIGURES["stop_to_release_s"] = [round(s, 3) for s in stops]
    FIGURES["per_token_s_during_stop_runs"] = round(token_s, 4)
    assert max(stops) < max(2.0, 8 * token_s), (stops, token_s)
    # The GPU came back idle and the next call reuses its worker.
    assert visitor.predict("instruct", "hi", {"max_tokens": 2}, api_name="/generate")["error"] is None


@pytest.mark.e2e
def test_three_lanes_at_once_each_get_a_gpu(space: Space, visitor: Any):
    started = time.time()
    final = visitor.predict("Say hi", {"max_tokens": 8, "temperature": 0}, [], api_name="/compare")
    assert all(lane["error"] is None and lane["text"] for lane in final.values()), final
    schedules = space.calls("/schedule", started)
    assert len(schedules) == 3 and len({s["gpu"] for s in schedules}) == 3, schedules
    assert {s["token"] for s in schedules} == {VISITOR}
