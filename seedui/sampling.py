"""One validated sampling model, mapped to each engine's request format.

Only values that were set are sent: an unset field means "the engine's own
default", so nothing the user did not ask for reaches the model.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from seedui.errors import UserError

MAX_STOP_STRINGS = 8
MAX_STOP_CHARS = 64
# The hard ceiling for max_tokens; the lane's context length is the real bound
# and is applied in `SamplingSettings.check_for_lane`.
MAX_TOKENS_CEILING = 65536


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
            raise UserError(f"invalid {where}: {format_validation_error(exc)}") from None

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

    # --- engine mappings -------------------------------------------------

    def to_generate_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for transformers `model.generate`.

        presence/frequency penalties and the seed have no `generate` kwarg; the
        transformers engine applies them with its own logits processors.
        """
        kw: dict[str, Any] = {}
        if self.max_tokens is not None:
            kw["max_new_tokens"] = self.max_tokens
        greedy = self.temperature == 0
        kw["do_sample"] = not greedy
        if not greedy:
            if self.temperature is not None:
                kw["temperature"] = self.temperature
            if self.top_p is not None:
                kw["top_p"] = self.top_p
            # generate() defaults top_k to 50; 0 turns it off as in vLLM.
            kw["top_k"] = self.top_k if self.top_k is not None else 0
            if self.min_p:
                kw["min_p"] = self.min_p
        if self.repetition_penalty is not None:
            kw["repetition_penalty"] = self.repetition_penalty
        return kw

    def to_openai_body(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(standard OpenAI params, extra_body) for an OpenAI-compatible server."""
        std: dict[str, Any] = {}
        for key in ("temperature", "top_p", "presence_penalty", "frequency_penalty", "max_tokens", "seed"):
            value = getattr(self, key)
            if value is not None:
                std[key] = value
        if self.stop:
            std["stop"] = list(self.stop)
        extra = {k: getattr(self, k) for k in ("top_k", "min_p", "repetition_penalty") if getattr(self, k) is not None}
        return std, extra


def field_bounds(name: str) -> dict[str, float | None]:
    """Slider bounds for a field, read from the model (one source of truth)."""
    info = SamplingSettings.model_fields[name]
    bounds: dict[str, float | None] = {"min": None, "max": None}
    for meta in info.metadata:
        for attr, key in (("ge", "min"), ("gt", "min"), ("le", "max"), ("lt", "max")):
            if getattr(meta, attr, None) is not None:
                bounds[key] = getattr(meta, attr)
    return bounds


MAX_ERRORS_NAMED = 3  # a request full of bad keys gets a short answer, not an echo of every key


def format_validation_error(exc: ValidationError) -> str:
    parts = []
    errors = exc.errors()
    for err in errors[:MAX_ERRORS_NAMED]:
        loc = ".".join(str(p) for p in err["loc"]) or "value"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown setting"
        parts.append(f"{loc}: {msg}")
    if len(errors) > MAX_ERRORS_NAMED:
        parts.append(f"and {len(errors) - MAX_ERRORS_NAMED} more")
    return "; ".join(parts)
