"""seedui.examples: the shipped gallery loads, covers every category, and bad files are named in errors."""

from __future__ import annotations

import textwrap
import typing
from pathlib import Path

import pytest

from seedui.errors import ConfigError
from seedui.examples import GALLERY_DIR, Category, Example, load_example, load_examples

EXAMPLES = load_examples()
WITH_CHECK = [e for e in EXAMPLES if e.check]

# A correct answer for every example with a `check`, so a check that rejects good code fails here, not in the UI.
REFERENCE = {
    "is-palindrome": """
        def is_palindrome(s):
            i, j = 0, len(s) - 1
            while i < j:
                if not s[i].isalnum():
                    i += 1
                elif not s[j].isalnum():
                    j -= 1
                elif s[i].lower() != s[j].lower():
                    return False
                else:
                    i, j = i + 1, j - 1
            return True
    """,
    "merge-intervals": """
        def merge_intervals(intervals):
            out = []
            for start, end in sorted(intervals):
                if out and start <= out[-1][1]:
                    out[-1][1] = max(out[-1][1], end)
                else:
                    out.append([start, end])
            return out
    """,
    "lru-cache": """
        from collections import OrderedDict

        class LRUCache:
            def __init__(self, capacity):
                self.capacity, self.items = capacity, OrderedDict()

            def get(self, key):
                if key not in self.items:
                    return -1
                self.items.move_to_end(key)
                return self.items[key]

            def put(self, key, value):
                self.items[key] = value
                self.items.move_to_end(key)
                if len(self.items) > self.capacity:
                    self.items.popitem(last=False)
    """,
    "fix-moving-average": """
        def moving_average(xs, k):
            if not 1 <= k <= len(xs):
                raise ValueError("k out of range")
            return [sum(xs[i:i + k]) / k for i in range(len(xs) - k + 1)]
    """,
    "reasoning-water-jugs": """
        from collections import deque

        def jug_steps(a, b, target):
            seen, queue = {(0, 0)}, deque([((0, 0), 0)])
            while queue:
                (x, y), steps = queue.popleft()
                if target in (x, y):
                    return steps
                pour_xy, pour_yx = min(x, b - y), min(y, a - x)
                for state in ((a, y), (x, b), (0, y), (x, 0), (x - pour_xy, y + pour_xy), (x + pour_yx, y - pour_yx)):
                    if state not in seen:
                        seen.add(state)
                        queue.append((state, steps + 1))
            return -1
    """,
    "reasoning-stairs": """
        def ways(n):
            f = [1, 1, 1]
            for _ in range(3, n + 1):
                f.append(f[-1] + f[-3])
            return f[n]
    """,
}


def test_shipped_gallery_loads():
    assert len(EXAMPLES) >= 14
    assert len({e.id for e in EXAMPLES}) == len(EXAMPLES)
    assert EXAMPLES == sorted(EXAMPLES, key=lambda e: (e.category, e.title.lower()))


def test_every_category_is_present():
    assert {e.category for e in EXAMPLES} == set(typing.get_args(Category))


def test_fim_covers_several_languages():
    assert len({e.language for e in EXAMPLES if e.tab == "fim"}) >= 3


@pytest.mark.parametrize("example", WITH_CHECK, ids=lambda e: e.id)
def test_checks_compile_and_pass_a_correct_answer(example):
    compile(example.check, example.id, "exec")
    namespace: dict = {}
    exec(textwrap.dedent(REFERENCE[example.id]), namespace)
    exec(example.check, namespace)


def test_algorithm_examples_have_checks():
    assert all(e.check for e in EXAMPLES if e.category == "algorithms")


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


@pytest.mark.parametrize(
    "text, words",
    [
        ("title: x\ncategory: sql\ntab: compare\n", ["prompt", "required"]),
        ("title: x\ncategory: fim\ntab: fim\nprefix: a\nlanguage: go\n", ["suffix", "required"]),
        ("title: x\ncategory: fim\ntab: fim\nprefix: a\nsuffix: b\nlanguage: go\nprompt: p\n", ["prompt"]),
        ("title: x\ncategory: sql\ntab: chat\nprompt: p\nprefix: a\n", ["prefix"]),
        ("title: x\ncategory: cooking\ntab: chat\nprompt: p\n", ["category"]),
        ("title: x\ncategory: sql\ntab: chat\nprompt: p\ncolour: red\n", ["colour"]),
        ("title: x\ncategory: sql\ntab: chat\nprompt: p\nlanes: [base, gpt]\n", ["lanes.1"]),
        ("title: x\ncategory: sql\ntab: chat\nprompt: p\nlanes: [base, base]\n", ["lanes", "once"]),
        ("title: x\ncategory: fim\ntab: fim\nprefix: a\nsuffix: b\nlanguage: go\nlanes: [instruct]\n", ["lanes"]),
        ("title: x\ncategory: sql\ntab: fim\nprefix: a\nsuffix: b\nlanguage: go\n", ["category"]),
        ("title: x\ncategory: algorithms\ntab: chat\nprompt: p\ncheck: 'assert f(1) =='\n", ["check"]),
        ("title: x\ncategory: sql\ntab: chat\nprompt: p\nid: other\n", ["id"]),
        ("- just\n- a list\n", ["mapping"]),
        ("title: [unclosed\n", ["cannot read"]),
    ],
)
def test_invalid_file_error_names_file_and_field(tmp_path, text, words):
    _write(tmp_path, "good.yaml", "title: ok\ncategory: sql\ntab: chat\nprompt: p\n")
    bad = _write(tmp_path, "broken-one.yaml", text)
    with pytest.raises(ConfigError) as info:
        load_examples(tmp_path)
    message = str(info.value)
    assert str(bad) in message
    for word in words:
        assert word in message


def test_load_example_sets_id_from_file_name(tmp_path):
    path = _write(tmp_path, "my-example.yml", "title: T\ncategory: shell\ntab: chat\nprompt: ls?\n")
    assert load_example(path) == Example(id="my-example", title="T", category="shell", tab="chat", prompt="ls?")


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_examples(tmp_path / "nope")


def test_gallery_dir_is_the_repository_folder():
    assert GALLERY_DIR.parts[-2:] == ("examples", "gallery") and GALLERY_DIR.is_dir()
