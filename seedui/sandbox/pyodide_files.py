"""Which Pyodide the browser loads: the pinned version, the local copy (and its snapshot), or the CDN."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

PYODIDE_VERSION = "314.0.7"
# npm `dist.integrity` of pyodide@PYODIDE_VERSION; the fetch script checks the tarball against it.
PYODIDE_INTEGRITY = "sha512-0YvXxEhfEdpLfb/XkM2BFAeMROq0iMUX2bzzH9pOttyMcWkwq+HbE5uyuGD82LN7y2q+SNvi/6V5JEsOlD2R1A=="
DEFAULT_CDN_URL = "https://cdn.jsdelivr.net/pyodide/v{version}/full/"

VENDOR_DIR = Path(__file__).with_name("vendor")
VENDOR_PYODIDE_DIR = VENDOR_DIR / "pyodide"
# The files of the npm package the browser needs; nothing else is served.
PYODIDE_FILES: dict[str, str] = {
    "pyodide.mjs": "text/javascript; charset=utf-8",
    "pyodide.asm.mjs": "text/javascript; charset=utf-8",
    "pyodide.asm.wasm": "application/wasm",
    "python_stdlib.zip": "application/zip",
    "pyodide-lock.json": "application/json",
    "package.json": "application/json",
}
# Optional: a gzipped memory snapshot of a started interpreter, made in headless
# Chromium by the fetch script (seedui.sandbox.snapshot); served as "snapshot.bin"
# with Content-Encoding: gzip. The JSON beside it says how it was made.
SNAPSHOT_FILE = "snapshot.bin.gz"
SNAPSHOT_META = "snapshot.json"
# Standard modules the harness needs, imported before a snapshot is taken so a
# restored interpreter has them already (they hold no JS objects).
SNAPSHOT_PRELOAD = "import ast, asyncio, base64, importlib.util, io, json, linecache, traceback, types, pyodide.code"


def local_pyodide(pyodide_dir: Path | str | None) -> Path | None:
    """``pyodide_dir`` if it holds a complete copy of the pinned version, else None."""
    if pyodide_dir is None:
        return None
    folder = Path(pyodide_dir)
    if not all((folder / name).is_file() for name in PYODIDE_FILES):
        return None
    try:
        version = json.loads((folder / "package.json").read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError):
        return None
    if version != PYODIDE_VERSION:
        log.warning("Pyodide in %s is %s, expected %s: using the CDN instead", folder, version, PYODIDE_VERSION)
        return None
    return folder


def snapshot_jspi(local_dir: Path | None) -> bool | None:
    """Whether the local snapshot was made with stack switching; None if there is no usable one."""
    if local_dir is None or not (local_dir / SNAPSHOT_FILE).is_file():
        return None
    try:
        meta = json.loads((local_dir / SNAPSHOT_META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("pyodide") != PYODIDE_VERSION or not isinstance(meta.get("jspi"), bool):
        return None
    return meta["jspi"]


def cdn_base(cdn_url: str) -> str:
    """The CDN template with ``{version}`` filled in, checked to be safe inside a CSP."""
    url = cdn_url.replace("{version}", PYODIDE_VERSION)
    if not url.endswith("/"):
        url += "/"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"Pyodide CDN URL must be an http(s) folder URL, got {cdn_url!r}")
    if re.search(r"[\s;,'\"<>\\]", url):
        raise ValueError(f"Pyodide CDN URL has characters not allowed in a URL: {cdn_url!r}")
    return url
