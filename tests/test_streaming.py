"""Parsing streamed output: the thinking split and stop strings, at every way of cutting the text."""

from __future__ import annotations

import itertools

import pytest

from seedui.streaming import StopMatcher, ThinkSplitter

THINK_CASES = [
    ("<think>plan</think>answer", "plan", "answer"),
    ("no tags at all", "", "no tags at all"),
    ("<think>only thinking", "only thinking", ""),
    ("a < b <th then</think>", "", "a < b <th then</think>"),
    ("<think>x < y</thin k></think>ok", "x < y</thin k>", "ok"),
]


@pytest.mark.parametrize("text, reasoning, answer", THINK_CASES)
def test_think_splitter_at_every_cut(text, reasoning, answer):
    # Every way of cutting the text in up to three chunks gives the same split.
    for i, j in itertools.combinations_with_replacement(range(len(text) + 1), 2):
        splitter = ThinkSplitter()
        parts = [splitter.feed(text[:i]), splitter.feed(text[i:j]), splitter.feed(text[j:]), splitter.flush()]
        assert "".join(p[0] for p in parts) == reasoning, (i, j)
        assert "".join(p[1] for p in parts) == answer, (i, j)


def test_think_splitter_one_char_at_a_time():
    splitter = ThinkSplitter()
    out = [splitter.feed(c) for c in "<think>a</think>b"] + [splitter.flush()]
    assert "".join(r for r, _ in out) == "a" and "".join(a for _, a in out) == "b"


@pytest.mark.parametrize(
    "text, stops, shown",
    [("hello\n\nworld", ["\n\n"], "hello"), ("abc", ["x"], "abc"), ("a###b##", ["##", "###"], "a"), ("ab", [], "ab")],
)
def test_stop_matcher_at_every_cut(text, stops, shown):
    for i in range(len(text) + 1):
        m = StopMatcher(stops)
        assert m.feed(text[:i]) + m.feed(text[i:]) + m.flush() == shown
