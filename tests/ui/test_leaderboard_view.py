"""The Leaderboard tab's HTML (seedui/ui/leaderboard_view.py): pure, from the board's data."""

from __future__ import annotations

import re

from seedui.arena.board import to_dict
from seedui.arena.ratings import Vote, leaderboard
from seedui.ui.lane_view import lane_template
from seedui.ui.leaderboard_view import board_html, rating_plot


def as_dict(votes: list[Vote], style_control: bool = False) -> dict:
    return to_dict(leaderboard(votes, style_control=style_control, rounds=50))


EVIL = '<img src=x onerror="alert(1)">'
VOTES = [Vote(EVIL, "B&B", "a", 900, 100, 2, 0)] * 6 + [Vote("B&B", EVIL, "a")] * 3 + [Vote(EVIL, "B&B", "tie")]


def test_no_votes_says_so():
    html = board_html(as_dict([]))
    assert 'id="board-empty"' in html and "No votes yet" in html and "<table" not in html


def test_model_names_are_escaped_everywhere():
    html = board_html(as_dict(VOTES))
    assert EVIL not in html and "<img" not in html
    assert html.count("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;") >= 4  # table, plot, matrix row and column
    assert "B&amp;B" in html and "B&B<" not in html


def test_table_bias_matrix_and_few_votes_note():
    data = as_dict(VOTES)
    html = board_html(data)
    rows = re.findall(r'<tr class="seedui-board-row">(.*?)</tr>', html)
    assert len(rows) == 2 and "10 votes." in html
    # 9 votes picked a side, all of them the left one (A): Wilson's interval for 9 of 9 starts at 70%.
    assert "won 100% of the 9 votes that picked a side (95% interval 70% to 100%)" in html
    assert "fewer than 20 votes" in html
    assert html.count("—") == 2  # the matrix's diagonal
    assert "Style control is on" not in html
    styled = board_html(as_dict(VOTES, style_control=True))
    assert "Style control is on" in styled and "length" in styled and "code blocks" in styled


def test_the_plot_has_a_point_and_an_interval_per_model_on_one_axis():
    rows = [
        {"model": "m1", "rating": 1100.0, "ci_low": 1050.0, "ci_high": 1150.0},
        {"model": "m2", "rating": 900.0, "ci_low": 850.0, "ci_high": 950.0},
    ]
    svg = rating_plot(rows)
    circles = [float(x) for x in re.findall(r'<circle cx="([\d.]+)"', svg)]
    lines = re.findall(r'<line x1="([\d.]+)" x2="([\d.]+)" y1="(\d+)" y2="(\d+)"', svg)
    assert len(circles) == 2 and circles[0] > circles[1]  # the better rating further right
    bars = [(float(x1), float(x2)) for x1, x2, y1, y2 in lines if y1 == y2]  # horizontal: the intervals
    assert len(bars) == 2 and all(x1 < c < x2 for (x1, x2), c in zip(bars, circles, strict=True))
    assert [t for t in re.findall(r">(\d+)</text>", svg)] == ["900", "1000", "1100"]  # round steps across the range


def test_a_lane_template_with_another_marker_is_not_read_by_the_compare_checks():
    battle = lane_template("data-seedui-battle-side")
    assert "data-seedui-battle-side=" in battle and "data-seedui-lane=" not in battle
