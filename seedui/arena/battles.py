"""Blind battles: one prompt, two lanes drawn at random, shown as Model A and Model B until the vote.

The battle runs through the same service and fan-out as Compare
(`LaneService.compare` with the two drawn lanes): validation, rate limits,
waiting for a lane still loading, and per-lane errors are theirs. What this
module adds is the blindfold. Before the vote, a battle's updates carry only
each side's answer text, whether it is done, and a generic note when it waits
or failed: no lane, model or engine name, no stats (speed tells models apart),
no thinking (a Reasoning model's thinking section gives it away) and no error
text (errors name their lane). Which lane is on which side is kept in the
database (seedui/arena/records.py), keyed by the battle id, and comes back only
in the vote's answer.

Which lanes battle: those that answer a chat prompt (instruct and reasoning
roles, and any remote model configured with one of them). A Base lane only
continues text, as Compare sends it the prompt: its "answer" would lose on
form rather than on its code, and its form would give it away at once.

A battle in which a side failed (its engine down, its context too small) is
void: it cannot be voted on, and its sides are shown with the real errors at
once, since there is no vote left to bias.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from seedui.arena import records
from seedui.arena.board import Board
from seedui.arena.ratings import OUTCOMES
from seedui.errors import UserError, describe_validation_error
from seedui.evals.extract import code_blocks
from seedui.limits import RateLimiter, check_text
from seedui.sampling import SamplingSettings
from seedui.service import LaneService
from seedui.shares import ID_BYTES, MAX_LANE_TEXT_BYTES, MAX_PROMPT_BYTES, SHARE_ID_RE
from seedui.store import Store

log = logging.getLogger(__name__)

SIDES = ("a", "b")
TITLES = {"a": "Model A", "b": "Model B"}
CHOICES = {"a": "A is better", "b": "B is better", "tie": "Tie", "both_bad": "Both are bad"}
assert tuple(CHOICES) == OUTCOMES  # the ratings read the same four outcomes
WAITING = "waiting for the model to start"
MAX_CHECK_DETAIL_CHARS = 8_000
VOTE_WINDOW_S = 60.0


class BattleError(UserError):
    """A battle could not start, or a vote was refused."""


class BattleNotFound(BattleError):
    """No battle has this id."""


class VoteRefused(BattleError):
    """The battle exists but takes no vote now (running, void, stopped, or voted already)."""


class SideCheck(BaseModel):
    """One side's execution check, as the page's "Check the answers" reports it (seedui.run in check mode)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: Literal["pass", "fail", "error", "timeout"]
    detail: str = Field("", max_length=MAX_CHECK_DETAIL_CHARS)
    durationMs: float = Field(0, ge=0)  # noqa: N815 - the page script's name


class Checks(BaseModel):
    """The test code the voter ran against both answers, and each side's result."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tests: str = Field("", max_length=MAX_PROMPT_BYTES)
    a: SideCheck | None = None
    b: SideCheck | None = None


def check_battle_id(battle_id: Any) -> str:
    """The id if it has the form of one (a share id's form), else BattleNotFound before any SQL."""
    if not isinstance(battle_id, str) or not SHARE_ID_RE.fullmatch(battle_id):
        shown = repr(battle_id)[:40]
        raise BattleNotFound(f"battle {shown} not found: a battle id is 16 to 64 letters, digits, '-' or '_'")
    return battle_id


def check_choice(choice: Any) -> str:
    if choice not in CHOICES:
        allowed = ", ".join(f"{k!r} ({v})" for k, v in CHOICES.items())
        raise BattleError(f"the vote must be one of {allowed}; got {repr(choice)[:40]}")
    return choice


def check_checks(checks: Any) -> dict[str, Any] | None:
    if checks is None or checks == {}:
        return None
    try:
        return Checks.model_validate(checks).model_dump(mode="json", exclude_none=True)
    except ValidationError as exc:
        problems = describe_validation_error(exc, unknown="unknown field")
        raise BattleError(f"invalid execution checks: {problems}") from None


class Arena:
    """Battles and votes over a `LaneService` and a `Store`; `board` is the cached leaderboard."""

    def __init__(
        self,
        service: LaneService,
        store: Store,
        *,
        votes_per_minute: int,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.service = service
        self.store = store
        self.board = Board(store)
        self.rng = rng or random.SystemRandom()
        self.votes = RateLimiter(votes_per_minute, "votes", VOTE_WINDOW_S, clock)

    # --- who battles ----------------------------------------------------------------

    def contestants(self) -> list[str]:
        """The lanes that can be drawn: those that answer a chat prompt (see the module doc)."""
        return [name for name, lane in self.service.config.lanes.items() if lane.chats]

    def draw(self) -> tuple[str, str]:
        """Two lanes at random, in random order (the first is shown as A); lanes whose start failed sit out."""
        able = [n for n in self.contestants() if self.service.engines.engines[n].status.state != "failed"]
        if len(able) < 2:
            raise BattleError(
                f"a battle needs two models that answer chat prompts; this server has {len(able)} "
                f"({len(self.contestants())} configured with a chat role, the rest failed to start)"
            )
        first, second = self.rng.sample(able, 2)
        return first, second

    def side(self, name: str) -> dict[str, str]:
        lane = self.service.config.lanes[name]
        engine = self.service.engines.engines[name].name
        return {"lane": name, "display_name": lane.display_name, "model": lane.model, "engine": engine}

    def battle_settings(self, settings: Any) -> dict[str, Any]:
        """A battle's settings apply to both sides alike: no per-lane overrides, no system prompt."""
        settings = self.service.check_settings(settings)
        lanes = [key for key in settings if key in self.service.config.lanes]
        if lanes:
            raise BattleError(
                f"per-lane settings ({lanes[0]!r}) are not allowed in a battle: the sides are anonymous, "
                "so settings apply to both alike"
            )
        if "system_prompt" in settings:
            raise BattleError(
                "a battle takes no system prompt: Reasoning models refuse one, so it would tell the sides apart"
            )
        SamplingSettings.parse(settings, where="battle settings")  # its errors, before a lane is named
        return settings

    # --- a battle ---------------------------------------------------------------------

    async def battle(self, prompt: Any, settings: Any, client: str = "local") -> AsyncIterator[dict[str, Any]]:
        """Stream {"battle_id", "a", "b", "done", "votable", "note", "reveal"} (see `_update`)."""
        prompt = check_text(prompt, "prompt", self.service.limits.max_prompt_chars)
        if len(prompt.encode("utf-8")) > MAX_PROMPT_BYTES:
            raise BattleError(f"the prompt is over {MAX_PROMPT_BYTES // 1024} KB, the most a battle keeps")
        settings = self.battle_settings(settings)
        names = self.draw()
        battle = records.Battle(
            secrets.token_urlsafe(ID_BYTES),
            time.time(),
            prompt,
            settings,
            {side: self.side(name) for side, name in zip(SIDES, names, strict=True)},
            "running",
            None,
            None,
            None,
        )
        stored = ended = False
        last: dict[str, dict[str, Any]] = {}
        try:
            async with aclosing(self.service.compare(prompt, settings, list(names), client)) as stream:
                async for snap in stream:
                    last = {side: snap[name] for side, name in zip(SIDES, names, strict=True)}
                    if not stored:  # only now: a request refused before it ran leaves no row
                        size = len(prompt.encode("utf-8")) + len(records.to_json([settings, battle.sides]))
                        await asyncio.to_thread(records.insert_battle, self.store, battle, size)
                        stored = True
                    yield _update(battle.id, last)
            final = await asyncio.to_thread(self._finish, battle, last)
            ended = True
            yield final
        finally:
            if stored and not ended:  # stopped, or the visitor left: it can never be voted on
                try:
                    records.finish_battle(self.store, battle.id, state="stopped", finished_at=time.time())
                except Exception:
                    log.exception("could not mark battle %s stopped", battle.id)

    def _finish(self, battle: records.Battle, lanes: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """Store the answers; the last update: votable, or void with the sides shown."""
        answers = {side: {k: v for k, v in lane.items() if k != "status"} for side, lane in lanes.items()}
        failed = [side for side in SIDES if answers[side].get("error")]
        large = [
            side
            for side in SIDES
            for part in ("text", "reasoning")
            if len((answers[side].get(part) or "").encode("utf-8")) > MAX_LANE_TEXT_BYTES
        ]
        note = ""
        if failed:
            note = f"{' and '.join(TITLES[s] for s in failed)} could not answer, so this battle cannot be voted on"
        elif large:
            note = f"{TITLES[large[0]]}'s answer is over {MAX_LANE_TEXT_BYTES // 1024} KB, more than a battle keeps"
        texts = {side: answers[side].get("text") or "" for side in SIDES}
        features = records.Features(
            len(texts["a"]), len(texts["b"]), len(code_blocks(texts["a"])), len(code_blocks(texts["b"]))
        )
        records.finish_battle(
            self.store,
            battle.id,
            state="void" if note else "done",
            finished_at=time.time(),
            answers=None if large else answers,
            reason=note or None,
            features=features,
        )
        update = _update(battle.id, lanes, done=True)
        update["votable"] = not note
        update["note"] = note
        if note:  # nothing left to vote on: show who it was, and the real errors
            update["reveal"] = reveal(battle.sides, None if large else answers)
        return update

    # --- the vote -----------------------------------------------------------------------

    def vote(self, battle_id: Any, choice: Any, client: str = "local", checks: Any = None) -> dict[str, Any]:
        """Record the one vote of a finished battle; return the reveal: {"battle_id", "choice", "a", "b"}."""
        battle_id = check_battle_id(battle_id)
        choice = check_choice(choice)
        checks = check_checks(checks)
        stamp = self.votes.acquire(client or "anonymous")
        result = records.add_vote(self.store, battle_id, choice, time.time(), checks)
        if result != "ok":
            self.votes.release(client or "anonymous", stamp)
            raise _refusal(battle_id, result)
        battle = records.get_battle(self.store, battle_id)
        assert battle is not None  # it was just voted on; battles are never deleted
        return {"battle_id": battle_id, "choice": choice, **reveal(battle.sides, battle.answers)}


def _update(battle_id: str, lanes: dict[str, dict[str, Any]], done: bool = False) -> dict[str, Any]:
    """What the page and /battle see: per side only the answer text, done, and a generic note."""
    sides = {}
    for side, lane in lanes.items():
        error = lane.get("error")
        sides[side] = {
            "text": lane.get("text") or "",
            "done": done or bool(error) or bool((lane.get("stats") or {}).get("finish_reason")),
            "status": WAITING if lane.get("status") else "",
            "error": f"{TITLES[side]} could not answer; why is shown when the battle ends" if error else None,
        }
    return {"battle_id": battle_id, **sides, "done": done, "votable": False, "note": "", "reveal": None}


def reveal(sides: dict[str, dict[str, Any]], answers: dict[str, dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """Each side's identity {lane, display_name, model, engine} and its whole answer (text, reasoning, stats,
    error)."""
    return {side: {**sides[side], **((answers or {}).get(side) or {})} for side in SIDES}


def _refusal(battle_id: str, result: str) -> BattleError:
    if result == "missing":
        return BattleNotFound(f"battle {battle_id!r} not found: start a battle, then vote on it")
    why = {
        "voted": "it has its vote already: one vote per battle",
        "running": "it is still running: vote once both answers are complete",
        "stopped": "it was stopped before both answers were complete",
        "void": "a side could not answer",
    }[result]
    return VoteRefused(f"battle {battle_id!r} takes no vote: {why}; start a new battle")
