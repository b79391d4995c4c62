"""The command lines supervised servers are started with (vLLM, llama.cpp)."""

from __future__ import annotations

import socket

from seedui.engines.servers import llamacpp
from seedui.engines.servers.ports import free_port, port_is_free
from seedui.engines.servers.vllm import server_argv
from seedui.server_options import LlamaCppOptions, VllmOptions


def test_argv_for_vllm_serve_puts_the_model_first():
    opts = VllmOptions(
        gpu_memory_utilization=0.3, max_model_len=32768, dtype="bfloat16", reasoning_parser="deepseek_r1",
        extra_args=("--tensor-parallel-size", "2"),
    )  # fmt: skip
    argv = server_argv(("vllm", "serve"), "org/M", "org/M", 8123, opts)
    assert argv == [
        "vllm", "serve", "org/M", "--host", "127.0.0.1", "--port", "8123", "--served-model-name", "org/M",
        "--gpu-memory-utilization", "0.3", "--max-model-len", "32768", "--dtype", "bfloat16",
        "--reasoning-parser", "deepseek_r1", "--disable-uvicorn-access-log", "--tensor-parallel-size", "2",
    ]  # fmt: skip


def test_argv_for_a_python_module_command_uses_model_flag():
    argv = server_argv(("py", "-m", "vllm.entrypoints.openai.api_server"), "/m", "name", 1, VllmOptions())
    assert argv[:5] == ["py", "-m", "vllm.entrypoints.openai.api_server", "--model", "/m"]
    assert argv.count("--disable-uvicorn-access-log") == 1
    assert "--gpu-memory-utilization" not in argv  # unset options are vLLM's defaults


def test_a_free_port_is_free_until_someone_listens():
    port = free_port()
    assert port_is_free(port)
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
        s.listen()
        assert not port_is_free(port)


def test_argv_for_llama_server_shares_one_kv_cache_among_its_slots(monkeypatch):
    monkeypatch.setattr(llamacpp, "cpu_count", lambda: 4)
    opts = LlamaCppOptions(parallel=12, extra_args=("--flash-attn", "on"))
    argv = llamacpp.server_argv(["/x/llama-server"], "/m.gguf", "org/M", 8123, 8192, opts)
    assert argv == [
        "/x/llama-server", "--model", "/m.gguf", "--host", "127.0.0.1", "--port", "8123", "--alias", "org/M",
        "--ctx-size", "8192", "--parallel", "12", "--kv-unified", "--threads", "2", "--threads-batch", "4",
        "--jinja", "--no-webui",
        "--flash-attn", "on",
    ]  # fmt: skip
    argv = llamacpp.server_argv([], "/m", "m", 1, 16, LlamaCppOptions(threads=3, threads_batch=5))
    assert argv[argv.index("--threads") + 1] == "3" and argv[argv.index("--threads-batch") + 1] == "5"
    monkeypatch.setattr(llamacpp, "cpu_count", lambda: 1)
    argv = llamacpp.server_argv([], "/m", "m", 1, 16, LlamaCppOptions())
    assert argv[argv.index("--threads") + 1] == "1" and argv[argv.index("--threads-batch") + 1] == "1"
