"""seedui.prefill: a deep link or a stored comparison -> what the page's inputs show, as plain data.

Table-driven on the tiny profile's lanes and card defaults:
    base       temperature 0.2, top_p 0.95, max_tokens 128
    instruct   temperature 0.6, top_p 0.8, repetition_penalty 1.05, max_tokens 128
    reasoning  temperature 0.6, top_p 0.95, max_tokens 192
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from seedui.controls import SLIDER_FIELDS
from seedui.deeplink import DeepLink, parse_query
from seedui.prefill import PageFill, SamplingFill, deeplink_fill, playground_fill
from tests.conftest import ROOT, tiny_config

LANES = ["base", "instruct", "reasoning"]
OFFERED = {"compare": LANES, "chat": ["instruct", "reasoning"], "fim": []}
LIMIT = 8192
UNSET = {  # what the controls show for a field nobody set (sampling.field_spec(name).unset)
    "temperature": 1.0, "top_p": 1.0, "top_k": 0, "min_p": 0.0, "repetition_penalty": 1.0,
    "presence_penalty": 0.0, "frequency_penalty": 0.0, "max_tokens": 256, "seed": -1, "stop": "",
}  # fmt: skip
CARDS = {
    "base": {**UNSET, "temperature": 0.2, "top_p": 0.95, "max_tokens": 128},
    "instruct": {**UNSET, "temperature": 0.6, "top_p": 0.8, "repetition_penalty": 1.05, "max_tokens": 128},
    "reasoning": {**UNSET, "temperature": 0.6, "top_p": 0.95, "max_tokens": 192},
}
FULL_SET = {"temperature": 0.3, "top_p": 0.9, "top_k": 40, "min_p": 0.05, "repetition_penalty": 1.1,
            "presence_penalty": 0.5, "frequency_penalty": 0.25, "max_tokens": 64}  # fmt: skip


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory):
    return tiny_config(tmp_path_factory.mktemp("prefill"))


# --- deep links -----------------------------------------------------------------------------------


def link(**params: str) -> DeepLink:
    return parse_query(params, LANES)


@pytest.mark.parametrize(
    ("params", "offered", "expected"),
    [
        ({}, OFFERED, PageFill()),
        ({"prompt": "hi"}, OFFERED, PageFill(text={"compare": "hi"})),
        (
            {"prompt": "hi", "tab": "chat", "lanes": "base,reasoning"},
            OFFERED,
            PageFill(
                tab="chat", text={"chat": "hi"}, lanes={"chat": ["reasoning"]},
                notes=["ignored lane 'base': the chat tab offers instruct, reasoning"],
            ),
        ),
        (
            {"tab": "fim", "prompt": "def f(): <FILL>", "lanes": "base"},
            OFFERED,
            PageFill(
                tab="fim", text={"fim": "def f(): <FILL>"},
                notes=["ignored lanes: the Completion / FIM tab always uses the Base lane"],
            ),
        ),
        (
            {"tab": "fim", "prompt": "p"},
            {"compare": LANES, "chat": ["instruct"]},  # a page without a Base lane has no FIM tab
            PageFill(tab="compare", text={"compare": "p"}, notes=["ignored tab=fim: that tab is not on this server"]),
        ),
        (
            {"lanes": "reasoning,instruct"},
            OFFERED,
            PageFill(lanes={"compare": ["instruct", "reasoning"]}),  # the page's order
        ),
        (
            {"temperature": "0.2", "max_tokens": "50000", "seed": "7"},
            OFFERED,
            PageFill(
                sampling=SamplingFill(
                    card_defaults=False, unlink=False, shared={"temperature": 0.2, "max_tokens": LIMIT, "seed": 7}
                ),
                notes=[f"max_tokens=50000 is over this server's limit; set to {LIMIT}"],
            ),
        ),
        (  # a seed alone is sent in "card defaults" mode too: that mode stays as it is
            {"seed": "3"},
            OFFERED,
            PageFill(sampling=SamplingFill(unlink=False, shared={"seed": 3})),
        ),
        (  # the link's own notices come first, and its valid parts still apply
            {"temperature": "hot", "prompt": "p", "colour": "red"},
            OFFERED,
            PageFill(
                text={"compare": "p"},
                notes=[
                    "ignored temperature='hot': must be a number between 0 and 2",
                    "ignored unknown parameter 'colour'; known: prompt, lanes, tab, share, temperature, top_p, top_k, "
                    "min_p, repetition_penalty, presence_penalty, frequency_penalty, max_tokens, seed",
                ],
            ),
        ),
    ],
)  # fmt: skip
def test_deeplink_fill(params: dict[str, str], offered: dict[str, list[str]], expected: PageFill) -> None:
    assert deeplink_fill(link(**params), offered, LIMIT) == expected


def test_deeplink_fill_does_not_change_the_link() -> None:
    parsed = link(max_tokens="50000")
    deeplink_fill(parsed, OFFERED, LIMIT)
    assert parsed.settings == {"max_tokens": 50000}


# --- "open in playground" ----------------------------------------------------------------------------


def comparison(settings: dict[str, Any], lanes: tuple[str, ...] = ("instruct", "reasoning"), **extra: Any) -> dict:
    return {"prompt": "Reverse a string.", "settings": settings, "lanes": {n: {"text": "x"} for n in lanes}, **extra}


def fill(**kw: Any) -> PageFill:
    kw.setdefault("instruction_as", {"base": "typed"})
    return PageFill(
        tab="compare", text={"compare": "Reverse a string."}, lanes={"compare": ["instruct", "reasoning"]}, **kw
    )


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (  # nothing set: each lane ran its model card defaults
            {},
            fill(sampling=SamplingFill(card_defaults=True, unlink=False, system_prompt="",
                                       shared={"seed": -1, "stop": ""})),
        ),
        (  # what "card defaults" mode sends: a seed and stop strings; the sliders stay as they are
            {"seed": 5, "stop": ["\n\n", "###"]},
            fill(sampling=SamplingFill(card_defaults=True, unlink=False, system_prompt="",
                                       shared={"seed": 5, "stop": "\\n\\n\n###"})),
        ),
        (  # the linked sliders' full set: shown on the shared controls, card defaults off
            {**FULL_SET, "seed": 1},
            fill(sampling=SamplingFill(card_defaults=False, unlink=False, system_prompt="",
                                       shared={**UNSET, **FULL_SET, "seed": 1})),
        ),
        (  # some values, and a lane's override: each lane = card, then shared values, then its own
            {"temperature": 0.3, "max_tokens": 7, "instruct": {"top_p": 0.5}},
            fill(sampling=SamplingFill(unlink=True, system_prompt="", per_lane={
                "base": {**CARDS["base"], "temperature": 0.3, "max_tokens": 7},
                "instruct": {**CARDS["instruct"], "temperature": 0.3, "top_p": 0.5, "max_tokens": 7},
                "reasoning": {**CARDS["reasoning"], "temperature": 0.3, "max_tokens": 7},
            })),
        ),
        (  # a system prompt is not a sampling setting: it does not unlink the lanes
            {"instruct": {"system_prompt": "Be brief."}},
            fill(sampling=SamplingFill(card_defaults=True, unlink=False, system_prompt="Be brief.",
                                       shared={"seed": -1, "stop": ""})),
        ),
        (  # how the prompt reached Base is not a sampling setting either; shared, or the lane's own
            {"base": {"instruction_as": "python"}},
            fill(instruction_as={"base": "python"}, sampling=SamplingFill(
                card_defaults=True, unlink=False, system_prompt="", shared={"seed": -1, "stop": ""})),
        ),
        (
            {"instruction_as": "go", "seed": 3},
            fill(instruction_as={"base": "go"}, sampling=SamplingFill(
                card_defaults=True, unlink=False, system_prompt="", shared={"seed": 3, "stop": ""})),
        ),
        (  # settings that do not mean anything here are dropped, and said
            {"colour": "red", "gpt": {"top_p": 0.1}, "instruct": 3, "seed": 2},
            fill(
                sampling=SamplingFill(card_defaults=True, unlink=False, system_prompt="",
                                      shared={"seed": 2, "stop": ""}),
                notes=[
                    "ignored the unknown setting 'colour'",
                    "ignored the settings for lane 'gpt', which is not on this server",
                    "ignored settings.instruct: per-lane settings must be a dict",
                ],
            ),
        ),
        (  # a value out of range: each lane shows its card defaults, and says why
            {"temperature": 9},
            fill(
                sampling=SamplingFill(unlink=True, system_prompt="", per_lane=CARDS),
                notes=[
                    f"invalid settings for lane {n}: temperature: Input should be less than or equal to 2; "
                    f"lane {n} shows its model card defaults"
                    for n in LANES
                ],
            ),
        ),
    ],
)  # fmt: skip
def test_playground_fill_settings(config, settings: dict[str, Any], expected: PageFill) -> None:
    assert playground_fill(comparison(settings), config, LIMIT) == expected


def test_playground_fill_lanes_here_and_elsewhere(config) -> None:
    got = playground_fill(comparison({}, lanes=("elsewhere", "reasoning", "base")), config, LIMIT)
    assert got.lanes == {"compare": ["base", "reasoning"]}  # the page's order
    assert got.notes == ["lane 'elsewhere' is not on this server (lanes here: base, instruct, reasoning)"]
    # None of its lanes here: all lanes are ticked.
    assert playground_fill(comparison({}, lanes=("gpt",)), config, LIMIT).lanes == {"compare": LANES}


def test_playground_fill_keeps_max_tokens_within_this_servers_limit(config) -> None:
    got = playground_fill(comparison({**FULL_SET, "max_tokens": 4000}), config, 1000)
    assert got.sampling.shared["max_tokens"] == 1000
    assert got.notes == ["max_tokens 4000 is over this server's limit; set to 1000"]
    got = playground_fill(comparison({"max_tokens": 4000}), config, 1000)
    assert {n: v["max_tokens"] for n, v in got.sampling.per_lane.items()} == dict.fromkeys(LANES, 1000)
    assert got.notes == [f"lane {n}: max_tokens 4000 is over this server's limit; set to 1000" for n in LANES]


def test_every_slider_is_in_the_full_set() -> None:
    assert set(FULL_SET) == set(SLIDER_FIELDS)


def test_prefill_is_plain_data_without_gradio() -> None:
    code = "import sys, seedui.prefill; sys.exit('gradio' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
