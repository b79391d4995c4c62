"""Describe the machine a run happened on, so that figures are never quoted without it."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

PACKAGES = ("gradio", "gradio_client", "torch", "transformers", "httpx")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit(root: Path) -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True)
    except OSError:
        return None
    return out.stdout.strip() or None


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def describe(root: Path) -> dict[str, Any]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "logical_cpus": psutil.cpu_count(logical=True),
        "physical_cpus": psutil.cpu_count(logical=False),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "packages": versions,
        "accelerator": "none (CPU only)",
        "load_average_at_start": load(),
        "commit": git_commit(root),
    }


def summary(machine: dict[str, Any]) -> str:
    """One line: '2 vCPU (Intel ...), 23.4 GiB, Linux 6.1, Python 3.11.7, CPU only'."""
    return (
        f"{machine['logical_cpus']} logical CPUs ({machine['cpu']}), {machine['memory_gib']} GiB RAM, "
        f"{machine['os']}, Python {machine['python']}, gradio {machine['packages'].get('gradio')}, "
        f"torch {machine['packages'].get('torch')}, {machine['accelerator']}"
    )
