"""seedui.controls: what the sampling controls show for settings, and what they send back."""

from __future__ import annotations

import pytest

from seedui.controls import (
    SLIDER_FIELDS,
    card_values,
    max_tokens_limit,
    parse_stop_text,
    sent_settings,
    shown_values,
    stop_text,
)
from seedui.sampling import DEFAULT_MAX_TOKENS, SamplingSettings
from tests.conftest import tiny_config

UNSET_SHOWN = {
    "temperature": 1.0,
    "top_p": 1.0,
    "top_k": 0,
    "min_p": 0.0,
    "repetition_penalty": 1.0,
    "presence_penalty": 0.0,
    "frequency_penalty": 0.0,
    "max_tokens": DEFAULT_MAX_TOKENS,
    "seed": -1,
    "stop": "",
}


@pytest.mark.parametrize(
    ("settings", "limit", "shown", "notes"),
    [
        (SamplingSettings(), 4096, UNSET_SHOWN, []),
        (
            SamplingSettings(temperature=0.2, top_k=40, max_tokens=64, seed=7, stop=("\n\n", "a\tb")),
            4096,
            {**UNSET_SHOWN, "temperature": 0.2, "top_k": 40, "max_tokens": 64, "seed": 7, "stop": "\\n\\n\na\\tb"},
            [],
        ),
        (SamplingSettings(max_tokens=9000), 4096, {**UNSET_SHOWN, "max_tokens": 4096}, [
            "max_tokens 9000 is over this server's limit; set to 4096"
        ]),
        (SamplingSettings(), 100, {**UNSET_SHOWN, "max_tokens": 100}, [
            f"max_tokens {DEFAULT_MAX_TOKENS} is over this server's limit; set to 100"
        ]),
    ],
)  # fmt: skip
def test_shown_values(settings, limit, shown, notes):
    assert shown_values(settings, limit) == (shown, notes)


def test_notes_say_where():
    _, notes = shown_values(SamplingSettings(max_tokens=50), 10, "lane base: ")
    assert notes == ["lane base: max_tokens 50 is over this server's limit; set to 10"]


def test_card_values_leave_seed_and_stop_empty():
    card = SamplingSettings(temperature=0.6, seed=3, stop=("###",))
    assert card_values(card, 4096) == {**UNSET_SHOWN, "temperature": 0.6}


@pytest.mark.parametrize(
    ("shown", "include_sliders", "sent"),
    [
        (UNSET_SHOWN, True, {k: v for k, v in UNSET_SHOWN.items() if k not in ("seed", "stop")}),
        (UNSET_SHOWN, False, {}),
        ({**UNSET_SHOWN, "seed": 5, "stop": "x\n\n\\ny"}, False, {"seed": 5, "stop": ["x", "\ny"]}),
        ({"top_k": 40.0, "max_tokens": 12.0, "seed": 3.0}, True, {"top_k": 40, "max_tokens": 12, "seed": 3}),
        ({"seed": None, "stop": None}, True, {}),
    ],
)
def test_sent_settings(shown, include_sliders, sent):
    out = sent_settings(shown, include_sliders)
    assert out == sent
    assert all(type(out[k]) is int for k in ("top_k", "max_tokens", "seed") if k in out)
    SamplingSettings.parse(out)  # what the controls send is always valid


def test_what_is_shown_is_what_is_sent():
    settings = SamplingSettings(temperature=0.3, top_p=0.5, max_tokens=77, seed=11, stop=("\n", "END"))
    shown, _ = shown_values(settings, 4096)
    sent = SamplingSettings.parse(sent_settings(shown))
    assert {k: getattr(sent, k) for k in settings.set_values()} == settings.set_values()
    assert set(sent.set_values()) == {*SLIDER_FIELDS, "seed", "stop"}


@pytest.mark.parametrize("stops", [[], ["a"], ["\n\n", "\t", "x\\y"], ["line\nbreak"]])
def test_stop_text_round_trips(stops):
    assert parse_stop_text(stop_text(stops)) == stops


def test_max_tokens_limit_is_the_longest_context_within_the_request_limit(tmp_path):
    assert max_tokens_limit(tiny_config(tmp_path)) == 8192
    assert max_tokens_limit(tiny_config(tmp_path, **{"limits.max_total_tokens": 1000})) == 1000
