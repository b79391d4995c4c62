"""What the server writes into HTML for the sandbox: the app page's head tags and the runner frame's config.

Each carries, as JSON, the facts its JavaScript needs (limits, languages, where Pyodide is), so that none is
copied into the JavaScript.
"""

from __future__ import annotations

import json
from typing import Any

from seedui.sandbox.browser_code import module_preloads, version_folder
from seedui.sandbox.pyodide_files import PYODIDE_VERSION, SNAPSHOT_PRELOAD, cdn_base
from seedui.sandbox.settings import (
    DEFAULT_MAX_OUTPUT_CHARS,
    DEFAULT_TIMEOUT_S,
    MAX_DETAIL_CHARS,
    MAX_IMAGE_CHARS,
    MAX_IMAGES,
    SANDBOX_PREFIX,
    STATIC_DIR,
    Settings,
)

# The page script's entry module (static/page/main.mjs), in the modules' folder.
PAGE_ENTRY = "page/main.mjs"
# The Python the worker imports (module name -> file in static/). Sent in the runner's config, not served:
# an opaque-origin worker could only fetch it with CORS, and connect-src does not name the sandbox folder.
HARNESS_MODULES = {"_seedui_harness": "harness.py", "_seedui_check": "harness_check.py"}


def json_for_script(value: Any) -> str:
    """JSON that is safe inside a <script> element (no '</script>', no HTML comment openers)."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def runner_config(settings: Settings) -> dict[str, Any]:
    """The runner frame's config (runner.html's JSON script element)."""
    harness = {module: (STATIC_DIR / name).read_text(encoding="utf-8") for module, name in HARNESS_MODULES.items()}
    return {
        "version": PYODIDE_VERSION,
        # Relative to runner.html: the browser resolves them against the URL it really used.
        "indexURL": f"../pyodide/v{PYODIDE_VERSION}/" if settings.local_dir else settings.cdn,
        "local": settings.local_dir is not None,
        "snapshot": None
        if settings.snapshot_jspi is None
        else {"url": f"../pyodide/v{PYODIDE_VERSION}/snapshot.bin", "jspi": settings.snapshot_jspi},
        "cdnUrl": settings.cdn,
        "packages": list(settings.packages),
        "timeoutMs": round(settings.timeout_s * 1000),
        "loadTimeoutMs": round(settings.load_timeout_s * 1000),
        "maxOutputChars": settings.max_output_chars,
        "maxImages": MAX_IMAGES,
        "maxImageChars": MAX_IMAGE_CHARS,
        "maxDetailChars": MAX_DETAIL_CHARS,
        "preload": SNAPSHOT_PRELOAD,
        "harness": harness,
    }


def head_html(
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    cdn_url: str | None = None,
    prewarm: str = "hover",
    lock_frames: bool = True,
    max_output_chars: int = DEFAULT_MAX_OUTPUT_CHARS,
) -> str:
    """The tags for the page head (``launch(head=...)``): installs ``window.seedui`` and the Run/Copy handlers.

    ``timeout_s``: the time limit the Run buttons use. ``prewarm``: when to start
    Python before the first click: ``"hover"`` (pointer over or focus on a Run
    button), ``"load"`` (as soon as the page loads) or ``"none"``. ``cdn_url`` is
    informational (``seedui.config.cdnUrl``); what the runner loads is decided by
    ``mount()``. ``max_output_chars``: the page's own cap on a run's text (give
    ``mount()`` the same). URLs are relative, so the page may live under a root path.

    ``lock_frames``: the page script adds a ``Content-Security-Policy`` meta tag
    with ``frame-src`` set to the sandbox folder, so the runner and preview frames
    cannot be navigated anywhere else (by their own code or by a page that frames
    this one). It applies to the whole page: other iframes (except ``srcdoc`` and
    ``about:blank`` ones) are then refused too. Turn it off only if the page needs them.
    """
    if prewarm not in ("hover", "load", "none"):
        raise ValueError("prewarm must be 'hover', 'load' or 'none'")
    if timeout_s <= 0:
        raise ValueError("timeout_s must be positive")
    # Facts the page script needs, sent from here so that none is copied into it: the time limit, the output
    # caps, and the runnable languages with the names people write for them (render.py's).
    from seedui.render import LANG_ALIASES, RUNNABLE_LANGS

    languages = {**{lang: lang for lang in sorted(RUNNABLE_LANGS)}, **LANG_ALIASES}
    config: dict[str, Any] = {
        "timeoutMs": round(timeout_s * 1000),
        "prewarm": prewarm,
        "version": PYODIDE_VERSION,
        "maxOutputChars": max_output_chars,
        "maxImages": MAX_IMAGES,
        "maxImageChars": MAX_IMAGE_CHARS,
        "languages": languages,
    }
    if not lock_frames:
        config["lockFrames"] = False
    if cdn_url:
        config["cdnUrl"] = cdn_base(cdn_url)
    attr = json_for_script(config).replace('"', "&quot;")
    prefix = SANDBOX_PREFIX.lstrip("/")
    # A module script: the page's code is ES modules (static/page/), and a module runs once the page has parsed.
    return (
        f'<link rel="stylesheet" href="{prefix}seedui.css">\n'
        f'<script type="module" src="{prefix}{version_folder()}{PAGE_ENTRY}" data-seedui-config="{attr}"></script>\n'
        + module_preloads(("page", "shared"), prefix)
    )
