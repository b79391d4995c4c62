from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import pytest
from starlette.datastructures import QueryParams

from seedui.deeplink import MAX_BUILT_QUERY_CHARS, MAX_LINK_PROMPT_BYTES, DeepLink, build_query, parse_query
from seedui.errors import UserError
from seedui.sampling import SamplingSettings

LANES = ["base", "instruct", "reasoning"]


def parse(**params: str) -> DeepLink:
    return parse_query(params, LANES)


# --- good values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field", "expected"),
    [
        ({"prompt": "Write a quicksort"}, "prompt", "Write a quicksort"),
        ({"prompt": "```py\nx = 1\n```"}, "prompt", "```py\nx = 1\n```"),
        ({"prompt": "p" * MAX_LINK_PROMPT_BYTES}, "prompt", "p" * MAX_LINK_PROMPT_BYTES),
        ({"lanes": "instruct"}, "lanes", ["instruct"]),
        ({"lanes": "reasoning, base"}, "lanes", ["base", "reasoning"]),  # page order, spaces ignored
        ({"lanes": "base,base,"}, "lanes", ["base"]),
        ({"tab": "fim"}, "tab", "fim"),
        ({"tab": " Chat "}, "tab", "chat"),
        ({"share": "AbCdEfGhIjKlMn_-"}, "share", "AbCdEfGhIjKlMn_-"),
        ({"temperature": "0"}, "settings", {"temperature": 0.0}),
        ({"temperature": "2"}, "settings", {"temperature": 2.0}),
        ({"top_p": "0.95", "top_k": "40"}, "settings", {"top_p": 0.95, "top_k": 40}),
        ({"min_p": "0.05", "repetition_penalty": "1.05"}, "settings", {"min_p": 0.05, "repetition_penalty": 1.05}),
        ({"max_tokens": "512", "seed": "7"}, "settings", {"max_tokens": 512, "seed": 7}),
        (
            {"presence_penalty": "-1.5", "frequency_penalty": "0.5"},
            "settings",
            {"presence_penalty": -1.5, "frequency_penalty": 0.5},
        ),
        ({"temperature": " 1e-1 "}, "settings", {"temperature": 0.1}),
    ],
)
def test_good_values_prefill(params: dict[str, str], field: str, expected: Any) -> None:
    link = parse_query(params, LANES)
    assert getattr(link, field) == expected
    assert link.notices == []


def test_nothing_given_is_an_empty_prefill() -> None:
    assert parse_query({}, LANES) == DeepLink()


def test_int_settings_stay_ints_and_feed_sampling_settings() -> None:
    link = parse(max_tokens="100", temperature="0.5")
    assert type(link.settings["max_tokens"]) is int
    assert link.sampling() == SamplingSettings(max_tokens=100, temperature=0.5)


# --- bad values -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "notice"),
    [
        ({"temperature": "abc"}, "ignored temperature='abc': must be a number between 0 and 2"),
        ({"temperature": "2.5"}, "ignored temperature='2.5': must be a number between 0 and 2"),
        ({"temperature": "nan"}, "ignored temperature='nan': must be a number between 0 and 2"),
        ({"temperature": "inf"}, "ignored temperature='inf': must be a number between 0 and 2"),
        ({"temperature": ""}, "ignored temperature='': must be a number between 0 and 2"),
        ({"top_p": "0"}, "ignored top_p='0': must be a number above 0 and at most 1"),
        ({"top_k": "1.5"}, "ignored top_k='1.5': must be a whole number between 0 and 1000"),
        ({"top_k": "5000"}, "ignored top_k='5000': must be a whole number between 0 and 1000"),
        ({"min_p": "-0.1"}, "ignored min_p='-0.1': must be a number between 0 and 1"),
        ({"repetition_penalty": "0"}, "ignored repetition_penalty='0': must be a number above 0 and at most 2"),
        ({"max_tokens": "0"}, "ignored max_tokens='0': must be a whole number between 1 and 65536"),
        ({"seed": "-1"}, "ignored seed='-1': must be a whole number between 0 and 9223372036854775807"),
        ({"seed": "9" * 5000}, "ignored seed='" + "9" * 37 + "…': must be a whole number"),
        ({"presence_penalty": "3"}, "ignored presence_penalty='3': must be a number between -2 and 2"),
        ({"frequency_penalty": "true"}, "ignored frequency_penalty='true': must be a number between -2 and 2"),
        ({"tab": "settings"}, "ignored tab='settings': must be one of compare, chat, fim"),
        ({"share": "../../etc"}, "ignored share='../../etc': not a valid share id; the link may be incomplete"),
        ({"share": "abc"}, "ignored share='abc': not a valid share id"),
        ({"lanes": "gpt4"}, "ignored lane 'gpt4': known lanes are base, instruct, reasoning"),
        ({"lanes": ","}, "ignored lanes=',': name one or more of base, instruct, reasoning"),
        ({"prompt": "p" * (MAX_LINK_PROMPT_BYTES + 1)}, "ignored prompt: 32,769 bytes is over the 32 KB limit"),
        ({"prompt": "✓" * 11_000}, "ignored prompt: 33,000 bytes is over the 32 KB limit for links"),
        ({"utm_source": "x"}, "ignored unknown parameter 'utm_source'; known: prompt, lanes, tab, share"),
    ],
)
def test_bad_values_become_notices(params: dict[str, str], notice: str) -> None:
    link = parse_query(params, LANES)
    assert len(link.notices) >= 1
    assert link.notices[0].startswith(notice)
    assert link.settings == {} and link.prompt is None and link.tab is None and link.share is None
    assert len(link.notices[0]) < 300


def test_one_bad_value_does_not_drop_the_others() -> None:
    link = parse(prompt="hi", temperature="hot", top_p="0.9", max_tokens="-5", seed="3", lanes="base,nope", tab="x")
    assert link.prompt == "hi"
    assert link.settings == {"top_p": 0.9, "seed": 3}
    assert link.lanes == ["base"]
    assert link.tab is None
    assert [n.split("=")[0].split(" ")[1] for n in link.notices] == ["temperature", "max_tokens", "lane", "tab"]


def test_no_known_lane_keeps_the_selection() -> None:
    link = parse(lanes="x,y")
    assert link.lanes is None
    assert link.notices[-1] == "no known lane was named, so the lane selection is left as it is"


def test_framework_params_are_ignored_quietly() -> None:
    link = parse(__theme="dark", __sign="jwt", view="api", prompt="p")
    assert link.prompt == "p" and link.notices == []


def test_empty_prompt_is_not_a_prefill() -> None:
    assert parse(prompt="") == DeepLink()


def test_starlette_query_params_work() -> None:
    # What gr.Request.query_params is.
    link = parse_query(QueryParams("prompt=a%20b%26c&lanes=base,instruct&temperature=0.3"), LANES)
    assert (link.prompt, link.lanes, link.settings) == ("a b&c", ["base", "instruct"], {"temperature": 0.3})


# --- build_query ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "lanes", "tab", "settings"),
    [
        ("Write quicksort in Python", ["base", "instruct"], "compare", {"temperature": 0.6, "top_p": 0.8}),
        ("a&b=c#d+e%f ?\n```py\nprint('é ✓ 漢字')\n```\n", None, None, None),
        (None, ["reasoning"], "chat", {"max_tokens": 8192, "seed": 2**63 - 1, "top_k": 0, "min_p": 0.0}),
        ("fim", None, "fim", {"repetition_penalty": 1.05, "presence_penalty": -2, "frequency_penalty": 1e-05}),
        (None, None, None, {"temperature": None, "top_p": 0.1}),
        ("p" * 8000, ["base"], None, SamplingSettings(temperature=1.0, stop=("x",))),
    ],
)
def test_build_query_round_trips(prompt: Any, lanes: Any, tab: Any, settings: Any) -> None:
    query = build_query(prompt, lanes, tab, settings)
    assert not query.startswith("?") and "+" not in query.replace("%2B", "")
    link = parse_query(dict(parse_qsl(query, keep_blank_values=True)), LANES)
    assert link.notices == []
    assert link.prompt == prompt
    assert link.lanes == lanes
    assert link.tab == tab
    if isinstance(settings, SamplingSettings):
        settings = {k: v for k, v in settings.set_values().items() if k != "stop"}
    assert link.settings == {k: v for k, v in (settings or {}).items() if v is not None}
    # and the same through Starlette, as the app receives it
    assert parse_query(QueryParams(query), LANES) == link


def test_build_query_is_readable_for_lanes() -> None:
    assert build_query(None, ["base", "instruct"], "compare", {"temperature": 0.5}) == (
        "lanes=base,instruct&tab=compare&temperature=0.5"
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"prompt": "p" * (MAX_LINK_PROMPT_BYTES + 1)}, UserError, "too long for a link: 32,769 bytes"),
        ({"prompt": "漢" * 4000}, UserError, f"limit is {MAX_BUILT_QUERY_CHARS:,}; use Share instead"),
        ({"tab": "settings"}, ValueError, "tab must be one of compare, chat, fim"),
        ({"settings": {"stop": ["x"], "foo": 1}}, ValueError, "links cannot carry foo, stop"),
        ({"settings": {"temperature": 9}}, UserError, "temperature"),
        ({"settings": {"top_k": True}}, UserError, "top_k"),
    ],
)
def test_build_query_refuses_what_a_link_cannot_carry(kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message.replace("(", r"\(")):
        build_query(**kwargs)
