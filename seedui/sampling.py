"""One validated sampling model: bounds, labels and UI hints, in one place.

Only values that were set are sent: an unset field means "the engine's own
default", so nothing the user did not ask for reaches the model. Each engine
maps these settings to its own wire format (`generate_kwargs` in the
transformers engine, `request_kwargs` in the OpenAI one).
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from seedui.errors import UserError, describe_validation_error

MAX_STOP_STRINGS = 8
MAX_STOP_CHARS = 64
# The hard ceiling for max_tokens; the lane's context length is the real bound
# and is applied in `SamplingSettings.check_for_lane`.
MAX_TOKENS_CEILING = 65536
# What a lane generates at most when neither its model card nor the request sets max_tokens.
DEFAULT_MAX_TOKENS = 256


class SamplingSettings(BaseModel):
    """Sampling settings for one lane. Every field is optional (None = unset)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    temperature: float | None = Field(None, ge=0, le=2, description="0 = greedy")
    top_p: float | None = Field(None, gt=0, le=1, description="nucleus sampling mass")
    top_k: int | None = Field(None, ge=0, le=1000, description="0 = off")
    min_p: float | None = Field(None, ge=0, le=1, description="0 = off")
    repetition_penalty: float | None = Field(None, gt=0, le=2)
    presence_penalty: float | None = Field(None, ge=-2, le=2)
    frequency_penalty: float | None = Field(None, ge=-2, le=2)
    max_tokens: int | None = Field(None, ge=1, le=MAX_TOKENS_CEILING)
    seed: int | None = Field(None, ge=0, le=2**63 - 1)
    stop: tuple[str, ...] | None = Field(None, max_length=MAX_STOP_STRINGS)

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


def field_bounds(name: str) -> dict[str, float | None]:
    """Slider bounds for a field, read from the model (one source of truth)."""
    info = SamplingSettings.model_fields[name]
    bounds: dict[str, float | None] = {"min": None, "max": None}
    for meta in info.metadata:
        for attr, key in (("ge", "min"), ("gt", "min"), ("le", "max"), ("lt", "max")):
            if getattr(meta, attr, None) is not None:
                bounds[key] = getattr(meta, attr)
    return bounds
