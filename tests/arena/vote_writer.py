"""Child process for the vote durability test: finishes battles and votes on them until it is killed.

    python tests/arena/vote_writer.py DB_PATH START THREADS

Each thread takes the next counter value n (from START), stores a finished battle derived from n
(`make_battle(n)`), votes `choice_for(n)` on it through `Arena.vote` and, only after the vote returned,
prints "n battle_id" on one line (flushed). The test kills this process with SIGKILL and then checks that
every printed vote is in the database, with its battle, exactly.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from seedui.arena import records  # noqa: E402
from seedui.arena.battles import Arena  # noqa: E402
from seedui.config import load_config  # noqa: E402
from seedui.engines.engine_set import EngineSet  # noqa: E402
from seedui.service import LaneService  # noqa: E402
from seedui.store import Store  # noqa: E402
from tests.share_writer import write_until_killed  # noqa: E402

CHOICES = ("a", "b", "tie", "both_bad")


def make_battle(n: int, battle_id: str) -> records.Battle:
    """A running battle derived from n alone."""
    sides = {
        side: {"lane": f"lane{n % 3}{side}", "display_name": f"model-{(n + k) % 4}", "model": "m", "engine": "e"}
        for k, side in enumerate("ab")
    }
    return records.Battle(battle_id, 1000.0 + n, f"prompt {n}", {"max_tokens": n % 500 + 1}, sides, "running",
                          None, None, None)  # fmt: skip


def answers_for(n: int) -> dict:
    """Its answers; their sizes vary, so writes span pages."""
    body = f"x_{n} = {n}  # é ✓\n" * ((n * 7919) % 2_000)
    return {
        "a": {"text": f"```python\n{body}```\n", "reasoning": "", "stats": {"n": n}, "error": None},
        "b": {"text": f"answer {n}", "reasoning": f"thinking {n}", "stats": {}, "error": None},
    }


def choice_for(n: int) -> str:
    return CHOICES[n % 4]


def main() -> None:
    db_path, start, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    store = Store(db_path)
    service = LaneService(load_config(profile="tiny", environ={}), EngineSet({}))  # no model runs here
    arena = Arena(service, store, votes_per_minute=10**9)

    def write(n: int) -> str:
        battle = make_battle(n, secrets.token_urlsafe(12))
        records.insert_battle(store, battle, size=1)
        records.finish_battle(store, battle.id, state="done", finished_at=2000.0 + n, answers=answers_for(n))
        arena.vote(battle.id, choice_for(n), client="writer")
        return battle.id

    write_until_killed(start, threads, write)


if __name__ == "__main__":
    main()
