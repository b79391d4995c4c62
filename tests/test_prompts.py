"""Prompt formats per lane, FIM order, context checks, and the streaming splitters."""

from __future__ import annotations

import pytest

from seedui.config import load_config
from seedui.errors import UserError
from seedui.prompts import (
    INSTRUCTION_COMMENTS,
    build_request,
    chat_messages,
    check_fits,
    check_instruction_as,
    completion_prompt,
    fim_prompt,
)
from seedui.sampling import SamplingSettings

SEED = load_config(profile="seed-coder", environ={})
TINY = load_config(profile="tiny", environ={})
S = SamplingSettings(max_tokens=16)


@pytest.mark.parametrize(
    "lane, system, expected_roles",
    [
        ("instruct", None, ["user"]),
        ("instruct", "Be terse.", ["system", "user"]),
        ("reasoning", None, ["user"]),
        ("reasoning", "Be terse.", ["user"]),  # never a system message for Reasoning
    ],
)
def test_chat_messages(lane, system, expected_roles):
    msgs = chat_messages(SEED.lanes[lane], [{"role": "user", "content": "hi"}], system)
    assert [m["role"] for m in msgs] == expected_roles


@pytest.mark.parametrize(
    "turns, fragment",
    [
        ([], "empty"),
        ([{"role": "assistant", "content": "x"}], "turn 1 is 'assistant'"),
        ([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}], "turn 2 is 'user'"),
        ([{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}], "last turn must be the user's"),
        ([{"role": "system", "content": "s"}, {"role": "user", "content": "a"}], "takes no system message"),
    ],
)
def test_reasoning_turns_must_alternate(turns, fragment):
    with pytest.raises(UserError, match=fragment):
        chat_messages(SEED.lanes["reasoning"], turns)


def test_seed_coder_fim_is_spm_with_config_tokens():
    assert fim_prompt(SEED.lanes["base"], "def f(x):\n    ", "\n    return y\n") == (
        "<[fim-suffix]>\n    return y\n<[fim-prefix]>def f(x):\n    <[fim-middle]>"
    )


def test_psm_order_from_config():
    lane = SEED.lanes["base"].model_copy(
        update={
            "fim": SEED.lanes["base"].fim.model_copy(
                update={"order": "psm", "prefix": "<P>", "suffix": "<S>", "middle": "<M>"}
            )
        }  # fmt: skip
    )
    assert fim_prompt(lane, "a", "b") == "<P>a<S>b<M>"


def test_model_without_fim_tokens_says_so():
    with pytest.raises(UserError, match="has no fill-in-the-middle tokens"):
        fim_prompt(TINY.lanes["base"], "a", "b")


@pytest.mark.parametrize(
    "lane, kwargs, kind",
    [
        ("base", {"prompt": "def f():"}, "prompt"),
        ("base", {"fim": ("a", "b")}, "prompt"),
        ("instruct", {"prompt": "hi"}, "messages"),
        ("reasoning", {"prompt": "hi", "system_prompt": "ignored"}, "messages"),
    ],
)
def test_build_request_per_style(lane, kwargs, kind):
    req = build_request(SEED.lanes[lane], S, **kwargs)
    assert (req.messages is not None) == (kind == "messages")
    if lane == "reasoning":
        assert all(m["role"] != "system" for m in req.messages)


def test_base_lane_does_not_chat():
    with pytest.raises(UserError, match="completion model"):
        build_request(SEED.lanes["base"], S, history=[{"role": "user", "content": "hi"}])


def test_lane_stops_and_user_stops_are_merged():
    lane = SEED.lanes["base"].model_copy(update={"stop": ("\n\n",)})
    req = build_request(lane, SamplingSettings(stop=("###", "\n\n")), prompt="x")
    assert req.sampling.stop == ("\n\n", "###")


@pytest.mark.parametrize(
    "prompt_tokens, max_tokens, context, ok",
    [(10, 10, 20, True), (11, 10, 20, False), (0, 20, 20, True), (5000, 512, 4096, False)],
)
def test_check_fits(prompt_tokens, max_tokens, context, ok):
    if ok:
        check_fits(prompt_tokens, max_tokens, context)
    else:
        with pytest.raises(UserError) as err:
            check_fits(prompt_tokens, max_tokens, context)
        assert str(prompt_tokens) in str(err.value) and str(context - max_tokens) in str(err.value)


def test_prompts_render_through_the_real_tokenizer_template():
    from transformers import AutoTokenizer

    from seedui.weights import resolve_weights

    tok = AutoTokenizer.from_pretrained(resolve_weights(TINY.lanes["instruct"].model, TINY.cache_dir))
    instruct = build_request(TINY.lanes["instruct"], S, prompt="Sort a list", system_prompt="You write Rust.")
    text = tok.apply_chat_template(list(instruct.messages), tokenize=False, add_generation_prompt=True)
    assert "You write Rust." in text and text.rstrip().endswith("assistant")
    reasoning = build_request(TINY.lanes["reasoning"], S, prompt="Sort a list", system_prompt="You write Rust.")
    text = tok.apply_chat_template(list(reasoning.messages), tokenize=False, add_generation_prompt=True)
    assert "You write Rust." not in text and "Sort a list" in text


# --- how an instruction reaches a Base lane ------------------------------------------------------


@pytest.mark.parametrize(
    ("instruction", "way", "prompt"),
    [
        ("Write is_prime(n).", "typed", "Write is_prime(n)."),
        ("write a quick sort algorithm.", "python", "# write a quick sort algorithm.\n"),  # the Seed-Coder README's
        ("  Sort a list.\n\nIn place.  \n", "python", "# Sort a list.\n#\n# In place.\n"),
        ("Sort a list.", "javascript", "// Sort a list.\n"),
        ("Sort a list.", "sql", "-- Sort a list.\n"),
        ("Sort a list.", "go", "// Sort a list.\npackage main\n\n"),
        ("Make a page.", "html", "<!-- Make a page. -->\n<!DOCTYPE html>\n"),
        ("Style it. */ body {}", "css", "/* Style it. * / body {} */\n"),  # the comment cannot end early
        ("A --> B", "html", "<!-- A - - > B -->\n<!DOCTYPE html>\n"),
        ("", "python", "#\n"),
    ],
)
def test_completion_prompt(instruction, way, prompt):
    assert completion_prompt(instruction, way) == prompt


def test_every_language_the_page_offers_has_a_comment():
    from seedui.ui.fim_tab import LANGUAGES

    assert set(LANGUAGES) == set(INSTRUCTION_COMMENTS)
    for lang in INSTRUCTION_COMMENTS:
        assert completion_prompt("x", lang).startswith(INSTRUCTION_COMMENTS[lang].open)


def test_instruction_as_reaches_only_a_base_lanes_prompt():
    base = build_request(SEED.lanes["base"], S, prompt="Sort a list.", instruction_as="python")
    assert base.prompt == "# Sort a list.\n"
    fim = build_request(SEED.lanes["base"], S, fim=("a", "b"), instruction_as="python")
    assert "# " not in fim.prompt  # an infill is code already
    chat = build_request(SEED.lanes["instruct"], S, prompt="Sort a list.", instruction_as="python")
    assert chat.messages[-1]["content"] == "Sort a list."


@pytest.mark.parametrize("value", ["Python", "rust2", "", None, 3])
def test_check_instruction_as_names_the_values_it_takes(value):
    with pytest.raises(UserError, match="instruction_as must be 'typed'.*python, javascript"):
        check_instruction_as(value)
