"""The Bench's server half: a suite's problems, and one problem's answer on one lane. No Gradio here.

The browser drives a run (`window.seedui.bench.run`): it asks for the suite's problems (`suite`), then
for each problem and lane the answer and the program to check (`generate`), and checks that program
with the problem's tests in a pristine runner of its own. Nothing is checked on the server.

What a lane is asked (`lane_prompt`):

- Base: the problem's prompt as plain text to continue, stopped at the next top-level statement
  (`BASE_STOPS`, the Codex paper's; `extract.base_program` cuts what is left);
- Instruct and Reasoning: a chat request to complete the function (EvalPlus's instruction); the code
  checked is the answer's block that defines the entry point (`extract.chat_program`), never its thinking.

Answers are greedy (`BENCH_DEFAULTS`) unless the request's settings say otherwise: pass@1 of one
sample per problem.

Rate policy. A run sends one request per problem and lane (492 for HumanEval on three lanes), so bench
requests are not counted against `requests_per_minute`, which was made for single requests. Instead:

- they queue in a concurrency group of their own (`queues.BENCH`, `limits.bench_concurrency` at once
  over all clients), so a run never holds the slots of the Compare, Chat and FIM tabs;
- one client may have `limits.bench_in_flight` running at once; more are refused at once (the page
  never sends more: it keeps at most that many in flight), so a client runs at the lanes' pace and no faster;
- one client may start `limits.bench_per_hour` per hour (about four HumanEval runs on three lanes).
"""

from __future__ import annotations

from typing import Any

from seedui.config import LaneConfig
from seedui.errors import UserError
from seedui.evals.extract import BASE_STOPS, program
from seedui.evals.suites import SUITES, Problem, load_suite, parse_suite, problem_from_dict
from seedui.limits import InFlight, RateLimiter, check_text
from seedui.prompts import AS_TYPED
from seedui.sampling import MAX_STOP_STRINGS
from seedui.service import LaneService

BENCH_DEFAULTS: dict[str, Any] = {"temperature": 0.0}  # greedy: under the request's own settings
CHAT_INSTRUCTION = (
    "Please provide a self-contained Python script that solves the following problem in a markdown code block:"
)
HOUR_S = 3600.0
CHECK_TIME_LIMIT_S = 10.0  # a check's default time limit in the browser (Pyodide runs slower than CPython)


def lane_prompt(problem: Problem, lane: LaneConfig) -> str:
    """What the lane is sent: the prompt itself for Base, the chat instruction around it for the others."""
    if not lane.chats:
        return problem.prompt
    return f"{CHAT_INSTRUCTION}\n```python\n{problem.prompt.strip()}\n```\n"


def bench_settings(settings: dict[str, Any], name: str, lane: LaneConfig) -> dict[str, Any]:
    """The request's settings over `BENCH_DEFAULTS`. A Base lane continues the prompt as it is (it is code, not
    an instruction to put in a comment) and stops at the next top-level statement."""
    merged = {**BENCH_DEFAULTS, **settings}
    if not lane.chats:
        own = dict(merged.get(name) or {})
        asked = own.get("stop", merged.get("stop")) or []
        own["stop"] = list(dict.fromkeys([*asked, *BASE_STOPS]))[:MAX_STOP_STRINGS]
        own["instruction_as"] = AS_TYPED
        merged[name] = own
    return merged


def default_in_flight(lane: LaneConfig) -> int:
    """Requests a run keeps in flight on a lane: one where the model runs in this process on the CPU
    (more would only share its cores), several where a server batches them (vLLM, llama.cpp)."""
    return 1 if lane.engine == "transformers" else 4


def resolve_problem(data: Any) -> Problem:
    """`{"suite", "task_id"}` names a built-in suite's problem; any other dict is the problem itself."""
    if not isinstance(data, dict):
        raise UserError(
            'problem must be a dict: {"suite", "task_id"} for a built-in suite\'s problem, '
            'or the problem itself ({"prompt", "tests"}, or HumanEval\'s fields)'
        )
    if "suite" not in data:
        return problem_from_dict(data, "problem")
    unknown = sorted(set(data) - {"suite", "task_id"})
    if unknown:
        raise UserError(f"problem: field {unknown[0]!r} is not known beside 'suite'; give 'suite' and 'task_id'")
    by_id = {p.task_id: p for p in load_suite(data["suite"])}
    task_id = data.get("task_id")
    if task_id not in by_id:
        raise UserError(f"suite {data['suite']!r} has no problem {str(task_id)[:80]!r}")
    return by_id[task_id]


class BenchService:
    """Suites and generations for bench runs, under the bench's rate policy (see the module doc)."""

    def __init__(self, lanes: LaneService) -> None:
        self.lanes = lanes
        limits = lanes.limits
        self.in_flight = InFlight(limits.bench_in_flight, "bench generations")
        self.hourly = RateLimiter(limits.bench_per_hour, "bench generations", HOUR_S)

    def suite(self, suite: Any, jsonl: Any = None) -> dict[str, Any]:
        """{"suite", "label", "problems": [{task_id, prompt, entry_point, tests}]} of a built-in suite, or of
        a visitor's JSONL text (`jsonl`; `suite` is then its name), checked whole before anything runs."""
        if jsonl not in (None, ""):
            name = str(suite or "upload")[:120]
            problems = parse_suite(jsonl)
            label = f"{name} ({len(problems)} problems)"
        else:
            if not isinstance(suite, str):
                raise UserError(f"suite must be a name: one of {', '.join(SUITES)}")
            name, problems, label = suite, load_suite(suite), SUITES.get(suite, suite)
        return {"suite": name, "label": label, "problems": [p.as_dict() for p in problems]}

    def lanes_info(self) -> dict[str, dict[str, Any]]:
        """What the page shows and runs per lane: names, role, model, engine, requests in flight."""
        config = self.lanes.config
        return {
            name: {
                "display_name": lane.display_name,
                "role": lane.role,
                "model": lane.model,
                "engine": self.lanes.engines.engines[name].name,
                "in_flight": min(default_in_flight(lane), self.in_flight.limit),
            }
            for name, lane in config.lanes.items()
        }

    async def generate(self, problem: Any, lane: Any, settings: Any, client: str = "local") -> dict[str, Any]:
        """One problem on one lane: {"task_id", "lane", "model", "text", "reasoning", "code", "tests",
        "stats", "error"}. `code` is the whole program to check (tests excluded): `code + "\\n" + tests`
        runs the check. A problem of the lane (its engine, its context) is `error`, with `code` empty."""
        found = resolve_problem(problem)
        (name,) = self.lanes.resolve_lanes([lane], allow_empty=False)
        settings = self.lanes.check_settings(settings)
        cfg = self.lanes.config.lanes[name]
        prompt = check_text(lane_prompt(found, cfg), "prompt", self.lanes.limits.max_prompt_chars)
        with self.in_flight.hold(client):
            self.hourly.check(client)
            answer = await self.lanes.answer(name, prompt, bench_settings(settings, name, cfg))
        return {
            "task_id": found.task_id,
            "lane": name,
            "model": cfg.model,
            "text": answer["text"],
            "reasoning": answer["reasoning"],
            "code": "" if answer["error"] else program(found, cfg.role, answer["text"]),
            "tests": found.check_code,
            "stats": answer["stats"],
            "error": answer["error"],
        }
