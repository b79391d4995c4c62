"""A TEST DOUBLE for a model on HumanEval: an OpenAI-compatible stand-in server (tests/engines/
fake_openai_server.py) that answers each problem with its canonical solution, or with `return None`.

It knows the problem from the request: a completion request (a Base lane) carries the prompt itself and
gets the function's body; a chat request (Instruct, Reasoning) carries it inside the instruction and gets
the whole function in a fenced block, with prose around it, as chat models answer. It generates nothing:
it is for checking the Bench's plumbing (requests, extraction, checks, scores), not any model.
"""

from __future__ import annotations

from typing import Any, Literal

from seedui.evals.suites import Problem, load_suite
from tests.engines.fake_openai_server import FakeServer

Answers = Literal["canonical", "none"]
MODEL = "humaneval-double"


def _body(problem: Problem, answers: Answers) -> str:
    return (problem.canonical_solution or "") if answers == "canonical" else "    return None\n"


def answerer(answers: Answers, problems: tuple[Problem, ...] | None = None) -> Any:
    """request body -> the words to stream, for `FakeHTTPServer.answer`."""
    problems = problems or load_suite("humaneval")
    by_prompt = {p.prompt: p for p in problems}

    def answer(body: dict[str, Any]) -> list[str]:
        if "messages" not in body:
            problem = by_prompt[body["prompt"]]
            text = _body(problem, answers)
        else:
            asked = body["messages"][-1]["content"]
            problem = next(p for p in problems if p.prompt.strip() in asked)
            code = problem.prompt + _body(problem, answers)
            text = f"Here is the function:\n```python\n{code}```\nIt passes the examples."
        return [text[i : i + 40] for i in range(0, len(text), 40)]

    return answer


def humaneval_double(answers: Answers = "canonical") -> FakeServer:
    """The stand-in server on a free port, serving model `MODEL`; close() it."""
    server = FakeServer(models=(MODEL,))
    server.httpd.answer = answerer(answers)
    return server


def lanes_on(server: FakeServer, lanes: tuple[str, ...] = ("base", "instruct", "reasoning")) -> dict[str, Any]:
    """Config values (for tests.conftest.tiny_config) that point the tiny profile's lanes at `server`."""
    values: dict[str, Any] = {}
    for lane in lanes:
        values |= {f"lanes.{lane}.engine": "openai_http", f"lanes.{lane}.base_url": server.base_url}
        values |= {f"lanes.{lane}.model": MODEL, f"lanes.{lane}.served_model_name": MODEL}
    return values
