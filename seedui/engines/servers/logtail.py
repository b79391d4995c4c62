"""A server log's last lines, as the page shows them while a lane starts or after it failed."""

from __future__ import annotations

import os
import re
from pathlib import Path

LOG_TAIL_LINES = 20
LOG_TAIL_BYTES = 16_384

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# vLLM's `(APIServer pid=1) INFO 01-02 03:04:05 [file.py:12]`; llama.cpp's `0.07.139.235 I srv    load_model: `.
_PREFIX = re.compile(
    r"^\(\w+ pid=\d+\)\s*|^(INFO|WARNING|ERROR|DEBUG)\s+\d\d-\d\d \d\d:\d\d:\d\d\s+\[[^\]]*\]\s*"
    r"|^\d+\.\d\d\.\d\d\d\.\d\d\d [DIWE] +\w+ +\w+: +"
)


def read_log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> list[str]:
    """The last lines of a server log; progress bars reduced to their latest state."""
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - LOG_TAIL_BYTES))
            data = f.read().decode("utf-8", "replace")
    except OSError:
        return []
    out = []
    for raw in data.split("\n"):  # not splitlines(): a \r is a progress bar redrawing its line
        line = _ANSI.sub("", raw.rstrip("\r").rsplit("\r", 1)[-1]).rstrip()
        if line:
            out.append(line[:400])
    return out[-lines:]


def short_line(line: str) -> str:
    """A log line without its server's prefix (vLLM's process, level, time and source; llama.cpp's module)."""
    for _ in range(2):
        line = _PREFIX.sub("", line)
    return line.strip()[:200]
