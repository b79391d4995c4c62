"""The sandbox's defaults and limits, where its files live, and the settings one ``mount()`` serves with.

Every limit the browser enforces is defined here and sent to the page and the runner frame in their
configs (``pages.py``): the JavaScript copies none of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from seedui.sandbox.pyodide_files import PYODIDE_VERSION

DEFAULT_TIMEOUT_S = 10.0
# Loading the runtime or packages has its own limit, so a dead network ends in a message, not a hang.
DEFAULT_LOAD_TIMEOUT_S = 60.0
# Text one run may show (stdout and stderr together, in UTF-16 code units as JavaScript counts them).
DEFAULT_MAX_OUTPUT_CHARS = 200_000
# Images one run may show: the worker, the runner and the page each enforce these (the
# harness's own cap on matplotlib figures can be skipped by code calling its emit directly).
MAX_IMAGES = 20
MAX_IMAGE_CHARS = 8_000_000  # base64 characters, all images of a run together
# The text a check's verdict carries (its failures, worded).
MAX_DETAIL_CHARS = 2000
# Pyodide packages (names from pyodide-lock.json) that code may import; their
# dependencies come along. Anything else beyond the standard library is refused
# with a message that says so.
DEFAULT_PACKAGES: tuple[str, ...] = (
    "numpy",
    "pandas",
    "matplotlib",
    "scipy",
    "sympy",
    "networkx",
    "scikit-learn",
    "pillow",
    "regex",
    "pyyaml",
    "beautifulsoup4",
    "pytest",
)

STATIC_DIR = Path(__file__).with_name("static")
SANDBOX_PREFIX = "/seedui/sandbox/"
PYODIDE_PREFIX = f"/seedui/pyodide/v{PYODIDE_VERSION}/"


@dataclass(frozen=True)
class Settings:
    """What one ``mount()`` serves: where Pyodide comes from, and the limits the runner enforces."""

    local_dir: Path | None
    cdn: str
    timeout_s: float
    load_timeout_s: float
    packages: tuple[str, ...]
    max_output_chars: int
    snapshot_jspi: bool | None = None  # None: no snapshot served; else the maker's stack-switching support
