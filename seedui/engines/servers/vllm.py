"""vLLM as a supervised server: its command line, the model path, its sleep mode.

The command is configurable (`vllm_command`): `vllm serve` (model positional),
or e.g. `/opt/vllm/bin/python -m vllm.entrypoints.openai.api_server` or a
`docker run ... vllm/vllm-openai` prefix (model given with `--model`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from seedui.engines.servers.ports import HOST
from seedui.engines.servers.server import ServerSpec
from seedui.server_options import VllmOptions

SLEEP_FLAG = "--enable-sleep-mode"
SLEEP_LEVEL = 1


def server_argv(
    command: Sequence[str], model: str, served_name: str, port: int, options: VllmOptions, host: str = HOST
) -> list[str]:
    """`vllm serve MODEL ...` when the command ends with `serve`, else `... --model MODEL ...`."""
    argv = list(command)
    if argv and argv[-1] == "serve":
        argv.append(model)
    else:
        argv += ["--model", model]
    argv += ["--host", host, "--port", str(port), "--served-model-name", served_name]
    if options.gpu_memory_utilization is not None:
        argv += ["--gpu-memory-utilization", str(options.gpu_memory_utilization)]
    if options.max_model_len is not None:
        argv += ["--max-model-len", str(options.max_model_len)]
    if options.dtype:
        argv += ["--dtype", options.dtype]
    if options.reasoning_parser:
        argv += ["--reasoning-parser", options.reasoning_parser]
    if "--disable-uvicorn-access-log" not in options.extra_args:
        argv.append("--disable-uvicorn-access-log")  # /health polls would bury the useful lines
    argv += list(options.extra_args)
    return argv


def model_path(model: str, cache_dir: Path) -> str:
    """What vLLM loads: a local folder as is; the embedded model converted once; else the HF id (vLLM downloads)."""
    if Path(model).expanduser().exists():
        return str(Path(model).expanduser().resolve())
    from seedui.weights import embedded_gguf, resolve_weights

    if embedded_gguf(model) is not None:
        return str(resolve_weights(model, cache_dir))
    return model


@dataclass(frozen=True)
class VllmKind:
    """`vllm serve`: one server per model on the GPU; sleep mode in place (weights to CPU RAM and back)."""

    command: tuple[str, ...]
    startup_timeout_s: float
    label = "vLLM"
    slug = "vllm"
    fix_hint = "set vllm_command to a working one"
    sleep_path = f"/sleep?level={SLEEP_LEVEL}"
    wake_path = "/wake_up"

    def takes_turns(self, options: VllmOptions) -> bool:
        return SLEEP_FLAG in options.extra_args

    def program(self) -> list[str]:
        return list(self.command)

    def model_path(self, spec: ServerSpec, cache_dir: Path, progress: Callable[[str], None]) -> str:
        return model_path(spec.model, cache_dir)

    def argv(self, program: list[str], spec: ServerSpec, model_path: str, port: int) -> list[str]:
        return server_argv(program, model_path, spec.served_name, port, spec.options)

    def env(self, takes_turns: bool) -> dict[str, str]:
        return {"VLLM_SERVER_DEV_MODE": "1"} if takes_turns else {}  # /sleep and /wake_up need it

    def memory_gib(self, spec: ServerSpec, model_path: str) -> float | None:
        return None  # GPU memory is set by gpu_memory_utilization
