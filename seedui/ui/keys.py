"""Keyboard shortcuts: which key does what with which box or button. The page script binds them.

    Enter            in a chat box: send (Shift+Enter: a new line)
    Ctrl/Cmd+Enter   run the tab in view (a click on its Run or Send button)
    Escape           stop whatever runs (a click on every Stop button)

Shift+Enter is a new line in every prompt box; Gradio would submit there.
The page script (static/page.js, served by seedui/ui/page_script.py) gets
these facts from `KeyMap.configure_js()`, run by the page's load event, and
shows each key on its button (a hint, and `aria-keyshortcuts`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import gradio as gr


@dataclass(frozen=True)
class Key:
    aria: str  # `aria-keyshortcuts`: every key that does it
    hint: str  # shown on the button
    mac_hint: str  # shown on the button on a Mac


SEND = Key("Enter", "Enter", "Return")
RUN = Key("Control+Enter Meta+Enter", "Ctrl+Enter", "⌘ Return")
STOP = Key("Escape", "Esc", "Esc")


@dataclass
class KeyMap:
    """The page's shortcuts, by element id (each component's `elem_id`)."""

    boxes: dict[str, str | None] = field(
        default_factory=dict
    )  # text box -> the button Enter clicks (None: Enter is a new line)
    run: list[str] = field(default_factory=list)  # Ctrl/Cmd+Enter clicks the first of these in view
    stop: list[str] = field(default_factory=list)  # Escape clicks each of these
    hints: dict[str, Key] = field(default_factory=dict)  # button -> the key shown on it

    def box(self, box: gr.components.Component, send: gr.Button | None = None) -> None:
        """A prompt box: Shift+Enter is a new line; with `send`, Enter clicks it."""
        self.boxes[_id(box)] = _id(send) if send is not None else None
        if send is not None:
            self.hints[_id(send)] = SEND

    def runs(self, button: gr.Button) -> None:
        self.run.append(_id(button))
        self.hints.setdefault(_id(button), RUN)

    def stops(self, button: gr.Button) -> None:
        self.stop.append(_id(button))
        self.hints[_id(button)] = STOP

    def config(self) -> dict:
        return {
            "boxes": [{"box": box, "send": send} for box, send in self.boxes.items()],
            "run": self.run,
            "stop": self.stop,
            "hints": {
                button: {"aria": key.aria, "hint": key.hint, "macHint": key.mac_hint}
                for button, key in self.hints.items()
            },
        }

    def configure_js(self) -> str:
        """A load event's `js`: hands the facts to the page script, or leaves them for it if it loads later."""
        facts = json.dumps(self.config())
        return (
            f"() => {{ const c = {facts}; "
            "if (window.seeduiPage) window.seeduiPage.configure(c); else window.seeduiPageConfig = c; }"
        )


def _id(component: gr.components.Component) -> str:
    if not component.elem_id:
        raise ValueError(f"{component!r} needs an elem_id to take a keyboard shortcut")
    return component.elem_id
