"""What a lane column shows, as data (seedui/ui/lane_view.py): the stats line with its ticking seconds while the
lane runs, the "stopped early" rule for Base lanes, and the prompt as sent, escaped."""

from __future__ import annotations

import pytest

from seedui.ui.lane_view import lane_value, stats_line, stopped_early

STATS = {"ttft_s": 0.21, "prompt_tokens": 9, "completion_tokens": 57, "tokens_per_s": 23.4, "total_s": 2.6}


@pytest.mark.parametrize(
    ("stats", "running", "line"),
    [
        (None, False, ""),
        ({**STATS, "finish_reason": "stop"}, False, "TTFT 0.21 s · 57 tokens · 23.4 tok/s · 2.6 s · stop"),
        (STATS, True, 'TTFT 0.21 s · 57 tokens · 23.4 tok/s · <span data-seedui-elapsed="2.600">2.6 s</span>'),
        ({"total_s": 0.0, "ttft_s": None}, True,
         'waiting for the first token · <span data-seedui-elapsed="0.000">0.0 s</span>'),
        ({"total_s": 1.0, "finish_reason": "<b>odd</b>"}, False, "1.0 s · &lt;b&gt;odd&lt;/b&gt;"),
    ],
)  # fmt: skip
def test_stats_line(stats, running, line):
    assert stats_line(stats, running) == line


@pytest.mark.parametrize(
    ("stats", "text", "early"),
    [
        ({"finish_reason": "stop", "completion_tokens": 1}, "\n", True),
        ({"finish_reason": "stop", "completion_tokens": 3}, "x = 1", True),
        ({"finish_reason": "stop", "completion_tokens": 40}, "   ", True),  # nothing to show
        ({"finish_reason": "stop", "completion_tokens": 4}, "x = 12", False),
        ({"finish_reason": "length", "completion_tokens": 1}, "x", False),  # cut by max_tokens: it did write
        ({"finish_reason": "cancelled", "completion_tokens": 0}, "", False),
        ({}, "", False),
    ],
)
def test_stopped_early(stats, text, early):
    assert stopped_early(stats, text) is early


def test_the_prompt_and_hint_are_escaped():
    value = lane_value("base", "Base", "vLLM", [], {"prompt": "<script>x</script> & co"}, hint="try <b>this</b>")
    assert value["prompt"] == "&lt;script&gt;x&lt;/script&gt; &amp; co"
    assert value["hint"] == "try &lt;b&gt;this&lt;/b&gt;"
    assert lane_value("instruct", "I", "e", [], {"prompt": None})["prompt"] == ""
