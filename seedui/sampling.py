"""One validated sampling model: bounds, labels and UI hints, in one place.

Only values that were set are sent: an unset field means "the engine's own
default", so nothing the user did not ask for reaches the model. Each engine
maps these settings to its own wire format (`generate_kwargs` in the
transformers engine, `request_kwargs` in the OpenAI one).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from seedui.errors import UserError, describe_validation_error

MAX_STOP_STRINGS = 8
MAX_STOP_CHARS = 64
# The hard ceiling for max_tokens; the lane's context length is the real bound
# and is applied in `SamplingSettings.check_for_lane`.
MAX_TOKENS_CEILING = 65536
# What a lane generates at most when neither its model card nor the request sets max_tokens.
DEFAULT_MAX_TOKENS = 256


def _ui(label: str, step: float | None, unset: Any) -> dict[str, Any]:
    """A field's page facts, kept beside its bounds: its control's label, a slider's step (None: not a
    slider), and what the control shows while the field is unset (the engine's own default applies)."""
    return {"json_schema_extra": {"ui": {"label": label, "step": step, "unset": unset}}}


class SamplingSettings(BaseModel):
    """Sampling settings for one lane. Every field is optional (None = unset)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    temperature: float | None = Field(None, ge=0, le=2, description="0 = greedy", **_ui("Temperature", 0.01, 1.0))
    top_p: float | None = Field(None, gt=0, le=1, description="nucleus sampling mass", **_ui("Top-p", 0.01, 1.0))
    top_k: int | None = Field(None, ge=0, le=1000, description="0 = off", **_ui("Top-k (0 = off)", 1, 0))
    min_p: float | None = Field(None, ge=0, le=1, description="0 = off", **_ui("Min-p (0 = off)", 0.01, 0.0))
    repetition_penalty: float | None = Field(None, gt=0, le=2, **_ui("Repetition penalty", 0.01, 1.0))
    presence_penalty: float | None = Field(None, ge=-2, le=2, **_ui("Presence penalty", 0.05, 0.0))
    frequency_penalty: float | None = Field(None, ge=-2, le=2, **_ui("Frequency penalty", 0.05, 0.0))
    max_tokens: int | None = Field(
        None, ge=1, le=MAX_TOKENS_CEILING, **_ui("Max new tokens", 1, DEFAULT_MAX_TOKENS)
    )  # the lane's context length and the server's limits bound it further
    seed: int | None = Field(None, ge=0, le=2**63 - 1, **_ui("Seed (-1 = random)", None, -1))
    stop: tuple[str, ...] | None = Field(
        None, max_length=MAX_STOP_STRINGS, **_ui(f"Stop strings (one per line, up to {MAX_STOP_STRINGS})", None, "")
    )

    @field_validator("*", mode="before")
    @classmethod
    def _reject_odd_values(cls, value: Any, info: Any) -> Any:
        # bool is an int in Python; "0.5" would be coerced silently. Neither is
        # what a caller means, so both are refused by name.
        if info.field_name != "stop":
            if isinstance(value, bool) or isinstance(value, str):
                raise ValueError(f"must be a number, not {type(value).__name__}")
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError("must be a finite number")
        return value

    @field_validator("stop", mode="before")
    @classmethod
    def _check_stop(cls, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise ValueError("must be a list of strings")
        if len(value) > MAX_STOP_STRINGS:
            raise ValueError(f"at most {MAX_STOP_STRINGS} stop strings, got {len(value)}")
        for item in value:
            if not isinstance(item, str) or not item:
                raise ValueError("stop strings must be non-empty strings")
            if len(item) > MAX_STOP_CHARS:
                raise ValueError(f"a stop string has at most {MAX_STOP_CHARS} characters")
        return tuple(value)

    @classmethod
    def parse(cls, data: Any, where: str = "settings") -> SamplingSettings:
        """Validate user data; any problem becomes one clear UserError."""
        if data is None:
            return cls()
        if isinstance(data, SamplingSettings):
            return data
        if not isinstance(data, dict):
            raise UserError(f"{where} must be a JSON object (dict), got {type(data).__name__}")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise UserError(f"invalid {where}: {describe_validation_error(exc, unknown='unknown setting')}") from None

    def set_values(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)

    def merged_over(self, defaults: SamplingSettings) -> SamplingSettings:
        """These settings where set, else `defaults`."""
        return SamplingSettings.model_validate({**defaults.set_values(), **self.set_values()})

    def check_for_lane(self, context_length: int) -> None:
        if self.max_tokens is not None and self.max_tokens > context_length:
            raise UserError(
                f"max_tokens {self.max_tokens} is larger than this lane's context of {context_length} tokens"
            )


@dataclass(frozen=True)
class FieldSpec:
    """One sampling field as the page and links see it, read from `SamplingSettings` (one source)."""

    name: str
    kind: Literal["int", "float", "strings"]
    minimum: float | None
    maximum: float | None
    exclusive_minimum: bool  # (0, 1] rather than [0, 1]
    label: str
    step: float | None  # a slider's step; None: not a slider
    unset: Any  # what a control shows while the field is unset

    @property
    def slider(self) -> bool:
        return self.step is not None

    @property
    def numeric(self) -> bool:
        return self.kind != "strings"

    def rule(self) -> str:
        """'must be a number between 0 and 2', in words a link's notice can use."""
        kind = "a whole number" if self.kind == "int" else "a number"
        low, high = _num(self.minimum), _num(self.maximum)
        if self.exclusive_minimum:
            return f"must be {kind} above {low} and at most {high}"
        return f"must be {kind} between {low} and {high}"


def _num(bound: float | None) -> str:
    return str(bound) if isinstance(bound, int) else f"{bound:g}"


def _kind(annotation: Any) -> Literal["int", "float", "strings"]:
    types = {t for t in get_args(annotation) if t is not type(None)} or {annotation}
    if int in types:
        return "int"
    if float in types:
        return "float"
    return "strings"


@cache
def field_spec(name: str) -> FieldSpec:
    """A field's kind, bounds, label, slider step and unset value; KeyError for an unknown field."""
    info = SamplingSettings.model_fields[name]
    bounds: dict[str, Any] = {}
    for meta in info.metadata:
        for attr in ("ge", "gt", "le", "lt"):
            if getattr(meta, attr, None) is not None:
                bounds[attr] = getattr(meta, attr)
    extra = info.json_schema_extra
    ui = extra["ui"] if isinstance(extra, dict) else None
    if not isinstance(ui, dict):  # pragma: no cover - a guard for a field added without its page facts
        raise RuntimeError(f"SamplingSettings.{name} has no ui facts: add **_ui(label, step, unset) to its Field")
    return FieldSpec(
        name=name,
        kind=_kind(info.annotation),
        minimum=bounds.get("ge", bounds.get("gt")),
        maximum=bounds.get("le", bounds.get("lt")),
        exclusive_minimum="gt" in bounds,
        label=str(ui["label"]),
        step=ui["step"],
        unset=ui["unset"],
    )


def field_specs() -> list[FieldSpec]:
    """Every sampling field, in the model's order."""
    return [field_spec(name) for name in SamplingSettings.model_fields]
