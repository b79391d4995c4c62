"""The sampling model: bounds, unknown fields, and the exact kwargs/body each engine gets."""

from __future__ import annotations

import math

import pytest

from seedui.engines.dialects import LLAMACPP, OPENAI, VLLM
from seedui.engines.transformers_local import generate_kwargs
from seedui.errors import UserError
from seedui.sampling import SamplingSettings, field_spec, field_specs


@pytest.mark.parametrize(
    "data, fragment",
    [
        ({"temperature": 2.5}, "temperature"),
        ({"temperature": -0.1}, "temperature"),
        ({"top_p": 0}, "top_p"),
        ({"top_p": 1.5}, "top_p"),
        ({"min_p": 1.1}, "min_p"),
        ({"repetition_penalty": 0}, "repetition_penalty"),
        ({"presence_penalty": 3}, "presence_penalty"),
        ({"frequency_penalty": -2.5}, "frequency_penalty"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"temperature": math.nan}, "finite"),
        ({"temperature": math.inf}, "finite"),
        ({"temperature": "0.5"}, "must be a number"),
        ({"max_tokens": True}, "must be a number"),
        ({"stop": ["a"] * 9}, "at most 8"),
        ({"stop": [""]}, "non-empty"),
        ({"stop": [1]}, "non-empty strings"),
        ({"temprature": 0.5}, "temprature: unknown setting"),
    ],
)
def test_rejects_with_field_name(data, fragment):
    with pytest.raises(UserError) as err:
        SamplingSettings.parse(data)
    assert fragment in str(err.value)


def test_non_dict_settings_are_refused():
    with pytest.raises(UserError, match="must be a JSON object"):
        SamplingSettings.parse(["temperature", 1])


def test_only_set_values_are_sent_and_lane_defaults_fill_the_rest():
    card = SamplingSettings(temperature=0.6, top_p=0.8, repetition_penalty=1.05, max_tokens=512)
    user = SamplingSettings.parse({"temperature": 0.2, "seed": 7})
    merged = user.merged_over(card)
    assert merged.set_values() == {
        "temperature": 0.2,
        "top_p": 0.8,
        "repetition_penalty": 1.05,
        "max_tokens": 512,
        "seed": 7,
    }


def test_generate_kwargs_exact():
    s = SamplingSettings(temperature=0.6, top_p=0.8, top_k=20, min_p=0.05, repetition_penalty=1.05, max_tokens=64)
    assert generate_kwargs(s) == {
        "max_new_tokens": 64,
        "do_sample": True,
        "temperature": 0.6,
        "top_p": 0.8,
        "top_k": 20,
        "min_p": 0.05,
        "repetition_penalty": 1.05,
    }


def test_generate_kwargs_greedy_drops_sampling_knobs():
    s = SamplingSettings(temperature=0, top_p=0.5, max_tokens=8)
    assert generate_kwargs(s) == {"max_new_tokens": 8, "do_sample": False}


def test_generate_kwargs_turn_off_transformers_default_top_k():
    # generate() would apply top_k=50 unless told otherwise; vLLM/OpenAI default is off.
    assert generate_kwargs(SamplingSettings(temperature=1.0))["top_k"] == 0


ALL_SET = SamplingSettings(
    temperature=0.6, top_p=0.8, top_k=20, min_p=0.05, repetition_penalty=1.05, presence_penalty=0.5,
    frequency_penalty=0.25, max_tokens=64, seed=3, stop=["\n\n", "###"],
)  # fmt: skip
STD_ALL_SET = {
    "temperature": 0.6,
    "top_p": 0.8,
    "presence_penalty": 0.5,
    "frequency_penalty": 0.25,
    "max_tokens": 64,
    "seed": 3,
    "stop": ["\n\n", "###"],
}


@pytest.mark.parametrize("dialect", [OPENAI, VLLM])
def test_openai_and_vllm_bodies_exact(dialect):
    std, extra = dialect.body(ALL_SET)
    assert std == STD_ALL_SET
    assert extra == {"top_k": 20, "min_p": 0.05, "repetition_penalty": 1.05}
    assert dialect.body(SamplingSettings(max_tokens=5)) == ({"max_tokens": 5}, {})  # unset: the server's default


def test_llamacpp_body_exact():
    std, extra = LLAMACPP.body(ALL_SET)
    assert std == STD_ALL_SET
    assert extra == {"top_k": 20, "min_p": 0.05, "repeat_penalty": 1.05}  # llama.cpp's name
    # Unset fields mean "no truncation", as in OpenAI's API, not llama.cpp's own top_k 40 / min_p 0.05 / temp 0.8.
    std, extra = LLAMACPP.body(SamplingSettings(max_tokens=5))
    assert std == {"temperature": 1.0, "top_p": 1.0, "max_tokens": 5}
    assert extra == {"top_k": 0, "min_p": 0.0}


def test_thinking_lanes_keep_their_tags_each_in_its_servers_way():
    tags = ("<think>", "</think>")
    assert VLLM.body(SamplingSettings(max_tokens=5), tags)[1] == {"skip_special_tokens": False}
    assert LLAMACPP.body(SamplingSettings(max_tokens=5), tags)[1]["preserved_tokens"] == ["<think>", "</think>"]
    assert OPENAI.body(SamplingSettings(max_tokens=5), tags)[1] == {}
    assert VLLM.body(SamplingSettings(max_tokens=5))[1] == {}  # other lanes: nothing
    assert "preserved_tokens" not in LLAMACPP.body(SamplingSettings(max_tokens=5))[1]


def test_max_tokens_bounded_by_context():
    with pytest.raises(UserError, match="larger than this lane's context of 100"):
        SamplingSettings(max_tokens=200).check_for_lane(100)


@pytest.mark.parametrize(
    "name, kind, lo, hi, exclusive",
    [
        ("temperature", "float", 0, 2, False),
        ("top_p", "float", 0, 1, True),
        ("top_k", "int", 0, 1000, False),
        ("min_p", "float", 0, 1, False),
        ("repetition_penalty", "float", 0, 2, True),
        ("presence_penalty", "float", -2, 2, False),
        ("max_tokens", "int", 1, 65536, False),
        ("seed", "int", 0, 2**63 - 1, False),
        ("stop", "strings", None, None, False),
    ],
)
def test_field_spec_reads_kind_and_bounds_from_the_model(name, kind, lo, hi, exclusive):
    spec = field_spec(name)
    assert (spec.kind, spec.minimum, spec.maximum, spec.exclusive_minimum) == (kind, lo, hi, exclusive)


def test_every_field_has_its_page_facts():
    specs = field_specs()
    assert [s.name for s in specs] == list(SamplingSettings.model_fields)
    for spec in specs:
        assert spec.label, spec.name
        if spec.slider:  # a slider's unset value is one it can show
            assert spec.numeric and spec.minimum <= spec.unset <= spec.maximum, spec.name
    assert [s.name for s in specs if s.slider] == [
        "temperature", "top_p", "top_k", "min_p", "repetition_penalty", "presence_penalty", "frequency_penalty",
        "max_tokens",
    ]  # fmt: skip
    assert (field_spec("seed").unset, field_spec("stop").unset) == (-1, "")


@pytest.mark.parametrize(
    "name, rule",
    [
        ("temperature", "must be a number between 0 and 2"),
        ("top_p", "must be a number above 0 and at most 1"),
        ("top_k", "must be a whole number between 0 and 1000"),
        ("presence_penalty", "must be a number between -2 and 2"),
    ],
)
def test_field_rule_words_the_bounds(name, rule):
    assert field_spec(name).rule() == rule


def test_unknown_field_has_no_spec():
    with pytest.raises(KeyError):
        field_spec("colour")
