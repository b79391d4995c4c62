"""llama.cpp's `llama-server` as a supervised server: the CPU engine (`engine: llamacpp`).

One process per model, shared by the lanes naming it: its slots (`parallel`)
decode their requests together in one batch (continuous batching), over one
copy of the weights (the GGUF is memory-mapped) and one KV cache shared by
the slots (`--kv-unified`; `kv_tokens`, by default the lane's `context_length`). The
model runs outside the Python process that serves the page, so streaming
does not compete with it for the interpreter.

Chat goes through the GGUF's own template (`--jinja`); raw prompts (plain
completion, FIM strings) are tokenized with special tokens parsed, so FIM
markers become their single tokens. Taking turns (`take_turns`) has no
in-place sleep here: a server makes room by stopping and starts again when
its lane is asked for (the file stays in the page cache, so that is quick).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from seedui.engines.servers.ports import HOST
from seedui.engines.servers.server import ServerSpec
from seedui.errors import EngineError
from seedui.llamacpp_build import INSTALL_HINT, LlamaServerUnusable, cpu_count, find_llama_server
from seedui.server_options import LlamaCppOptions
from seedui.weights import gguf_file, gguf_memory_gib


def kv_tokens(spec: ServerSpec) -> int:
    """The KV cache's size in tokens, all slots together."""
    assert spec.context_length is not None
    return spec.options.kv_tokens or spec.context_length


def server_argv(program: list[str], model_path: str, served_name: str, port: int, kv_tokens: int,
                options: LlamaCppOptions, host: str = HOST) -> list[str]:  # fmt: skip
    return [
        *program,
        "--model", model_path,
        "--host", host,
        "--port", str(port),
        "--alias", served_name,
        "--ctx-size", str(kv_tokens),
        "--parallel", str(options.parallel),
        "--kv-unified",  # one KV cache for all slots: a slot costs nothing until a request uses it
        "--threads", str(options.threads or max(1, cpu_count() // 2)),
        "--threads-batch", str(options.threads_batch or cpu_count()),
        "--jinja",  # the GGUF's own chat template
        "--no-webui",
        *options.extra_args,
    ]  # fmt: skip


@dataclass(frozen=True)
class LlamaCppKind:
    """`llama-server` on the CPU; taking turns stops and starts the process."""

    setting: str | None  # AppConfig.llama_server
    cache_dirs: tuple[Path, ...]  # where scripts/install.sh may have built it
    startup_timeout_s: float
    label = "llama.cpp"
    slug = "llama-server"
    fix_hint = f"set llama_server to a working llama-server, or {INSTALL_HINT}"
    sleep_path = None
    wake_path = None

    def takes_turns(self, options: LlamaCppOptions) -> bool:
        return options.take_turns

    def program(self) -> list[str]:
        try:
            return [find_llama_server(self.setting, list(self.cache_dirs))]
        except LlamaServerUnusable as exc:
            raise EngineError(str(exc)) from None

    def model_path(self, spec: ServerSpec, cache_dir: Path, progress: Callable[[str], None]) -> str:
        return str(gguf_file(spec.model, spec.options.gguf, progress))

    def argv(self, program: list[str], spec: ServerSpec, model_path: str, port: int) -> list[str]:
        return server_argv(program, model_path, spec.served_name, port, kv_tokens(spec), spec.options)

    def env(self, takes_turns: bool) -> dict[str, str]:
        # OpenMP threads that spin between the steps of a token are fast on an idle machine but collapse when
        # another process wants a core (the page's own Python, a second lane's server): on 2 busy cores, 1 token
        # a second instead of 60. Passive waiting keeps them near full speed either way. An explicit setting wins.
        return {} if "OMP_WAIT_POLICY" in os.environ else {"OMP_WAIT_POLICY": "PASSIVE"}

    def memory_gib(self, spec: ServerSpec, model_path: str) -> float | None:
        return gguf_memory_gib(Path(model_path), kv_tokens(spec))
