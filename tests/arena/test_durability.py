"""Votes survive a SIGKILL as shares do: every vote whose call returned is in the database afterwards.

Two ways: writer children (tests/arena/vote_writer.py) killed at random moments while they vote, as
tests/test_store.py does for shares; and the app itself (`app.py` on the tiny model) killed right after a
battle and its vote through the API, then started again on the same file.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from seedui.arena import records
from seedui.store import Store
from tests.arena import vote_writer
from tests.conftest import ROOT, api_call, free_port
from tests.test_store import kill_writers_at_random

VOTE_WRITER = Path(vote_writer.__file__)


def test_every_returned_vote_survives_sigkill(tmp_path: Path) -> None:
    db = tmp_path / "votes.sqlite3"
    printed, seed = kill_writers_at_random(db, VOTE_WRITER)
    with Store(db) as store:
        assert store.integrity_check() == "ok"
        for n, battle_id in printed.items():
            battle = records.get_battle(store, battle_id)
            assert battle is not None, f"battle {battle_id} (n={n}) lost after SIGKILL (seed {seed})"
            assert battle.choice == vote_writer.choice_for(n), f"vote of battle {battle_id} (n={n}), seed {seed}"
            assert battle.answers == vote_writer.answers_for(n)
            assert battle.prompt == f"prompt {n}" and battle.state == "done"
        assert records.count_battles(store)["votes"] >= len(printed)


class AppProcess:
    """`app.py` on the tiny profile in its own process group, on `db`."""

    def __init__(self, tmp_path: Path, db: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = tmp_path / f"app-{self.port}.log"
        cmd = [sys.executable, "app.py", "--profile", "tiny", "--port", str(self.port), "--db", str(db)]
        # Not the test run's SEEDUI_* variables (e.g. SEEDUI_SKIP_VLLM): the app would read them as settings.
        env = {k: v for k, v in os.environ.items() if not k.startswith("SEEDUI_")} | {"PYTHONUNBUFFERED": "1"}
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_ready(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            assert time.monotonic() < deadline, f"the app did not get ready:\n{self.log.read_text()[-3000:]}"
            try:
                if httpx.get(f"{self.url}seedui/ready", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)

    def call(self, api: str, *args: Any) -> Any:
        status, result = api_call(self.url, api, json.dumps(list(args)), timeout=300)
        assert status == "complete", result
        return result

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)


@pytest.mark.e2e
def test_a_vote_survives_a_sigkill_of_the_server(tmp_path: Path) -> None:
    db = tmp_path / "seedui.sqlite3"
    app = AppProcess(tmp_path, db)
    try:
        app.wait_ready()
        battle = app.call("battle", "Say hello.", {"max_tokens": 4, "seed": 1})
        assert battle["votable"], battle
        made = app.call("vote", battle["battle_id"], "b", None)
        os.killpg(app.proc.pid, signal.SIGKILL)  # at once after the vote's answer: no shutdown, no checkpoint
        assert app.proc.wait(30) == -signal.SIGKILL
    finally:
        app.kill()

    again = AppProcess(tmp_path, db)
    try:
        again.wait_ready()
        board = again.call("leaderboard", False)
        assert board["total_votes"] == 1
        assert {row["model"] for row in board["models"]} == {made["a"]["display_name"], made["b"]["display_name"]}
        with pytest.raises(AssertionError, match="it has its vote already"):
            again.call("vote", battle["battle_id"], "a", None)
    finally:
        again.kill()
    with Store(db) as store:
        (row,) = records.voted_battles(store)
    assert row["battle_id"] == battle["battle_id"] and row["choice"] == "b"
    assert row["answers"]["a"]["text"] == battle["a"]["text"]
