"""The one streaming protocol every engine speaks.

An engine turns a `GenerationRequest` into an async stream of `Chunk`s. The
caller only iterates; closing the iterator (or cancelling its task) must stop
generation promptly and free whatever the engine held for it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

from seedui.sampling import SamplingSettings

Message = dict[str, str]  # {"role": ..., "content": ...}
FinishReason = Literal["stop", "length", "cancelled", "error"]


@dataclass(frozen=True)
class GenerationRequest:
    """What to generate. Exactly one of `messages` (chat) or `prompt` (raw text).

    `prompt` is already fully rendered (plain completion or a FIM string built
    by `seedui.prompts`); `messages` go through the model's own chat template,
    in the engine (transformers) or on the server (OpenAI chat endpoint).
    """

    sampling: SamplingSettings
    messages: tuple[Message, ...] | None = None
    prompt: str | None = None

    def __post_init__(self) -> None:
        if (self.messages is None) == (self.prompt is None):
            raise ValueError("a request has either messages or a prompt")

    @property
    def is_chat(self) -> bool:
        return self.messages is not None


@dataclass(frozen=True)
class Chunk:
    """One streamed piece. Token counts, when known, are running totals."""

    text: str = ""
    reasoning: str = ""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: FinishReason | None = None


@dataclass
class EngineStatus:
    """Start-up state shown on the page per lane."""

    state: Literal["starting", "ready", "failed"] = "starting"
    detail: str = ""
    log_tail: list[str] = field(default_factory=list)
    memory_gib: float | None = None  # the RAM the lane's model needs, where the engine can tell
    notice: str = ""  # what a visitor should know even when ready (e.g. a slower fallback engine runs)


class Engine(Protocol):
    """What the fan-out needs from an engine. Engines never import Gradio or the prompt layer."""

    name: str  # shown on the page, e.g. "transformers (cpu)" or "vLLM @ http://..."

    async def start(self) -> None:
        """Load weights or check the server; set `status`. Must not raise."""

    @property
    def status(self) -> EngineStatus: ...

    async def count_prompt_tokens(self, request: GenerationRequest) -> int | None:
        """Tokens the prompt will take, or None when the engine cannot know."""

    def stream(self, request: GenerationRequest) -> AsyncIterator[Chunk]:
        """Stream the answer. Raises `EngineError` with a clear message on failure."""

    async def close(self) -> None:
        """Release resources (threads, servers)."""
