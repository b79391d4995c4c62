"""Export files are made when the visitor clicks (the downloads themselves: test_shares_browser.py)."""

from __future__ import annotations

import json
import math

import gradio as gr
import pytest

from seedui.errors import UserError
from seedui.export import to_json, to_markdown
from seedui.ui.exports import NO_RESULT, ExportFiles

COMPARISON = {"prompt": "p", "settings": {}, "lanes": {"instruct": {"text": "```python\nx = 1\n```"}}}


def test_write_makes_the_file_for_its_kind():
    files = ExportFiles()
    md, js = files.write(COMPARISON, "md"), files.write(COMPARISON, "json")
    assert md.endswith(".md") and js.endswith(".json")
    assert open(md, encoding="utf-8").read() == to_markdown(COMPARISON)
    assert json.loads(open(js, encoding="utf-8").read()) == json.loads(to_json(COMPARISON))


def test_one_file_per_distinct_export():
    files = ExportFiles()
    first = files.write(COMPARISON, "md")
    assert files.write(dict(COMPARISON), "md") == first  # the same content: the same file
    assert files.write({**COMPARISON, "prompt": "q"}, "md") != first  # a new name: never a stale download
    assert len(list(files.folder.iterdir())) == 2


@pytest.mark.parametrize("comparison", [{}, None, [], "x"])
def test_nothing_to_export_says_so(comparison):
    with pytest.raises(UserError, match=NO_RESULT):
        ExportFiles().write(comparison, "json")


def test_an_invalid_comparison_is_a_user_error():
    with pytest.raises(UserError, match="NaN"):
        ExportFiles().write({**COMPARISON, "lanes": {"instruct": {"text": "x", "stats": {"ttft_s": math.nan}}}}, "json")


@pytest.mark.e2e
def test_no_event_runs_on_a_change_of_state(seedui_app):
    # A comparison's state changes on every streamed update (and on each re-render of the page in Chromium):
    # nothing may listen to that, exports least of all.
    blocks = seedui_app.blocks
    listening = [
        (fn.name, event)
        for fn in blocks.fns.values()
        for target, event in fn.targets
        if isinstance(blocks.blocks.get(target), gr.State)
    ]
    assert listening == []
