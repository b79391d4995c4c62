"""Battles and votes (seedui/arena/battles.py) over a real LaneService and SQLite, with scripted engines.

`NamedEngine` is a test double for the engine protocol (not a model): each lane's engine streams fixed
chunks and has a name of its own, so that any identity leaking into a battle's updates can be searched
for. Real models battle in tests/api/test_arena.py and tests/ui/test_arena_browser.py.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from seedui.arena import records
from seedui.arena.battles import Arena, BattleError, BattleNotFound, VoteRefused
from seedui.config import LaneConfig, load_config
from seedui.engines.base import Chunk, EngineStatus, GenerationRequest
from seedui.engines.engine_set import EngineSet
from seedui.errors import EngineError, UserError
from seedui.limits import RateLimited
from seedui.service import LaneService
from seedui.store import Store
from tests.conftest import run_async

TINY = load_config(profile="tiny", environ={})
ANSWER = "Here it is:\n```python\ndef add(a, b):\n    return a + b\n```\n"


class NamedEngine:
    """Test double: streams `script` (Chunks, or an exception to raise); `gate` holds it before its end."""

    def __init__(self, name: str, script: list[Chunk | Exception], state: str = "ready") -> None:
        self.name = name
        self.script = script
        self.status = EngineStatus(state)  # type: ignore[arg-type]
        self.requests: list[GenerationRequest] = []

    async def start(self) -> None:
        pass

    async def count_prompt_tokens(self, request: GenerationRequest) -> int | None:
        return 5

    async def stream(self, request: GenerationRequest) -> AsyncIterator[Chunk]:
        self.requests.append(request)
        for item in self.script:
            if isinstance(item, Exception):
                raise item
            yield item

    async def close(self) -> None:
        pass


def answer(text: str = ANSWER, reasoning: str = "") -> list[Chunk | Exception]:
    return [Chunk(reasoning=reasoning), Chunk(text=text, completion_tokens=12), Chunk(finish_reason="stop")]


def lane(name: str, role: str = "instruct") -> LaneConfig:
    return LaneConfig(
        role=role,  # type: ignore[arg-type]
        display_name=f"Display-{name}",
        model=f"org/model-{name}",
        engine="openai_http",
        base_url=f"http://host-{name}:8000/v1",
        context_length=4096,
    )


def make_arena(store: Store, scripts: dict[str, list[Chunk | Exception]], seed: int = 0, **kw: Any) -> Arena:
    """An arena over lanes named by `scripts` (a "base" one has the base role), each on its own NamedEngine."""
    lanes = {name: lane(name, "base" if name == "base" else "instruct") for name in scripts}
    config = TINY.model_copy(update={"lanes": lanes})
    engines = {name: NamedEngine(f"engine-{name}", script) for name, script in scripts.items()}
    service = LaneService(config, EngineSet(engines))
    return Arena(service, store, votes_per_minute=kw.pop("votes_per_minute", 1000), rng=random.Random(seed), **kw)


def identities(arena: Arena) -> list[str]:
    """Every string that would tell a lane apart: its name, display name, model, engine and URL."""
    out = []
    for name, cfg in arena.service.config.lanes.items():
        out += [name, cfg.display_name, cfg.model, arena.service.engines.engines[name].name, cfg.base_url or ""]
    return [x for x in out if x]


def battle(arena: Arena, prompt: str = "add two numbers", settings: Any = None) -> list[dict[str, Any]]:
    async def go() -> list[dict[str, Any]]:
        return [update async for update in arena.battle(prompt, settings, "tester")]

    return run_async(go())


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "arena.sqlite3") as s:
        yield s


# --- who battles ----------------------------------------------------------------------------------


def test_only_chat_lanes_battle_and_both_sides_and_every_pair_come_up(store):
    arena = make_arena(store, {"base": answer(), "lane_x": answer(), "lane_y": answer(), "lane_z": answer()}, seed=1)
    assert arena.contestants() == ["lane_x", "lane_y", "lane_z"]
    draws = [arena.draw() for _ in range(300)]
    assert {name for pair in draws for name in pair} == {"lane_x", "lane_y", "lane_z"}
    assert len(set(draws)) == 6  # every ordered pair: each lane is shown on either side
    assert all(a != b for a, b in draws)


def test_a_lane_that_failed_to_start_sits_out_and_too_few_lanes_say_so(store):
    arena = make_arena(store, {"lane_x": answer(), "lane_y": answer(), "lane_z": answer()})
    arena.service.engines.engines["lane_z"].status = EngineStatus("failed", "no server")
    assert {n for _ in range(50) for n in arena.draw()} == {"lane_x", "lane_y"}
    arena.service.engines.engines["lane_y"].status = EngineStatus("failed", "no server")
    with pytest.raises(BattleError, match="needs two models that answer chat prompts; this server has 1"):
        arena.draw()
    with pytest.raises(BattleError, match="has 1"):
        battle(arena)
    assert records.count_battles(store) == {"votes": 0}  # a refused battle leaves no row


# --- the blindfold --------------------------------------------------------------------------------


def test_updates_before_the_vote_carry_no_identity_stats_or_thinking(store):
    arena = make_arena(store, {"lane_x": answer(reasoning="I am model x, thinking"), "lane_y": answer("plain answer")})
    updates = battle(arena)
    wire = json.dumps(updates[:-1]) + json.dumps({k: v for k, v in updates[-1].items() if k != "reveal"})
    for secret in [*identities(arena), "I am model x", "tokens_per_s", "ttft", "finish_reason", "reasoning"]:
        assert secret not in wire, secret
    last = updates[-1]
    assert last["done"] and last["votable"] and last["reveal"] is None
    assert {last["a"]["text"], last["b"]["text"]} == {ANSWER, "plain answer"}
    assert set(last["a"]) == {"text", "done", "status", "error"}
    assert len({u["battle_id"] for u in updates}) == 1


def test_a_failing_side_does_not_stop_the_other_and_voids_the_battle(store):
    boom = EngineError("Display-lane_y is not ready at http://host-lane_y:8000/v1 (engine-lane_y)")
    arena = make_arena(store, {"lane_x": answer(), "lane_y": [Chunk(text="partial "), boom]})
    updates = battle(arena)
    before_end = json.dumps(updates[:-1])
    for secret in identities(arena):
        assert secret not in before_end, secret
    last = updates[-1]
    failed = "a" if last["a"]["error"] else "b"
    other = "b" if failed == "a" else "a"
    assert last[other]["text"] == ANSWER and last[other]["error"] is None
    assert last[failed]["error"] == f"Model {failed.upper()} could not answer; why is shown when the battle ends"
    assert not last["votable"] and "could not answer, so this battle cannot be voted on" in last["note"]
    assert last["reveal"][failed]["error"] == str(boom)  # void: nothing to vote on, so the sides are shown
    assert last["reveal"][failed]["lane"] == "lane_y"
    with pytest.raises(VoteRefused, match="a side could not answer"):
        arena.vote(last["battle_id"], "a")


def test_a_waiting_side_says_only_that_it_waits(store):
    arena = make_arena(store, {"lane_x": answer(), "lane_y": answer()})
    engine = arena.service.engines.engines["lane_y"]
    engine.status = EngineStatus("starting", "vLLM is loading org/model-lane_y", ["INFO loading org/model-lane_y"])

    async def go() -> list[dict[str, Any]]:
        out = []
        async for update in arena.battle("hi", None, "t"):
            out.append(update)
            if any(update[s]["status"] for s in "ab"):
                engine.status = EngineStatus("ready")
        return out

    updates = run_async(go())
    waiting = [u[s]["status"] for u in updates for s in "ab" if u[s]["status"]]
    assert waiting and set(waiting) == {"waiting for the model to start"}
    assert "model-lane_y" not in json.dumps(updates[:-1])
    assert updates[-1]["votable"]


# --- settings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"lane_x": {"temperature": 0.1}}, "per-lane settings ('lane_x') are not allowed in a battle"),
        ({"system_prompt": "be terse"}, "a battle takes no system prompt"),
        ({"temperature": 9}, "invalid battle settings: temperature"),
        ({"colour": 1}, "invalid battle settings: colour: unknown setting"),
        ("hot", "settings must be a JSON object"),
    ],
)
def test_settings_apply_to_both_sides_alike(store, settings, message):
    arena = make_arena(store, {"lane_x": answer(), "lane_y": answer()})
    with pytest.raises(UserError, match=re.escape(message)) as info:
        battle(arena, settings=settings)
    for secret in ("Display-", "model-", "engine-"):
        assert secret not in str(info.value)


def test_shared_settings_reach_both_engines(store):
    arena = make_arena(store, {"lane_x": answer(), "lane_y": answer()})
    battle(arena, settings={"temperature": 0.3, "max_tokens": 7})
    for engine in arena.service.engines.engines.values():
        assert engine.requests[-1].sampling.temperature == 0.3 and engine.requests[-1].sampling.max_tokens == 7


def test_an_oversized_prompt_is_refused_before_anything_runs(store):
    arena = make_arena(store, {"lane_x": answer(), "lane_y": answer()})
    with pytest.raises(BattleError, match="over 64 KB"):
        battle(arena, prompt="€" * 31_000)  # 31,000 characters (under max_prompt_chars), 93,000 bytes
    assert records.count_battles(store) == {"votes": 0}


# --- storage and the vote ------------------------------------------------------------------------


def test_a_battle_is_stored_with_its_sides_and_answers_and_the_vote_reveals_them(store):
    arena = make_arena(store, {"lane_x": answer(reasoning="hmm"), "lane_y": answer("no code here")})
    last = battle(arena, settings={"max_tokens": 9})[-1]
    stored = records.get_battle(store, last["battle_id"])
    assert stored.state == "done" and stored.choice is None and stored.prompt == "add two numbers"
    assert stored.settings == {"max_tokens": 9}
    assert {stored.sides[s]["lane"] for s in "ab"} == {"lane_x", "lane_y"}
    x_side = "a" if stored.sides["a"]["lane"] == "lane_x" else "b"
    assert stored.answers[x_side]["reasoning"] == "hmm" and stored.answers[x_side]["stats"]["completion_tokens"]

    checks = {"tests": "assert add(1, 2) == 3", "a": {"status": "pass", "detail": "", "durationMs": 12}}
    made = arena.vote(last["battle_id"], "b", "tester", checks)
    assert made["choice"] == "b"
    assert made[x_side]["display_name"] == "Display-lane_x" and made[x_side]["engine"] == "engine-lane_x"
    assert made[x_side]["model"] == "org/model-lane_x" and made[x_side]["reasoning"] == "hmm"
    assert made[x_side]["stats"]["completion_tokens"] == 12
    assert records.get_battle(store, last["battle_id"]).choice == "b"
    (row,) = records.voted_battles(store)
    assert row["checks"] == checks and row["choice"] == "b"
    assert row["model_a"] == stored.sides["a"]["display_name"]
    with store.reading() as conn:
        features = conn.execute(
            "SELECT length_a, length_b, code_blocks_a, code_blocks_b FROM battles WHERE id = ?", (last["battle_id"],)
        ).fetchone()
    lengths = {s: len(last[s]["text"]) for s in "ab"}
    assert features == (lengths["a"], lengths["b"], int(x_side == "a"), int(x_side == "b"))


def test_one_vote_per_battle_and_clear_refusals(store):
    arena = make_arena(store, {"lane_x": answer(), "lane_y": answer()})
    battle_id = battle(arena)[-1]["battle_id"]
    arena.vote(battle_id, "tie")
    with pytest.raises(VoteRefused, match=f"battle '{battle_id}' takes no vote: it has its vote already"):
        arena.vote(battle_id, "a")
    with pytest.raises(BattleNotFound, match="battle 'AAAAAAAAAAAAAAAAAAAA' not found: start a battle"):
        arena.vote("A" * 20, "a")
    with pytest.raises(BattleNotFound, match="a battle id is 16 to 64 letters"):
        arena.vote("'; DROP TABLE votes; --", "a")
    with pytest.raises(BattleNotFound, match="not found"):
        arena.vote(None, "a")
    with pytest.raises(BattleError, match=r"the vote must be one of 'a' \(A is better\), 'b'.*got 'left'"):
        arena.vote(battle_id, "left")
    with pytest.raises(BattleError, match="invalid execution checks: a.status"):
        arena.vote(battle_id, "a", checks={"a": {"status": "great"}})
    with pytest.raises(BattleError, match="invalid execution checks: c: unknown field"):
        arena.vote(battle_id, "a", checks={"c": {}})
    assert records.get_battle(store, battle_id).choice == "tie"


def test_no_vote_while_running_or_after_a_stop(store):
    arena = make_arena(store, {"lane_x": answer(), "lane_y": answer()})

    async def go() -> tuple[str, str]:
        stream = arena.battle("hi", None, "t")
        first = await anext(stream)
        try:
            arena.vote(first["battle_id"], "a")
        except VoteRefused as exc:
            running = str(exc)
        await stream.aclose()  # Stop: the visitor cancelled it
        return first["battle_id"], running

    battle_id, running = run_async(go())
    assert "it is still running: vote once both answers are complete" in running
    assert records.get_battle(store, battle_id).state == "stopped"
    with pytest.raises(VoteRefused, match="it was stopped before both answers were complete"):
        arena.vote(battle_id, "a")


def test_votes_are_rate_limited_per_client_and_a_refused_vote_costs_nothing(store):
    now = [0.0]
    arena = make_arena(store, {"lane_x": answer(), "lane_y": answer()}, votes_per_minute=2, clock=lambda: now[0])
    ids = [battle(arena)[-1]["battle_id"] for _ in range(3)]
    arena.vote(ids[0], "a", "alice")
    with pytest.raises(VoteRefused):
        arena.vote(ids[0], "a", "alice")  # refused: it does not count
    arena.vote(ids[1], "a", "alice")
    with pytest.raises(RateLimited, match="too many votes from this client: 2 per minute"):
        arena.vote(ids[2], "a", "alice")
    arena.vote(ids[2], "a", "bob")
    now[0] = 61.0
    assert records.count_battles(store)["votes"] == 3


# --- the board --------------------------------------------------------------------------------------


def test_the_board_refits_only_when_votes_arrive(store):
    arena = make_arena(store, {"lane_x": answer(), "lane_y": answer()})
    board = arena.board
    assert board.as_dict()["total_votes"] == 0
    fits = board.fits
    board.as_dict()
    assert board.fits == fits  # no new vote: the cached board
    for choice in ("a", "a", "b"):
        arena.vote(battle(arena)[-1]["battle_id"], choice)
    table = board.as_dict()
    assert board.fits == fits + 1 and table["total_votes"] == 3
    for _ in range(3):
        assert board.as_dict() == table
    assert board.fits == fits + 1
    styled = board.as_dict(style_control=True)
    assert styled["style_control"] and set(styled["style"]) == {"length", "code_blocks"}
    assert board.fits == fits + 2
    assert {row["model"] for row in table["models"]} == {"Display-lane_x", "Display-lane_y"}
    assert sum(row["votes"] for row in table["models"]) == 6 and table["decided_votes"] == 3


def test_the_export_reads_every_vote_in_pages_oldest_first(store):
    arena = make_arena(store, {"lane_x": answer(), "lane_y": answer()})
    ids = []
    for choice in ("a", "b", "tie", "both_bad", "a"):
        ids.append(battle(arena)[-1]["battle_id"])
        arena.vote(ids[-1], choice)
    battle(arena)  # not voted on: not exported
    rows = list(records.voted_battles(store, page=2))
    assert [r["battle_id"] for r in rows] == ids
    assert [r["choice"] for r in rows] == ["a", "b", "tie", "both_bad", "a"]
    assert rows == list(records.voted_battles(store))
