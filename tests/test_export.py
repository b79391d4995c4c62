from __future__ import annotations

import json
from typing import Any

import pytest
from markdown_it import MarkdownIt

from seedui.export import to_json, to_markdown
from seedui.fences import close_open_fence
from seedui.shares import ShareInvalid, validate_comparison

PYTHON_ANSWER = (
    "Here you go:\n\n```python\ndef add(a, b):\n    return a + b\n```\n\n"
    "And a test:\n\n~~~\nassert add(1, 2) == 3\n~~~\n"
)
NESTED_ANSWER = "````markdown\n```python\nprint('inner')\n```\n````\n"


def lane(text: str, **extra: Any) -> dict[str, Any]:
    return {"text": text, "reasoning": "", "stats": {}, "error": None, **extra}


def comparison(**extra: Any) -> dict[str, Any]:
    return {
        "prompt": "Fix this:\n```python\nprint 'hi'\n```\nThanks ````",
        "settings": {"temperature": 0.6, "top_p": 0.95, "max_tokens": 512, "stop": ["a|b", "```"]},
        "lanes": {
            "base": lane(PYTHON_ANSWER, display_name="Seed-Coder-8B-Base", model="ByteDance-Seed/Seed-Coder-8B-Base"),
            "instruct": lane(NESTED_ANSWER, reasoning="Let me think.\n```js\nx()\n```", stats={"tokens": 42}),
            "reasoning": lane("", error="engine down:\nconnection refused"),
        },
        "meta": {"app_version": "0.1.0", "profile": "tiny", "created": "2026-05-09T07:35:25Z"},
        **extra,
    }


def headings(markdown: str) -> list[tuple[str, str]]:
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    return [(tok.tag, tokens[i + 1].content) for i, tok in enumerate(tokens) if tok.type == "heading_open"]


def fences(markdown: str) -> list[str]:
    return [tok.content for tok in MarkdownIt("commonmark").parse(markdown) if tok.type == "fence"]


# --- Markdown ------------------------------------------------------------------------------


def test_lane_answers_and_their_code_fences_are_verbatim() -> None:
    md = to_markdown(comparison())
    assert PYTHON_ANSWER in md
    assert NESTED_ANSWER in md
    blocks = fences(md)
    assert "def add(a, b):\n    return a + b\n" in blocks
    assert "assert add(1, 2) == 3\n" in blocks
    assert "```python\nprint('inner')\n```\n" in blocks


def test_prompt_fences_are_preserved_inside_a_longer_fence() -> None:
    md = to_markdown(comparison())
    prompt = comparison()["prompt"]
    assert prompt + "\n" in fences(md)  # the prompt is one block, fences and all
    assert "`````text\n" + prompt + "\n`````" in md  # longer than the ```` inside it


def test_structure_title_prompt_settings_and_one_section_per_lane() -> None:
    md = to_markdown(comparison())
    assert headings(md) == [
        ("h1", "SeedUI comparison"),
        ("h2", "Prompt"),
        ("h2", "Settings"),
        ("h2", "Seed-Coder-8B-Base (`base`)"),
        ("h2", "instruct (`instruct`)"),
        ("h2", "reasoning (`reasoning`)"),
    ]
    assert "SeedUI `0.1.0` · profile `tiny` · 2026-05-09T07:35:25Z" in md
    assert "Model: `ByteDance-Seed/Seed-Coder-8B-Base`" in md
    assert "Stats: tokens: 42" in md
    assert "<details>\n<summary>Reasoning</summary>\n\nLet me think.\n```js\nx()\n```\n\n</details>" in md
    assert "**Error:**\n\n```text\nengine down:\nconnection refused\n```" in md


def test_settings_table_keeps_one_row_per_setting() -> None:
    md = to_markdown(comparison())
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    cells = [tokens[i + 1].content for i, tok in enumerate(tokens) if tok.type == "td_open"]
    assert cells[::2] == ["max\\_tokens", "stop", "temperature", "top\\_p"]
    assert len(cells) == 8  # the '|' inside the stop value did not add a column


@pytest.mark.parametrize(
    "display_name",
    [
        "Evil\n# Injected heading",
        "x\n\n## Fake lane\n\n<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1)) ![t](http://tracker/p.png)",
        "```\nunclosed",
        "name ##",
        "a" * 5000,
    ],
)
def test_display_names_cannot_break_the_heading_structure(display_name: str) -> None:
    data = comparison(lanes={"base": lane("answer", display_name=display_name, model=display_name)})
    md = to_markdown(data)
    found = headings(md)
    assert [level for level, _ in found] == ["h1", "h2", "h2", "h2"]
    assert found[3][1].endswith("(`base`)")
    html = MarkdownIt("commonmark").render(md)
    assert "<script" not in html and "<img" not in html and "<a " not in html  # shown as text, not markup
    assert len(max(md.splitlines(), key=len)) < 500


def test_an_unclosed_fence_in_one_lane_does_not_swallow_the_next() -> None:
    data = comparison(lanes={"a": lane("```python\nwhile True:\n    pass"), "b": lane("second answer")})
    md = to_markdown(data)
    assert "```python\nwhile True:\n    pass\n```" in md
    assert [text for _, text in headings(md)][-2:] == ["a (`a`)", "b (`b`)"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("```py\nx\n```", "```py\nx\n```"),
        ("```py\nx", "```py\nx\n```"),
        ("````\n```\nx\n", "````\n```\nx\n````"),
        ("~~~\nx\n```\n", "~~~\nx\n```\n~~~"),
        ("``` not `a` fence\nx", "``` not `a` fence\nx"),
        ("   ```\nindented opener", "   ```\nindented opener\n```"),
        ("```\nx\n```   \n", "```\nx\n```   \n"),
    ],
)
def test_close_open_fence(text: str, expected: str) -> None:
    assert close_open_fence(text) == expected


def test_empty_answer_and_execution_results() -> None:
    data = comparison(
        lanes={"base": lane("", execution={"ok": True, "stdout": "3\n"})},
        checks={"base": {"passed": 2, "failed": 0}},
    )
    md = to_markdown(data)
    assert "_(no answer)_" in md
    assert "<summary>Execution</summary>" in md and '"stdout": "3\\n"' in md
    assert headings(md)[-1] == ("h2", "Checks")


def test_minimal_comparison_exports() -> None:
    md = to_markdown({"prompt": "p", "lanes": {"base": {"text": "t"}}})
    assert [t for _, t in headings(md)] == ["SeedUI comparison", "Prompt", "base (`base`)"]
    assert md.endswith("t\n")


def test_invalid_comparison_is_refused() -> None:
    with pytest.raises(ShareInvalid, match="oops: unknown field"):
        to_markdown({"prompt": "p", "lanes": {"base": {"text": "t"}}, "oops": 1})


# --- JSON ----------------------------------------------------------------------------------


def test_json_round_trips_and_is_stable() -> None:
    data = comparison(checks={"z": 1, "a": [1, 2]})
    text = to_json(data)
    assert json.loads(text) == validate_comparison(data)
    assert to_json(json.loads(text)) == text  # re-export of an export is identical
    assert text.endswith("}\n") and '\n  "checks": {\n    "a": [' in text
    keys = list(json.loads(text))
    assert keys == sorted(keys)
    assert "✓" in to_json(comparison(prompt="✓"))  # readable, not \u escapes


def test_json_refuses_nan() -> None:
    with pytest.raises(ShareInvalid, match="NaN"):
        to_json(comparison(lanes={"base": lane("t", stats={"x": float("inf")})}))
