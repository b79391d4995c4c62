"""seedui.examples: the shipped gallery loads and covers every category; each example is valid for its tab,
runs through the service on both built-in profiles, has a meaningful check, and survives a deep link;
bad files are named in errors."""

from __future__ import annotations

import ast
import builtins
import textwrap
import typing
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from seedui.config import AppConfig, load_config
from seedui.deeplink import build_query, parse_query
from seedui.engines.base import Chunk, EngineStatus, GenerationRequest
from seedui.engines.engine_set import EngineSet
from seedui.errors import ConfigError, UserError
from seedui.examples import GALLERY_DIR, Category, Example, lanes_for, load_example, load_examples
from seedui.service import LaneService
from seedui.ui.fim_tab import LANGUAGES, MARKER, split_hole
from tests.conftest import run_async

EXAMPLES = load_examples()
WITH_CHECK = [e for e in EXAMPLES if e.check]
PROFILES = ("seed-coder", "tiny")

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


# --- every example, on its tab, on both built-in profiles ----------------------------------------------


class RecordingEngine:
    """Test double for the engine protocol: records each request and answers one empty, finished chunk."""

    name = "recording (test double)"

    def __init__(self) -> None:
        self.requests: list[GenerationRequest] = []
        self.status = EngineStatus("ready")

    async def start(self) -> None:
        pass

    async def count_prompt_tokens(self, request: GenerationRequest) -> int | None:
        return None  # no tokenizer here: the character limits and the template still apply

    async def stream(self, request: GenerationRequest) -> AsyncIterator[Chunk]:
        self.requests.append(request)
        yield Chunk(completion_tokens=1, finish_reason="stop")

    async def close(self) -> None:
        pass


def service_for(profile: str) -> LaneService:
    config = load_config(profile=profile, environ={})
    engines = EngineSet({name: RecordingEngine() for name in config.lanes})
    return LaneService(config, engines)  # type: ignore[arg-type]


SERVICES = {profile: service_for(profile) for profile in PROFILES}


def run(example: Example, service: LaneService) -> dict:
    """The example as the page sends it once the gallery filled its tab (default settings)."""
    lanes = lanes_for(example, service.config)

    async def go() -> dict:
        if example.tab == "fim":
            prefix, suffix = split_hole(f"{example.prefix}{MARKER}{example.suffix}")
            snaps = [snap async for snap in service.fim(prefix, suffix, {})]
            return {lanes[0]: snaps[-1]}
        if example.tab == "chat":
            asks = {name: [{"role": "user", "content": example.prompt}] for name in lanes}
            return [snap async for snap in service.chat(asks, {})][-1]
        return [snap async for snap in service.compare(example.prompt, {}, lanes)][-1]

    return run_async(go())


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.id)
def test_example_lanes_are_offered_by_its_tab(example: Example, profile: str) -> None:
    config: AppConfig = SERVICES[profile].config
    lanes = lanes_for(example, config)
    assert lanes, f"no lane of the {profile} profile runs this example"
    roles = {config.lanes[n].role for n in lanes}
    assert roles == set(example.lanes or roles)  # every role it names is in the profile
    if example.tab == "chat":
        assert all(config.lanes[n].chats for n in lanes)  # the Chat tab offers no Base lane
    if example.tab == "fim":
        assert roles == {"base"}


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.id)
def test_example_runs_through_the_service(example: Example, profile: str) -> None:
    service = SERVICES[profile]
    lanes = lanes_for(example, service.config)
    engines = {name: service.engines.engines[name] for name in lanes}
    for engine in engines.values():
        engine.requests.clear()
    if example.tab == "fim" and service.config.lanes[lanes[0]].fim is None:
        # The tiny stand-in has no FIM tokens: it says so instead of pretending.
        with pytest.raises(UserError, match="no fill-in-the-middle tokens"):
            run(example, service)
        return
    final = run(example, service)
    assert {name: lane["error"] for name, lane in final.items()} == dict.fromkeys(lanes)
    for name, engine in engines.items():
        (request,) = engine.requests
        if example.tab == "fim":  # SPM order: <suffix-token> suffix <prefix-token> prefix <middle-token>
            fim = service.config.lanes[name].fim
            assert request.prompt == f"{fim.suffix}{example.suffix}{fim.prefix}{example.prefix}{fim.middle}"
        elif request.messages is not None:
            assert request.messages[-1] == {"role": "user", "content": example.prompt}
        else:
            assert request.prompt == example.prompt  # the Base lane continues the prompt as it is


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.id)
def test_example_is_valid_for_its_tab(example: Example) -> None:
    if example.tab == "fim":
        assert MARKER not in example.prefix + example.suffix  # the page marks the hole itself
        assert example.prefix.strip() and example.suffix.strip()
        assert example.language in LANGUAGES
    else:
        assert len(example.prompt.strip()) > 40  # a task worth running, not a placeholder
        assert MARKER not in example.prompt  # only the FIM tab has holes


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.id)
def test_deep_link_to_example_round_trips(example: Example) -> None:
    config = SERVICES["seed-coder"].config
    text = f"{example.prefix}{MARKER}{example.suffix}" if example.tab == "fim" else example.prompt
    lanes = None if example.tab == "fim" else lanes_for(example, config)
    link = parse_query(dict(parse_qsl(build_query(text, lanes, example.tab))), list(config.lanes))
    assert (link.prompt, link.tab, link.lanes, link.notices) == (text, example.tab, lanes, [])


@pytest.mark.parametrize("example", WITH_CHECK, ids=lambda e: e.id)
def test_check_is_meaningful(example: Example) -> None:
    # It asserts something, and a stub answer (every name it uses returns None) fails it.
    tree = ast.parse(example.check)
    assert any(isinstance(node, ast.Assert) for node in ast.walk(tree))
    called = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    stubs = {name: (lambda *args, **kwargs: None) for name in called - set(dir(builtins))}
    assert stubs, "the check calls nothing the answer defines"
    with pytest.raises((AssertionError, TypeError, AttributeError)):
        exec(example.check, dict(stubs))


def test_every_check_has_a_reference_answer() -> None:
    assert {e.id for e in WITH_CHECK} == set(REFERENCE)


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
