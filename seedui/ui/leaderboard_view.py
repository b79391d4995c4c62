"""The Leaderboard tab's HTML, from `Board.as_dict()`: the table, a plot of each rating with its interval,
the win-rate matrix, and the left side's share of the votes (position bias). Pure: data in, escaped HTML out.

Model names come from the host's config, but are escaped all the same. The plot is an inline SVG drawn
here (no plotting library): one row per model, a dot at its rating and a bar across its interval.
"""

from __future__ import annotations

from typing import Any

from seedui.evals.scoring import wilson_interval
from seedui.render import escape_text

BOARD_CSS = """
.seedui-board table { border-collapse: collapse; margin: 8px 0 16px; font-size: 0.92em; }
.seedui-board th, .seedui-board td { border: 1px solid var(--border-color-primary); padding: 4px 10px; }
.seedui-board td.num { text-align: right; font-variant-numeric: tabular-nums; }
.seedui-board h3 { margin: 14px 0 4px; font-size: 1em; }
.seedui-board .seedui-board-note { font-size: 0.88em; opacity: 0.8; }
.seedui-board svg { max-width: 100%; height: auto; color: var(--body-text-color); }
"""
STYLE_UNITS = {"length": "per log(1 + thousands of characters)", "code_blocks": "per code block"}
PLOT_WIDTH, PLOT_LABEL, PLOT_ROW = 720, 280, 26
FEW_VOTES = 20  # below this many votes for a model, its bootstrap interval is said to be unreliable


def board_html(board: dict[str, Any]) -> str:
    if not board["total_votes"]:
        return (
            '<div class="seedui-board"><p class="seedui-board-note" id="board-empty">No votes yet: '
            "vote in a battle on the Battle tab and the ratings appear here.</p></div>"
        )
    return (
        '<div class="seedui-board">'
        + _summary(board)
        + _table(board["models"])
        + "<h3>Ratings with their 95% intervals</h3>"
        + rating_plot(board["models"])
        + "<h3>Position bias</h3>"
        + _bias(board)
        + "<h3>Win rates (row against column: wins plus half the ties, over the battles they met in)</h3>"
        + _matrix(board)
        + "</div>"
    )


def _summary(board: dict[str, Any]) -> str:
    total = board["total_votes"]
    text = (
        f"{total:,} vote{'' if total == 1 else 's'}. Bradley-Terry ratings on the Elo scale (mean 1000), with 95% "
        f"intervals from {board['bootstrap_rounds']} bootstrap resamples of the votes; a tie or 'both bad' counts "
        "half a win each way."
    )
    if min(row["votes"] for row in board["models"]) < FEW_VOTES:
        text += (
            f" A model here has fewer than {FEW_VOTES} votes: resampling so few votes gives intervals narrower "
            "than the truth, so read its rating as a first guess."
        )
    if board["style_control"]:
        coefficients = "; ".join(
            f"{name.replace('_', ' ')} {value:+.1f} {STYLE_UNITS.get(name, '')}"
            for name, value in board["style"].items()
        )
        text += (
            " Style control is on: the ratings are what remains once the advantage of longer answers and of more "
            f"code blocks is fitted beside them (Elo points: {coefficients})."
        )
    return f'<p class="seedui-board-note" id="board-summary">{escape_text(text)}</p>'


def _table(rows: list[dict[str, Any]]) -> str:
    head = "<tr><th>Rank</th><th>Model</th><th>Rating</th><th>95% interval</th><th>Votes</th></tr>"
    body = "".join(
        f'<tr class="seedui-board-row"><td class="num">{r["rank"]}</td><td>{escape_text(r["model"])}</td>'
        f'<td class="num">{r["rating"]:.0f}</td><td class="num">{r["ci_low"]:.0f} to {r["ci_high"]:.0f}</td>'
        f'<td class="num">{r["votes"]:,}</td></tr>'
        for r in rows
    )
    return f'<table id="board-table">{head}{body}</table>'


def rating_plot(rows: list[dict[str, Any]]) -> str:
    """An SVG: per model, its interval as a bar and its rating as a dot, on one shared axis."""
    low = min(r["ci_low"] for r in rows)
    high = max(r["ci_high"] for r in rows)
    pad = max(10.0, (high - low) * 0.08)
    low, high = low - pad, high + pad
    span = PLOT_WIDTH - PLOT_LABEL - 20

    def x(value: float) -> float:
        return PLOT_LABEL + (value - low) / (high - low) * span

    height = PLOT_ROW * len(rows) + 30
    parts = [
        f'<svg id="board-plot" viewBox="0 0 {PLOT_WIDTH} {height}" width="{PLOT_WIDTH}" height="{height}" '
        'role="img" aria-label="Each model\'s rating with its 95% interval" font-size="12" fill="currentColor">'
    ]
    for i, r in enumerate(rows):
        y = 16 + i * PLOT_ROW
        name = r["model"] if len(r["model"]) <= 40 else r["model"][:39] + "…"
        parts.append(
            f'<g class="seedui-board-point"><title>{escape_text(r["model"])}: {r["rating"]:.0f} '
            f"({r['ci_low']:.0f} to {r['ci_high']:.0f})</title>"
            f'<text x="{PLOT_LABEL - 8}" y="{y + 4}" text-anchor="end">{escape_text(name)}</text>'
            f'<line x1="{x(r["ci_low"]):.1f}" x2="{x(r["ci_high"]):.1f}" y1="{y}" y2="{y}" stroke="currentColor" '
            'stroke-width="2" opacity="0.6"/>'
            f'<circle cx="{x(r["rating"]):.1f}" cy="{y}" r="4"/></g>'
        )
    axis_y = height - 12
    for value in _ticks(low, high):
        parts.append(
            f'<text x="{x(value):.1f}" y="{axis_y}" text-anchor="middle" opacity="0.7">{value:.0f}</text>'
            f'<line x1="{x(value):.1f}" x2="{x(value):.1f}" y1="6" y2="{axis_y - 12}" stroke="currentColor" '
            'opacity="0.12"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _ticks(low: float, high: float) -> list[float]:
    """Round values across [low, high], about five of them."""
    raw = (high - low) / 5
    step = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000) if s >= raw)
    first = -(-low // step) * step
    return [first + k * step for k in range(int((high - first) // step) + 1)]


def _bias(board: dict[str, Any]) -> str:
    decided, share = board["decided_votes"], board["left_share"]
    if not decided or share is None:
        text = "No vote has picked a side yet (only ties or 'both bad'), so position bias cannot be told."
    else:
        lo, hi = wilson_interval(round(share * decided), decided)
        text = (
            f"The left side (Model A) won {share:.0%} of the {decided:,} votes that picked a side "
            f"(95% interval {lo:.0%} to {hi:.0%}). 50% means voters favour neither side; sides are drawn at "
            "random, so a share far from it is a bias of the voters, not of the models."
        )
    return f'<p class="seedui-board-note" id="board-bias">{escape_text(text)}</p>'


def _matrix(board: dict[str, Any]) -> str:
    models = [r["model"] for r in board["models"]]
    rates = board["win_rates"]
    head = "<tr><th></th>" + "".join(f"<th>{escape_text(m)}</th>" for m in models) + "</tr>"
    rows = []
    for a in models:
        cells = []
        for b in models:
            rate = rates.get(a, {}).get(b) if a != b else None
            cells.append(f'<td class="num">{"—" if rate is None else f"{rate:.0%}"}</td>')
        rows.append(f"<tr><th>{escape_text(a)}</th>{''.join(cells)}</tr>")
    return f'<table id="board-matrix">{head}{"".join(rows)}</table>'
