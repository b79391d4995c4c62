"""/battle, /vote and /leaderboard through gradio_client and raw HTTP on the real app (tiny model), and a
battle in which one side's server fails (the other side is the real model; the failing one is the STAND-IN
server of tests/engines/fake_openai_server.py, answering HTTP 500)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gradio_client.exceptions import AppError

from seedui.webapp import build_app
from tests.conftest import api_call, serving, tiny_config
from tests.engines.fake_openai_server import FakeServer

pytestmark = pytest.mark.e2e

SETTINGS = {"max_tokens": 12, "seed": 3}


def identity_strings(app: Any) -> list[str]:
    """What would tell the sides apart: display names, models, engine names, and stats' names."""
    out = ["tok/s", "TTFT", "ttft_s", "tokens_per_s", "completion_tokens", "finish_reason", "reasoning_s"]
    for name, lane in app.config.lanes.items():
        out += [lane.display_name, lane.model, lane.model.split("/")[-1], app.engines.engines[name].name]
        out += [f'"{name}"', lane.base_url or ""]
    return [x for x in out if x]


def raw_battle(url: str, prompt: str, settings: dict) -> tuple[list[str], list[dict]]:
    """POST /battle and read its SSE stream as text: every line as sent, and each update streamed."""
    base = f"{url.rstrip('/')}/gradio_api/call/battle"
    with httpx.Client(timeout=300) as http:
        event_id = http.post(base, json={"data": [prompt, settings]}).json()["event_id"]
        with http.stream("GET", f"{base}/{event_id}") as stream:
            lines = list(stream.iter_lines())
    updates, event = [], None
    for line in lines:
        if line.startswith("event: "):
            event = line[len("event: ") :]
        elif line.startswith("data: ") and event in ("generating", "complete"):
            updates.append(json.loads(line[len("data: ") :])[0])
    assert event == "complete", lines[-6:]
    return lines, updates


def test_a_battle_streams_anonymous_answers_and_the_vote_reveals_them(seedui_app, app_url, client):
    lines, updates = raw_battle(app_url, "Write a Python function that reverses a string.", SETTINGS)
    last = updates[-1]
    wire = "\n".join(lines)
    for secret in identity_strings(seedui_app):
        assert secret not in wire, f"{secret!r} reached the client before the vote"
    assert last["done"] and last["votable"] and last["reveal"] is None and last["note"] == ""
    assert last["a"]["text"] and last["b"]["text"] and last["a"]["error"] is None

    made = client.predict(last["battle_id"], "tie", None, api_name="/vote")
    assert made["battle_id"] == last["battle_id"] and made["choice"] == "tie"
    lanes = seedui_app.config.lanes
    chat = {lane.display_name for lane in lanes.values() if lane.chats}
    assert {made["a"]["display_name"], made["b"]["display_name"]} == chat  # the tiny profile's two chat lanes
    engines = {lanes[name].display_name: engine.name for name, engine in seedui_app.engines.engines.items()}
    for side in "ab":
        assert made[side]["text"] == last[side]["text"]
        assert made[side]["stats"]["completion_tokens"]
        assert made[side]["engine"] == engines[made[side]["display_name"]]  # the lane's own engine, revealed

    with pytest.raises(AppError, match="takes no vote: it has its vote already: one vote per battle"):
        client.predict(last["battle_id"], "a", None, api_name="/vote")
    board = client.predict(False, api_name="/leaderboard")
    assert board["total_votes"] >= 1 and {row["model"] for row in board["models"]} >= chat
    assert set(board["models"][0]) == {"rank", "model", "rating", "ci_low", "ci_high", "votes"}


@pytest.mark.parametrize(
    "api, data, fragment",
    [
        ("vote", '["AAAAAAAAAAAAAAAAAAAAAA", "a", null]', "battle 'AAAAAAAAAAAAAAAAAAAAAA' not found"),
        ("vote", '["../../etc/passwd", "a", null]', "a battle id is 16 to 64 letters"),
        ("vote", '["AAAAAAAAAAAAAAAAAAAAAA", "left", null]', "the vote must be one of 'a' (A is better)"),
        ("vote", '["AAAAAAAAAAAAAAAAAAAAAA", "a", {"a": {"status": "won"}}]', "invalid execution checks"),
        ("battle", '["", null]', "the prompt is empty"),
        ("battle", '["hi", {"instruct": {"temperature": 0.1}}]', "per-lane settings ('instruct') are not allowed"),
        ("battle", '["hi", {"system_prompt": "x"}]', "a battle takes no system prompt"),
        ("battle", '["hi", {"temperature": -1}]', "invalid battle settings: temperature"),
        ("battle", '["hi", [1, 2]]', "settings must be a JSON object"),
        ("leaderboard", '["yes please"]', ""),
    ],
)
def test_bad_input_is_refused_with_its_message(app_url, api, data, fragment):
    status, result = api_call(app_url, api, data)
    if api == "leaderboard":  # Gradio coerces a checkbox's value; any answer is the table, not a crash
        assert status == "complete" and "models" in result
        return
    assert status == "error" and fragment in str(result), result


# --- a side that fails --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def half_broken_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, FakeServer]]:
    """Two chat lanes: the tiny model (instruct) and a remote server that answers every generation with 500."""
    server = FakeServer(models=("remote-model",))
    server.httpd.plan = {"status": 500, "message": "remote-model crashed (stand-in failure)"}
    values = {
        "lanes.reasoning.role": "instruct",
        "lanes.reasoning.engine": "openai_http",
        "lanes.reasoning.base_url": server.base_url,
        "lanes.reasoning.model": "remote-model",
        "lanes.reasoning.display_name": "Remote Model Z",
    }
    app = build_app(tiny_config(tmp_path_factory.mktemp("broken"), **values))
    try:
        with serving(app):
            yield app, server
    finally:
        server.close()


def test_one_failing_side_does_not_stop_the_other_and_the_battle_is_void(half_broken_app):
    app, _ = half_broken_app
    _, updates = raw_battle(app.blocks.local_url, "Say hello in one sentence.", SETTINGS)
    last = updates[-1]
    streaming = json.dumps([u for u in updates if not u["done"]])  # the last update ends the void battle
    assert streaming.count('"battle_id"') >= 1
    for secret in ["Remote Model Z", "remote-model", "crashed", "SmolLM2", "transformers"]:
        assert secret not in streaming, secret
    failed = "a" if last["a"]["error"] else "b"
    other = "b" if failed == "a" else "a"
    assert last[other]["error"] is None and last[other]["text"].strip()  # the real model answered in full
    assert last[failed]["error"] == f"Model {failed.upper()} could not answer; why is shown when the battle ends"
    assert not last["votable"] and last["note"].startswith(f"Model {failed.upper()} could not answer")
    assert last["reveal"][failed]["display_name"] == "Remote Model Z"
    assert "remote-model crashed" in last["reveal"][failed]["error"]
    status, message = api_call(app.blocks.local_url, "vote", json.dumps([last["battle_id"], "a", None]))
    assert status == "error" and "takes no vote: a side could not answer" in message


def test_the_export_cli_writes_every_vote(seedui_app, client, tmp_path: Path):
    from seedui.arena.export import main

    last = raw_battle(seedui_app.blocks.local_url, "Print 1.", SETTINGS)[1][-1]
    client.predict(last["battle_id"], "b", {"tests": "assert True", "a": {"status": "pass"}}, api_name="/vote")
    out = tmp_path / "votes.jsonl"
    assert main(["--db", str(seedui_app.config.db_path), "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    mine = [r for r in rows if r["battle_id"] == last["battle_id"]]
    assert len(mine) == 1 and mine[0]["choice"] == "b" and mine[0]["prompt"] == "Print 1."
    assert mine[0]["checks"] == {"tests": "assert True", "a": {"status": "pass", "detail": "", "durationMs": 0.0}}
    assert mine[0]["answers"]["a"]["text"] == last["a"]["text"]
    assert mine[0]["model_a"] == mine[0]["sides"]["a"]["display_name"]
    assert main(["--db", str(tmp_path / "none.sqlite3")]) == 2
