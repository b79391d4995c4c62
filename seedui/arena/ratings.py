"""Bradley-Terry ratings from pairwise votes, with bootstrap intervals and optional style control.

The model: P(A beats B) = 1 / (1 + 10 ** ((R_B - R_A) / 400)), fitted by
logistic regression as Chatbot Arena does: one row per vote with +1 in A's
column and -1 in B's, the outcome 1 when A won and 0 when B won. A tie (and
"both bad") counts as half a win each way. Ratings are on the Elo scale,
centred so that their mean is 1000.

A weak Gaussian prior on the ratings (`prior`, in logit units) keeps them
finite when one model has won every vote against another, which happens
often with the few votes a playground collects; with many votes it changes
nothing. `prior=0` is the plain maximum-likelihood fit.

Style control (Chatbot Arena's "style control"): extra covariates per vote,
the difference A - B of each answer's length (in thousands of characters,
log-scaled) and of its number of code blocks, fitted beside the ratings; the
ratings are then what remains once longer or more code-heavy answers'
advantage is accounted for.

Intervals come from the bootstrap: votes resampled with replacement, the model
refitted, the 2.5th and 97.5th percentiles of each rating.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

Outcome = Literal["a", "b", "tie", "both_bad"]
OUTCOMES: tuple[Outcome, ...] = ("a", "b", "tie", "both_bad")
SCALE = 400.0
BASE = 10.0
CENTRE = 1000.0
DEFAULT_PRIOR = 0.05  # precision of the prior on each rating, in logit units
STYLE_FEATURES = ("length", "code_blocks")


@dataclass(frozen=True)
class Vote:
    """One battle's vote. `left` is the model shown on the left (A), for position bias."""

    model_a: str
    model_b: str
    outcome: Outcome
    length_a: int = 0  # characters of each answer, for style control
    length_b: int = 0
    code_blocks_a: int = 0
    code_blocks_b: int = 0


@dataclass
class Fit:
    ratings: dict[str, float]
    style: dict[str, float] = field(default_factory=dict)  # coefficient per style feature, Elo points per unit


@dataclass
class Leaderboard:
    """Everything the Leaderboard tab shows; plain data (JSON-ready)."""

    models: list[str]  # best first
    ratings: dict[str, float]
    intervals: dict[str, tuple[float, float]]
    votes: dict[str, int]  # votes each model took part in
    win_rates: dict[str, dict[str, float | None]]  # row beats column: wins + ties/2 over games; None if never met
    left_share: float | None  # share of decided votes won by the left side (A); 0.5 means no position bias
    total_votes: int
    decided_votes: int = 0  # votes that were "A better" or "B better": what left_share is a share of
    style: dict[str, float] = field(default_factory=dict)
    style_control: bool = False
    rounds: int = 0

    def rows(self) -> list[dict[str, object]]:
        """The table: rank, model, rating, interval, votes."""
        out = []
        for rank, model in enumerate(self.models, start=1):
            lo, hi = self.intervals[model]
            out.append(
                {
                    "rank": rank,
                    "model": model,
                    "rating": round(self.ratings[model], 1),
                    "ci_low": round(lo, 1),
                    "ci_high": round(hi, 1),
                    "votes": self.votes[model],
                }
            )
        return out


def _design(
    votes: Sequence[Vote], models: list[str], style: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X, y, weights, owner): a tie becomes two half-weight rows, one for each side winning;
    `owner[row]` is the vote a row came from (the bootstrap reweights rows by it)."""
    index = {m: i for i, m in enumerate(models)}
    width = len(models) + (len(STYLE_FEATURES) if style else 0)
    rows: list[np.ndarray] = []
    ys: list[float] = []
    weights: list[float] = []
    owner: list[int] = []
    for number, vote in enumerate(votes):
        x = np.zeros(width)
        x[index[vote.model_a]] += 1.0
        x[index[vote.model_b]] -= 1.0
        if style:
            x[len(models)] = _length_feature(vote.length_a) - _length_feature(vote.length_b)
            x[len(models) + 1] = vote.code_blocks_a - vote.code_blocks_b
        if vote.outcome in ("a", "b"):
            rows.append(x)
            ys.append(1.0 if vote.outcome == "a" else 0.0)
            weights.append(1.0)
            owner.append(number)
        else:
            rows += [x, x]
            ys += [1.0, 0.0]
            weights += [0.5, 0.5]
            owner += [number, number]
    if not rows:
        return np.zeros((0, width)), np.zeros(0), np.zeros(0), np.zeros(0, dtype=int)
    return np.array(rows), np.array(ys), np.array(weights), np.array(owner)


def _length_feature(chars: int) -> float:
    return math.log1p(max(chars, 0) / 1000.0)


def _fit_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, prior: float, n_models: int) -> np.ndarray:
    """Weighted logistic regression without intercept, by Newton's method.

    The ratings are identified only up to a constant: a tiny ridge on the model
    columns (plus `prior`) fixes it, and the result is centred afterwards.
    """
    width = x.shape[1]
    beta = np.zeros(width)
    ridge = np.zeros(width)
    ridge[:n_models] = prior + 1e-9
    for _ in range(100):
        z = x @ beta
        p = 1.0 / (1.0 + np.exp(-z))
        grad = x.T @ (w * (y - p)) - ridge * beta
        hess = (x * (w * p * (1 - p))[:, None]).T @ x + np.diag(ridge)
        step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


def fit(votes: Sequence[Vote], *, style_control: bool = False, prior: float = DEFAULT_PRIOR) -> Fit:
    """Ratings (Elo scale, mean 1000) for every model in `votes`."""
    models = _models(votes)
    if not models:
        return Fit({})
    x, y, w, _ = _design(votes, models, style_control)
    return _to_fit(_fit_logistic(x, y, w, prior, len(models)), models, style_control)


def _models(votes: Sequence[Vote]) -> list[str]:
    return sorted({v.model_a for v in votes} | {v.model_b for v in votes})


def _to_fit(beta: np.ndarray, models: list[str], style_control: bool, present: np.ndarray | None = None) -> Fit:
    """Coefficients -> Elo ratings centred on 1000 (over the models `present` in the data)."""
    to_elo = SCALE / math.log(BASE)
    model_beta = beta[: len(models)]
    keep = present if present is not None else np.ones(len(models), dtype=bool)
    model_beta = model_beta - model_beta[keep].mean()
    ratings = {m: CENTRE + to_elo * float(b) for m, b, k in zip(models, model_beta, keep, strict=True) if k}
    style = {}
    if style_control:
        style = {name: to_elo * float(b) for name, b in zip(STYLE_FEATURES, beta[len(models) :], strict=True)}
    return Fit(ratings, style)


def win_rates(votes: Sequence[Vote], models: Sequence[str]) -> dict[str, dict[str, float | None]]:
    """Row model against column model: (wins + ties / 2) / games, None where they never met."""
    score = {a: dict.fromkeys(models, 0.0) for a in models}
    games = {a: dict.fromkeys(models, 0) for a in models}
    for v in votes:
        a_points = {"a": 1.0, "b": 0.0}.get(v.outcome, 0.5)
        score[v.model_a][v.model_b] += a_points
        score[v.model_b][v.model_a] += 1.0 - a_points
        games[v.model_a][v.model_b] += 1
        games[v.model_b][v.model_a] += 1
    return {a: {b: (score[a][b] / games[a][b] if games[a][b] else None) for b in models if b != a} for a in models}


def left_share(votes: Sequence[Vote]) -> float | None:
    """Share of decided votes (A or B better) that went to the left side, A."""
    decided = [v for v in votes if v.outcome in ("a", "b")]
    if not decided:
        return None
    return sum(v.outcome == "a" for v in decided) / len(decided)


def leaderboard(
    votes: Sequence[Vote],
    *,
    style_control: bool = False,
    rounds: int = 200,
    seed: int = 0,
    prior: float = DEFAULT_PRIOR,
) -> Leaderboard:
    """Ratings, bootstrap 95% intervals, counts, win rates and position bias."""
    votes = list(votes)
    names = _models(votes)
    x, y, w, owner = _design(votes, names, style_control)
    point = _to_fit(_fit_logistic(x, y, w, prior, len(names)), names, style_control) if names else Fit({})
    models = sorted(point.ratings, key=lambda m: -point.ratings[m])
    rng = np.random.default_rng(seed)
    samples: dict[str, list[float]] = {m: [] for m in models}
    # Each round draws votes with replacement; a vote drawn k times weighs k times (the design is built once).
    for _ in range(rounds if votes else 0):
        drawn = np.bincount(rng.integers(0, len(votes), len(votes)), minlength=len(votes))
        weights = w * drawn[owner]
        # A model no drawn vote names has no rating in that round; its interval uses the rounds it was in.
        present = (np.abs(x[:, : len(names)]) * weights[:, None]).sum(axis=0) > 0
        boot = _to_fit(_fit_logistic(x, y, weights, prior, len(names)), names, style_control, present)
        for m, rating in boot.ratings.items():
            samples[m].append(rating)
    intervals = {}
    for m in models:
        if samples[m]:
            lo, hi = np.percentile(samples[m], [2.5, 97.5])
            intervals[m] = (float(lo), float(hi))
        else:
            intervals[m] = (point.ratings[m], point.ratings[m])
    counts = dict.fromkeys(models, 0)
    for v in votes:
        counts[v.model_a] += 1
        counts[v.model_b] += 1
    return Leaderboard(
        models=models,
        ratings=point.ratings,
        intervals=intervals,
        votes=counts,
        win_rates=win_rates(votes, models),
        left_share=left_share(votes),
        total_votes=len(votes),
        decided_votes=sum(v.outcome in ("a", "b") for v in votes),
        style=point.style,
        style_control=style_control,
        rounds=rounds if votes else 0,
    )
