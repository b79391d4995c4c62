"""The arena's rows in SQLite (tables: seedui/store.py, migration 2): battles, votes, and what is read back.

A battle row is written when its first answer snapshot is ready (so a request
refused for its prompt or its rate never makes one), finished once both
answers are complete, and voted on at most once: the votes table's key is the
battle id, and the check that the battle is finished and the insert run in one
transaction. Which model was shown on which side lives here and nowhere the
page can read before the vote.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from seedui.arena.ratings import Vote
from seedui.store import Store

State = Literal["running", "done", "void", "stopped"]
VoteResult = Literal["ok", "missing", "running", "void", "stopped", "voted"]


def to_json(data: Any) -> str:
    """Compact JSON, key order kept (a lane dict reads as it streamed)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


@dataclass(frozen=True)
class Battle:
    id: str
    created_at: float
    prompt: str
    settings: dict[str, Any]
    sides: dict[str, dict[str, Any]]  # "a"/"b" -> {lane, display_name, model, engine}
    state: State
    reason: str | None
    answers: dict[str, dict[str, Any]] | None  # "a"/"b" -> the lane dict the fan-out made
    choice: str | None  # the vote, if any


@dataclass(frozen=True)
class Features:
    """Per side, what style control weighs: the answer's length and its number of code blocks."""

    length_a: int
    length_b: int
    code_blocks_a: int
    code_blocks_b: int


def insert_battle(store: Store, battle: Battle, size: int) -> None:
    """Record a battle that has started; raises sqlite3.IntegrityError if the id exists."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO battles (id, created_at, prompt, settings, sides, model_a, model_b, state, size)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?)",
            (
                battle.id,
                battle.created_at,
                battle.prompt,
                to_json(battle.settings),
                to_json(battle.sides),
                battle.sides["a"]["display_name"],
                battle.sides["b"]["display_name"],
                size,
            ),
        )


def finish_battle(
    store: Store,
    battle_id: str,
    *,
    state: State,
    finished_at: float,
    answers: dict[str, Any] | None = None,
    reason: str | None = None,
    features: Features | None = None,
) -> None:
    """End a running battle: done (votable), void (a side failed) or stopped. A finished one is left as it is."""
    answers_json = to_json(answers) if answers is not None else None
    f = features or Features(0, 0, 0, 0)
    with store.transaction() as conn:
        conn.execute(
            "UPDATE battles SET state = ?, reason = ?, answers = ?, finished_at = ?, length_a = ?, length_b = ?,"
            " code_blocks_a = ?, code_blocks_b = ?, size = size + ? WHERE id = ? AND state = 'running'",
            (
                state,
                reason,
                answers_json,
                finished_at,
                f.length_a,
                f.length_b,
                f.code_blocks_a,
                f.code_blocks_b,
                len(answers_json.encode("utf-8")) if answers_json else 0,
                battle_id,
            ),
        )


def get_battle(store: Store, battle_id: str) -> Battle | None:
    with store.reading() as conn:
        row = conn.execute(
            "SELECT b.id, b.created_at, b.prompt, b.settings, b.sides, b.state, b.reason, b.answers, v.choice"
            " FROM battles b LEFT JOIN votes v ON v.battle_id = b.id WHERE b.id = ?",
            (battle_id,),
        ).fetchone()
    if row is None:
        return None
    id_, created_at, prompt, settings, sides, state, reason, answers, choice = row
    return Battle(
        id_,
        created_at,
        prompt,
        json.loads(settings),
        json.loads(sides),
        state,
        reason,
        json.loads(answers) if answers else None,
        choice,
    )


def add_vote(store: Store, battle_id: str, choice: str, created_at: float, checks: Any = None) -> VoteResult:
    """Record the battle's vote if it is finished and has none: "ok", or why not (the battle's state, or "voted")."""
    with store.transaction() as conn:
        row = conn.execute("SELECT state FROM battles WHERE id = ?", (battle_id,)).fetchone()
        if row is None:
            return "missing"
        if row[0] != "done":
            return row[0]
        try:
            conn.execute(
                "INSERT INTO votes (battle_id, created_at, choice, checks) VALUES (?, ?, ?, ?)",
                (battle_id, created_at, choice, to_json(checks) if checks is not None else None),
            )
        except sqlite3.IntegrityError:
            return "voted"
    return "ok"


def votes_version(store: Store) -> tuple[int, float | None]:
    """Changes whenever a vote is added: (number of votes, time of the latest). Cheap: the board's cache key."""
    with store.reading() as conn:
        count, latest = conn.execute("SELECT count(*), max(created_at) FROM votes").fetchone()
    return int(count), latest


def rated_votes(store: Store) -> list[Vote]:
    """Every vote as the ratings take it, oldest first."""
    with store.reading() as conn:
        rows = conn.execute(
            "SELECT b.model_a, b.model_b, v.choice, b.length_a, b.length_b, b.code_blocks_a, b.code_blocks_b"
            " FROM votes v JOIN battles b ON b.id = v.battle_id ORDER BY v.created_at, v.battle_id"
        ).fetchall()
    return [Vote(a, b, choice, la or 0, lb or 0, ca or 0, cb or 0) for a, b, choice, la, lb, ca, cb in rows]


def voted_battles(store: Store, page: int = 200) -> Iterator[dict[str, Any]]:
    """Every voted battle, oldest vote first, as one JSON-ready dict each (the host's export).

    Read `page` rows at a time, so a long export neither holds the database nor all of it in memory.
    """
    after: tuple[float, str] = (float("-inf"), "")
    while True:
        with store.reading() as conn:
            rows = conn.execute(
                "SELECT b.id, b.created_at, b.prompt, b.settings, b.sides, b.answers, v.created_at, v.choice,"
                " v.checks FROM votes v JOIN battles b ON b.id = v.battle_id"
                " WHERE (v.created_at, v.battle_id) > (?, ?) ORDER BY v.created_at, v.battle_id LIMIT ?",
                (*after, page),
            ).fetchall()
        for id_, started, prompt, settings, sides, answers, voted, choice, checks in rows:
            sides = json.loads(sides)
            yield {
                "battle_id": id_,
                "started_at": started,
                "voted_at": voted,
                "prompt": prompt,
                "settings": json.loads(settings),
                "model_a": sides["a"]["display_name"],
                "model_b": sides["b"]["display_name"],
                "choice": choice,
                "sides": sides,
                "answers": json.loads(answers) if answers else None,
                "checks": json.loads(checks) if checks else None,
            }
        if len(rows) < page:
            return
        after = (rows[-1][6], rows[-1][0])


def count_battles(store: Store) -> dict[str, int]:
    """Battles by state, and votes."""
    with store.reading() as conn:
        out = {state: n for state, n in conn.execute("SELECT state, count(*) FROM battles GROUP BY state")}
        out["votes"] = int(conn.execute("SELECT count(*) FROM votes").fetchone()[0])
    return out
