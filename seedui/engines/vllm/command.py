"""What a supervised server runs (its command line, the model path) and where (a free local port).

The command is configurable (`vllm_command`): `vllm serve` (model positional),
or e.g. `/opt/vllm/bin/python -m vllm.entrypoints.openai.api_server` or a
`docker run ... vllm/vllm-openai` prefix (model given with `--model`).
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from pathlib import Path

from seedui.config import VllmOptions

HOST = "127.0.0.1"


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


def free_port(host: str = HOST) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_is_free(port: int, host: str = HOST) -> bool:
    """Free for a server: nobody listens (SO_REUSEADDR as uvicorn sets it, so TIME_WAIT does not count)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True
