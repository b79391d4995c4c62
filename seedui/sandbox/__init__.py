"""In-browser, sandboxed execution of the code the models write.

Nothing here runs generated code: the server only serves static assets. In the
visitor's browser, the page script (``static/seedui.js``) adds Run/Copy
handlers and ``window.seedui``; code runs inside a hidden
``<iframe sandbox="allow-scripts">`` (``runner.html``, opaque origin, strict
CSP) in Web Workers: Python in Pyodide, JavaScript in a plain worker. HTML
previews render in their own sandboxed iframe (``preview.html``) whose CSP
allows inline script but no network.

How the app owner wires it (Gradio 6.31)::

    from seedui import sandbox

    head = sandbox.head_html(timeout_s=cfg.run_timeout_s)
    mount_kw = dict(pyodide_dir=cfg.pyodide_dir or sandbox.VENDOR_PYODIDE_DIR,
                    cdn_url=cfg.pyodide_cdn, timeout_s=cfg.run_timeout_s)

    # a) plain launch: Gradio builds the FastAPI app; add the routes after.
    app, _, _ = demo.launch(prevent_thread_lock=True, head=head)
    sandbox.mount(app, **mount_kw)
    demo.block_thread()

    # b) or an outer FastAPI app served by uvicorn:
    app = fastapi.FastAPI()
    sandbox.mount(app, **mount_kw)
    app = gr.mount_gradio_app(app, demo, path="/", head=head)

``mount`` puts its routes in front of every other route, so the order relative
to Gradio does not matter. In Gradio 6 ``head=`` belongs to ``launch()`` /
``mount_gradio_app()`` (``Blocks(head=...)`` is deprecated).

Routes (nothing collides with Gradio's ``/gradio_api``, ``/assets``,
``/file=``...):

* ``/seedui/sandbox/{seedui.js,seedui.css,runner.js}``: static, no CORS.
* ``/seedui/sandbox/runner.html``, ``/seedui/sandbox/preview.html``: with a
  ``Content-Security-Policy`` header that also carries ``sandbox allow-scripts``.
* ``/seedui/pyodide/v{PYODIDE_VERSION}/{file}``: the local Pyodide copy, only
  when one exists; the only route with ``Access-Control-Allow-Origin: *``
  (the runner's opaque origin needs it for module scripts and fetches). With
  it, ``snapshot.bin``: a memory snapshot of a started interpreter, if the
  fetch step could build one (see ``seedui.sandbox.snapshot``).

Get the local copy with ``python -m seedui.sandbox.fetch`` (npm package
``pyodide``; then, with Playwright and Chromium, the snapshot). Without it the
browser loads the same version from ``cdn_url``. Packages beyond the standard
library always come from ``cdn_url``. The page must live at the server's root
path (or under a proxy's root_path): the head tags use relative URLs.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

log = logging.getLogger(__name__)

PYODIDE_VERSION = "314.0.7"
# npm `dist.integrity` of pyodide@PYODIDE_VERSION; the fetch script checks the tarball against it.
PYODIDE_INTEGRITY = "sha512-0YvXxEhfEdpLfb/XkM2BFAeMROq0iMUX2bzzH9pOttyMcWkwq+HbE5uyuGD82LN7y2q+SNvi/6V5JEsOlD2R1A=="
DEFAULT_CDN_URL = "https://cdn.jsdelivr.net/pyodide/v{version}/full/"
DEFAULT_TIMEOUT_S = 10.0
# Loading the runtime or packages has its own limit, so a dead network ends in a message, not a hang.
DEFAULT_LOAD_TIMEOUT_S = 60.0
DEFAULT_MAX_OUTPUT_CHARS = 200_000
# Images one run may show: the worker, the runner and the page each enforce these (the
# harness's own cap on matplotlib figures can be skipped by code calling its emit directly).
MAX_IMAGES = 20
MAX_IMAGE_CHARS = 8_000_000  # base64 characters, all images of a run together
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

SANDBOX_PREFIX = "/seedui/sandbox/"
PYODIDE_PREFIX = f"/seedui/pyodide/v{PYODIDE_VERSION}/"

_STATIC_FILES: dict[str, str] = {
    "seedui.js": "text/javascript; charset=utf-8",
    "seedui.css": "text/css; charset=utf-8",
    "runner.js": "text/javascript; charset=utf-8",
}
# Sources the runner turns into blob: workers (an opaque origin cannot start a
# worker from a URL) and the Python harness the worker executes.
_INLINED = {"pyWorker": "py_worker.js", "jsWorker": "js_worker.js", "harness": "harness.py"}


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


@dataclass(frozen=True)
class _Settings:
    local_dir: Path | None
    cdn: str
    timeout_s: float
    load_timeout_s: float
    packages: tuple[str, ...]
    max_output_chars: int
    snapshot_jspi: bool | None = None  # None: no snapshot served; else the maker's stack-switching support


def _csp(directives: Mapping[str, Iterable[str]]) -> str:
    return "; ".join(" ".join([name, *values]) for name, values in directives.items())


def _hosts(request: Request) -> list[str]:
    """The host[:port] names the browser used to reach us (a proxy may forward another one)."""
    hosts = []
    for header in ("host", "x-forwarded-host"):
        for value in request.headers.get(header, "").split(","):
            value = value.strip()
            if value and re.fullmatch(r"[A-Za-z0-9.\-\[\]:]+", value) and value not in hosts:
                hosts.append(value)
    return hosts


def _origin_paths(request: Request, path: str) -> list[str]:
    """``path`` on this server as CSP sources, for both schemes (TLS may end at a proxy)."""
    root = request.scope.get("root_path", "").rstrip("/")
    return [f"{scheme}://{host}{root}{path}" for host in _hosts(request) for scheme in ("https", "http")]


def runner_csp(request: Request, settings: _Settings) -> str:
    """CSP of the runner frame: scripts and fetches only from the sandbox and Pyodide folders.

    ``connect-src`` names folders, not hosts, so code in the sandbox cannot reach
    ``/gradio_api/...`` on the same host (Gradio answers any Origin, ``null``
    included, with credentials on non-localhost hosts: the CSP is what stops it).
    """
    sandbox = _origin_paths(request, SANDBOX_PREFIX)
    pyodide = _origin_paths(request, PYODIDE_PREFIX) if settings.local_dir else []
    cdn = [settings.cdn]
    return _csp(
        {
            "default-src": ["'none'"],
            "script-src": [*sandbox, *pyodide, *cdn, "blob:", "'unsafe-eval'", "'wasm-unsafe-eval'"],
            "worker-src": ["blob:"],
            "connect-src": [*pyodide, *cdn],
            "base-uri": ["'none'"],
            "form-action": ["'none'"],
            "sandbox": ["allow-scripts"],
        }
    )


PREVIEW_CSP = _csp(
    {
        "default-src": ["'none'"],
        "script-src": ["'unsafe-inline'", "'unsafe-eval'", "blob:"],
        "style-src": ["'unsafe-inline'", "data:", "blob:"],
        "img-src": ["data:", "blob:"],
        "font-src": ["data:"],
        "media-src": ["data:", "blob:"],
        "worker-src": ["blob:"],
        "connect-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
        "sandbox": ["allow-scripts"],
    }
)

_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _json_for_script(value: Any) -> str:
    """JSON that is safe inside a <script> element (no '</script>', no HTML comment openers)."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _runner_config(settings: _Settings) -> dict[str, Any]:
    inlined = {key: (STATIC_DIR / name).read_text(encoding="utf-8") for key, name in _INLINED.items()}
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
        "preload": SNAPSHOT_PRELOAD,
        **inlined,
    }


def _routes(settings: _Settings) -> list[BaseRoute]:
    runner_template = (STATIC_DIR / "runner.html").read_text(encoding="utf-8")
    preview_html = (STATIC_DIR / "preview.html").read_text(encoding="utf-8")

    async def runner_html(request: Request) -> Response:
        # Read per request so editing the JS needs no restart; these files are small.
        body = runner_template.replace("{{CONFIG}}", _json_for_script(_runner_config(settings)))
        headers = {
            **_SECURITY_HEADERS,
            "Content-Security-Policy": runner_csp(request, settings),
            "Cache-Control": "no-cache",
        }
        return Response(body, media_type="text/html; charset=utf-8", headers=headers)

    async def preview(request: Request) -> Response:
        headers = {
            **_SECURITY_HEADERS,
            "Content-Security-Policy": PREVIEW_CSP,
            "Cache-Control": "no-cache",
            # CSP does not govern DNS prefetching (<link rel=dns-prefetch> names a host to the resolver).
            "X-DNS-Prefetch-Control": "off",
        }
        return Response(preview_html, media_type="text/html; charset=utf-8", headers=headers)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in _STATIC_FILES:
            return PlainTextResponse("Not found", status_code=404)
        headers = {**_SECURITY_HEADERS, "Cache-Control": "no-cache"}
        return FileResponse(STATIC_DIR / name, media_type=_STATIC_FILES[name], headers=headers)

    routes: list[BaseRoute] = [
        Route(f"{SANDBOX_PREFIX}runner.html", runner_html, methods=["GET", "HEAD"]),
        Route(f"{SANDBOX_PREFIX}preview.html", preview, methods=["GET", "HEAD"]),
        Route(SANDBOX_PREFIX + "{name}", static, methods=["GET", "HEAD"]),
    ]
    local_dir = settings.local_dir
    if local_dir is not None:

        async def pyodide_file(request: Request) -> Response:
            name = request.path_params["name"]
            cors = {"Access-Control-Allow-Origin": "*", "Cross-Origin-Resource-Policy": "cross-origin"}
            headers = {
                **_SECURITY_HEADERS,
                **cors,
                # The folder name carries the version, so a file never changes.
                "Cache-Control": "public, max-age=31536000, immutable",
            }
            if name == "snapshot.bin" and settings.snapshot_jspi is not None:
                headers["Content-Encoding"] = "gzip"
                return FileResponse(local_dir / SNAPSHOT_FILE, media_type="application/octet-stream", headers=headers)
            if name not in PYODIDE_FILES:
                return PlainTextResponse("Not found", status_code=404, headers=cors)
            return FileResponse(local_dir / name, media_type=PYODIDE_FILES[name], headers=headers)

        routes.append(Route(PYODIDE_PREFIX + "{name}", pyodide_file, methods=["GET", "HEAD"]))
    return routes


def mount(
    app: Any,
    *,
    pyodide_dir: Path | str | None,
    cdn_url: str = DEFAULT_CDN_URL,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    load_timeout_s: float = DEFAULT_LOAD_TIMEOUT_S,
    packages: Iterable[str] = DEFAULT_PACKAGES,
    max_output_chars: int = DEFAULT_MAX_OUTPUT_CHARS,
    snapshot: bool = True,
) -> None:
    """Add the sandbox routes to ``app`` (a FastAPI/Starlette app, e.g. what ``demo.launch`` returns).

    ``pyodide_dir``: folder with the npm package's files (``VENDOR_PYODIDE_DIR``
    after ``python -m seedui.sandbox.fetch``); served only if it holds the pinned
    version, else (or when None) the browser uses ``cdn_url``. ``cdn_url`` may
    contain ``{version}``; packages (``packages``, an allow-list of Pyodide
    package names) always come from there. ``timeout_s`` is the runner's default
    time limit for a run that names none. ``snapshot``: serve the start-up
    snapshot the fetch script built, if there is one.
    """
    if timeout_s <= 0 or load_timeout_s <= 0:
        raise ValueError("timeouts must be positive")
    local_dir = local_pyodide(pyodide_dir)
    if pyodide_dir is not None and local_dir is None:
        log.warning(
            "No complete Pyodide %s in %s (run `python -m seedui.sandbox.fetch`): browsers will load it from %s",
            PYODIDE_VERSION,
            pyodide_dir,
            cdn_base(cdn_url),
        )
    settings = _Settings(
        local_dir=local_dir,
        cdn=cdn_base(cdn_url),
        timeout_s=timeout_s,
        load_timeout_s=load_timeout_s,
        packages=tuple(packages),
        max_output_chars=max_output_chars,
        snapshot_jspi=snapshot_jspi(local_dir) if snapshot else None,
    )
    # In front of everything: Gradio (or a mount at "/") must not shadow them.
    app.router.routes[0:0] = _routes(settings)


def head_html(
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    cdn_url: str | None = None,
    prewarm: str = "hover",
    lock_frames: bool = True,
) -> str:
    """The tags for the page head (``launch(head=...)``): installs ``window.seedui`` and the Run/Copy handlers.

    ``timeout_s``: the time limit the Run buttons use. ``prewarm``: when to start
    Python before the first click: ``"hover"`` (pointer over or focus on a Run
    button), ``"load"`` (as soon as the page loads) or ``"none"``. ``cdn_url`` is
    informational (``seedui.config.cdnUrl``); what the runner loads is decided by
    ``mount()``. URLs are relative, so the page may live under a root path.

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
    # Facts the page script needs, sent from here so that none is copied into it: the time limit, the image
    # caps, and the runnable languages with the names people write for them (render.py's).
    from seedui.render import LANG_ALIASES, RUNNABLE_LANGS

    languages = {**{lang: lang for lang in sorted(RUNNABLE_LANGS)}, **LANG_ALIASES}
    config: dict[str, Any] = {
        "timeoutMs": round(timeout_s * 1000),
        "prewarm": prewarm,
        "version": PYODIDE_VERSION,
        "maxImages": MAX_IMAGES,
        "maxImageChars": MAX_IMAGE_CHARS,
        "languages": languages,
    }
    if not lock_frames:
        config["lockFrames"] = False
    if cdn_url:
        config["cdnUrl"] = cdn_base(cdn_url)
    attr = _json_for_script(config).replace('"', "&quot;")
    prefix = SANDBOX_PREFIX.lstrip("/")
    return (
        f'<link rel="stylesheet" href="{prefix}seedui.css">\n'
        f'<script src="{prefix}seedui.js" data-seedui-config="{attr}"></script>\n'
    )


__all__ = [
    "DEFAULT_CDN_URL",
    "DEFAULT_PACKAGES",
    "DEFAULT_TIMEOUT_S",
    "PYODIDE_VERSION",
    "VENDOR_PYODIDE_DIR",
    "cdn_base",
    "head_html",
    "local_pyodide",
    "mount",
]
