"""The leaderboard, refitted when votes have changed and served from a cache otherwise.

The fit with its bootstrap takes from milliseconds (a few votes) to seconds
(tens of thousands); a page load or an API call must not pay that each time.
The cache key is the votes table's version (how many votes, the latest's
time), one cheap query: a vote from this process or another one on the same
file makes the next read refit, and every read until the next vote is free.
"""

from __future__ import annotations

import threading
from typing import Any

from seedui.arena import records
from seedui.arena.ratings import STYLE_FEATURES, Leaderboard, leaderboard
from seedui.store import Store

BOOTSTRAP_ROUNDS = 200


class Board:
    def __init__(self, store: Store, *, rounds: int = BOOTSTRAP_ROUNDS) -> None:
        self.store = store
        self.rounds = rounds
        self.fits = 0  # how many times the ratings were fitted (tests read it)
        self._cache: dict[bool, tuple[Any, Leaderboard]] = {}
        self._lock = threading.Lock()

    def get(self, style_control: bool = False) -> Leaderboard:
        """The current leaderboard; refitted only when a vote has arrived since the last fit."""
        with self._lock:  # one fit at a time; a reader waiting here gets the fit it waited for
            version = records.votes_version(self.store)
            cached = self._cache.get(style_control)
            if cached is not None and cached[0] == version:
                return cached[1]
            board = leaderboard(records.rated_votes(self.store), style_control=style_control, rounds=self.rounds)
            self.fits += 1
            self._cache[style_control] = (version, board)
            return board

    def as_dict(self, style_control: bool = False) -> dict[str, Any]:
        """The current leaderboard as JSON (`to_dict`)."""
        return to_dict(self.get(style_control))


def to_dict(board: Leaderboard) -> dict[str, Any]:
    """A leaderboard as JSON: the table, counts, win rates, position bias, style coefficients."""
    return {
        "models": board.rows(),
        "total_votes": board.total_votes,
        "left_share": board.left_share,
        "decided_votes": board.decided_votes,
        "win_rates": board.win_rates,
        "style_control": board.style_control,
        "style": {name: board.style[name] for name in STYLE_FEATURES if name in board.style},
        "bootstrap_rounds": board.rounds,
    }
