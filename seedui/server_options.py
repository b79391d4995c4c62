"""How the supervisor starts the servers it runs for a lane (`vllm serve`, llama.cpp's `llama-server`): config data.

Each block sits under its lane in the config (`lanes.<name>.vllm`, `lanes.<name>.llamacpp`); the server kinds in
`seedui/engines/servers/` turn it into a command line.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class VllmOptions(BaseModel):
    """How the supervisor starts `vllm serve` for a lane's model."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    gpu_memory_utilization: float | None = Field(None, gt=0, le=1)
    max_model_len: int | None = Field(None, ge=16)
    dtype: str | None = None
    reasoning_parser: str | None = None
    extra_args: tuple[str, ...] = ()


class GgufSource(BaseModel):
    """A GGUF file on the Hugging Face Hub: downloaded once (with progress) into the Hub cache."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    repo: str = Field(min_length=1)
    file: str = Field(min_length=1, pattern=r"\.gguf$")
    revision: str | None = None


class LlamaCppOptions(BaseModel):
    """How the supervisor starts llama.cpp's `llama-server` for a lane's model (`engine: llamacpp`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # Where the weights come from when the lane's model is not a local .gguf file nor an embedded one.
    gguf: GgufSource | None = None
    # Slots: requests decoded together in one batch. They share one KV cache (llama.cpp's unified KV cache), so
    # a slot costs nothing until a request uses it; when the requests in flight fill the cache, llama.cpp fails
    # them all ("Context size has been exceeded").
    parallel: int = Field(8, ge=1, le=256)
    # Tokens that cache holds, all slots together (RAM: Seed-Coder-8B 128 KiB a token, SmolLM2-135M 22.5 KiB).
    # Default: the lane's context_length, room for one full-length request.
    kv_tokens: int | None = Field(None, ge=16)
    # One sequence's next token is a small computation: a second thread per core only adds a wait at every step
    # (2 threads on 2 CPUs: 28 tokens/s alone where 1 made 100, docs/performance.md). Several tokens at once
    # (a prompt, requests decoding together) have the work to share among all the CPUs.
    threads: int | None = Field(
        None, ge=1, description="CPU threads for one sequence's next token; default: half the CPUs, at least 1"
    )
    threads_batch: int | None = Field(
        None, ge=1, description="CPU threads for several tokens at once; default: the CPUs this process may use"
    )
    # One lane's model loaded at a time (machines with too little RAM for all): a request for a stopped
    # server waits until the running one is idle, stops it, and starts its own.
    take_turns: bool = False
    # What a lane runs on when llama-server cannot run here (not built, a CPU it was not built for).
    fallback: Literal["transformers"] | None = None
    extra_args: tuple[str, ...] = ()
