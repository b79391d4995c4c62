"""The examples gallery: one YAML file per example in `examples/gallery/`, validated at start-up.

A file's name (without `.yaml`) is the example's `id`, stable for deep links. Chat and compare examples carry
a `prompt`; fill-in-the-middle examples carry `prefix`, `suffix` and `language` instead. `check` is optional
Python with asserts that a correct answer passes (e.g. for "write `is_palindrome(s)`").
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from seedui.config import AppConfig
from seedui.errors import ConfigError, describe_validation_error

GALLERY_DIR = Path(__file__).resolve().parent.parent / "examples" / "gallery"
SUFFIXES = (".yaml", ".yml")

Category = Literal["algorithms", "bug-fixing", "explain", "sql", "web", "shell", "fim", "reasoning"]
Tab = Literal["compare", "chat", "fim"]
Role = Literal["base", "instruct", "reasoning"]


class Example(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="the file name; set by the loader")
    title: str = Field(min_length=1, max_length=80)
    category: Category
    tab: Tab
    prompt: str | None = Field(None, min_length=1, description="compare/chat: the user message")
    prefix: str | None = Field(None, description="fim: code before the hole")
    suffix: str | None = Field(None, description="fim: code after the hole")
    language: str | None = Field(None, min_length=1, description="fim: language of prefix/suffix")
    lanes: tuple[Role, ...] | None = Field(None, min_length=1, description="lanes to run; default: all")
    check: str | None = Field(None, min_length=1, description="Python asserts a correct answer passes")

    @field_validator("lanes")
    @classmethod
    def _unique_lanes(cls, lanes: tuple[Role, ...] | None) -> tuple[Role, ...] | None:
        if lanes is not None and len(set(lanes)) != len(lanes):
            raise ValueError("each lane may appear only once")
        return lanes

    @field_validator("check")
    @classmethod
    def _check_compiles(cls, check: str | None) -> str | None:
        if check is not None:
            try:
                compile(check, "<check>", "exec")
            except SyntaxError as exc:
                raise ValueError(f"not valid Python: {exc.msg} (line {exc.lineno})") from None
        return check

    @model_validator(mode="after")
    def _fields_for_tab(self) -> Example:
        if self.tab == "fim":
            _require(self, "prefix", "suffix", "language")
            _forbid(self, "prompt")
            if self.lanes is not None and set(self.lanes) != {"base"}:
                raise ValueError("field 'lanes': fill-in-the-middle runs on the base lane only; use [base]")
        else:
            _require(self, "prompt")
            _forbid(self, "prefix", "suffix", "language")
        if (self.category == "fim") != (self.tab == "fim"):
            raise ValueError("field 'category': category 'fim' goes with tab 'fim' (and only with it)")
        return self


def _require(example: Example, *names: str) -> None:
    for name in names:
        if not getattr(example, name):
            raise ValueError(f"field '{name}': required when tab is '{example.tab}'")


def _forbid(example: Example, *names: str) -> None:
    for name in names:
        if getattr(example, name) is not None:
            raise ValueError(f"field '{name}': not used when tab is '{example.tab}'; remove it")


def lanes_for(example: Example, config: AppConfig) -> list[str]:
    """The lanes of `config` that run `example` on its tab: the example names roles, a configuration names lanes.

    The Chat tab offers only lanes that chat, and the FIM tab runs the Base (completion) lane: a lane
    its tab does not offer is never chosen.
    """
    roles = set(example.lanes or ())
    offered = {"compare": lambda lane: True, "chat": lambda lane: lane.chats, "fim": lambda lane: not lane.chats}
    return [
        name for name, lane in config.lanes.items() if (not roles or lane.role in roles) and offered[example.tab](lane)
    ]


def load_example(path: Path) -> Example:
    """One example from its file; a `ConfigError` names the file and the field when it is invalid."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"example {path}: cannot read: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"example {path}: the file must be a mapping of fields (title, category, tab, ...)")
    if "id" in data:
        raise ConfigError(f"example {path}: field 'id': comes from the file name; remove it")
    try:
        return Example(id=path.stem, **data)
    except ValidationError as exc:
        problems = describe_validation_error(exc, prefix=lambda _: "field ", limit=None)
        raise ConfigError(f"example {path}: {problems}") from None
    except TypeError as exc:  # non-string keys, e.g. `1: x`
        raise ConfigError(f"example {path}: {exc}") from None


def load_examples(folder: Path = GALLERY_DIR) -> list[Example]:
    """All examples in `folder`, sorted by category, then title."""
    if not folder.is_dir():
        raise ConfigError(f"examples folder {folder}: not found")
    paths = sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES and p.is_file())
    examples = [load_example(p) for p in paths]
    return sorted(examples, key=lambda e: (e.category, e.title.lower()))
