"""Bradley-Terry ratings: a hand-computed case, recovery of known strengths, intervals, style control."""

from __future__ import annotations

import math
import random

import pytest

from seedui.arena.ratings import Vote, fit, leaderboard, left_share, win_rates


def votes(*spec: tuple[str, str, str, int]) -> list[Vote]:
    return [Vote(a, b, outcome) for a, b, outcome, n in spec for _ in range(n)]


def test_hand_computed_two_models():
    # A beat B three times, B beat A once: P(A beats B) = 3/4, so R_A - R_B = 400 log10(3) = 190.85,
    # and centred on 1000 each is half of that away from it.
    ratings = fit(votes(("A", "B", "a", 3), ("A", "B", "b", 1)), prior=0).ratings
    assert ratings["A"] - ratings["B"] == pytest.approx(400 * math.log10(3), abs=1e-6)
    assert ratings["A"] + ratings["B"] == pytest.approx(2000, abs=1e-6)


def test_a_tie_is_half_a_win_each_way_and_sides_do_not_matter():
    # A: one win and one tie of two games, scored 1.5 of 2: the same 3/4 as above.
    mixed = fit(votes(("A", "B", "a", 1), ("B", "A", "tie", 1)), prior=0).ratings
    assert mixed["A"] - mixed["B"] == pytest.approx(400 * math.log10(3), abs=1e-6)
    both_bad = fit(votes(("A", "B", "a", 1), ("A", "B", "both_bad", 1)), prior=0).ratings
    assert both_bad == pytest.approx(mixed)


def test_three_models_hand_computed_chain():
    # A-B 2:1 and B-C 2:1 and no A-C games: the likelihood separates, so R_A - R_B = R_B - R_C = 400 log10(2).
    spec = votes(("A", "B", "a", 2), ("A", "B", "b", 1), ("B", "C", "a", 2), ("B", "C", "b", 1))
    ratings = fit(spec, prior=0).ratings
    step = 400 * math.log10(2)
    assert ratings["A"] - ratings["B"] == pytest.approx(step, abs=1e-6)
    assert ratings["B"] - ratings["C"] == pytest.approx(step, abs=1e-6)


def test_a_clean_sweep_stays_finite():
    ratings = fit(votes(("A", "B", "a", 5))).ratings
    assert 1000 < ratings["A"] < 2000 and ratings["B"] == pytest.approx(2000 - ratings["A"])


TRUE = {"w": 1150.0, "x": 1050.0, "y": 950.0, "z": 850.0}  # mean 1000, as fitted ratings are centred


def simulate(n: int, rng: random.Random, strengths: dict[str, float] = TRUE) -> list[Vote]:
    """Votes drawn from the model itself: a tie (10%) counts half each way, so wins are p - 0.05 and 1 - p - 0.05."""
    models = list(strengths)
    out = []
    for _ in range(n):
        a, b = rng.sample(models, 2)
        p_a = 1 / (1 + 10 ** ((strengths[b] - strengths[a]) / 400))
        r = rng.random()
        out.append(Vote(a, b, "a" if r < p_a - 0.05 else "tie" if r < p_a + 0.05 else "b"))
    return out


def test_known_strengths_are_recovered_in_order():
    board = leaderboard(simulate(3000, random.Random(1)), rounds=50)
    assert board.models == ["w", "x", "y", "z"]
    for model, truth in TRUE.items():
        assert board.ratings[model] == pytest.approx(truth, abs=40)


def test_bootstrap_intervals_cover_the_truth_most_of_the_time():
    rng = random.Random(7)
    covered = total = 0
    for trial in range(12):
        board = leaderboard(simulate(600, rng), rounds=100, seed=trial)
        for model, truth in TRUE.items():
            lo, hi = board.intervals[model]
            assert lo <= board.ratings[model] <= hi
            covered += lo <= truth <= hi
            total += 1
    assert covered / total >= 0.8, f"95% intervals covered the truth in {covered} of {total} cases"


def test_style_control_separates_length_from_the_model():
    # Two equally good models; "verbose" writes longer answers, and voters prefer longer answers.
    rng = random.Random(3)
    out = []
    for _ in range(3000):
        a, b = rng.sample(["verbose", "terse"], 2)
        length = {"verbose": rng.randint(500, 8000), "terse": rng.randint(100, 3000)}
        # Only length decides: P(A wins) = sigmoid(1.5 * (log1p(len_a/1000) - log1p(len_b/1000))).
        z = 1.5 * (math.log1p(length[a] / 1000) - math.log1p(length[b] / 1000))
        outcome = "a" if rng.random() < 1 / (1 + math.exp(-z)) else "b"
        out.append(Vote(a, b, outcome, length_a=length[a], length_b=length[b]))
    plain = fit(out)
    controlled = fit(out, style_control=True)
    assert plain.ratings["verbose"] - plain.ratings["terse"] > 100
    assert abs(controlled.ratings["verbose"] - controlled.ratings["terse"]) < 40
    assert controlled.style["length"] == pytest.approx(1.5 * 400 / math.log(10), rel=0.25)


def test_win_rates_counts_and_position_bias():
    spec = votes(("A", "B", "a", 3), ("B", "A", "a", 1), ("A", "C", "tie", 2))
    rates = win_rates(spec, ["A", "B", "C"])
    assert rates["A"]["B"] == pytest.approx(0.75) and rates["B"]["A"] == pytest.approx(0.25)
    assert rates["A"]["C"] == pytest.approx(0.5) and rates["B"]["C"] is None
    assert left_share(spec) == 1.0  # every decided vote went to the left side
    board = leaderboard(spec, rounds=20)
    assert board.votes == {"A": 6, "B": 4, "C": 2} and board.total_votes == 6
    assert [row["rank"] for row in board.rows()] == [1, 2, 3]


def test_no_votes_is_an_empty_board():
    board = leaderboard([])
    assert board.models == [] and board.left_share is None and board.total_votes == 0
