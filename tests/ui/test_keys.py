"""The key map the page script gets (seedui/ui/keys.py): which box sends with which button, what runs and
stops, and the key shown on each button."""

from __future__ import annotations

import json

import gradio as gr
import pytest

from seedui.ui.keys import RUN, SEND, STOP, KeyMap


def test_the_key_map_names_boxes_buttons_and_hints():
    with gr.Blocks():
        prompt, message = gr.Textbox(elem_id="p"), gr.Textbox(elem_id="m")
        run, send, stop = gr.Button(elem_id="run"), gr.Button(elem_id="send"), gr.Button(elem_id="stop")
    keys = KeyMap()
    keys.box(prompt)
    keys.box(message, send=send)
    keys.runs(run)
    keys.runs(send)
    keys.stops(stop)
    config = keys.config()
    assert config["boxes"] == [{"box": "p", "send": None}, {"box": "m", "send": "send"}]
    assert config["run"] == ["run", "send"] and config["stop"] == ["stop"]
    # Send shows Enter (its own key), not Ctrl+Enter; each hint carries its aria-keyshortcuts.
    assert config["hints"]["send"]["hint"] == SEND.hint and config["hints"]["run"]["aria"] == RUN.aria
    assert config["hints"]["stop"] == {"aria": STOP.aria, "hint": STOP.hint, "macHint": STOP.mac_hint}
    js = keys.configure_js()
    assert json.dumps(config) in js and js.startswith("() => {")


def test_a_button_without_an_elem_id_cannot_take_a_key():
    with gr.Blocks():
        button = gr.Button()
    with pytest.raises(ValueError, match="elem_id"):
        KeyMap().runs(button)
