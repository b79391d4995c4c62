"""The sandbox's HTTP routes: the runner and preview pages, the browser code, and the local Pyodide copy."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from seedui.sandbox import pyodide_files as pyodide
from seedui.sandbox import settings as defaults
from seedui.sandbox.browser_code import module_preloads, modules, version_folder
from seedui.sandbox.csp import PREVIEW_CSP, SECURITY_HEADERS, runner_csp
from seedui.sandbox.pages import json_for_script, runner_config
from seedui.sandbox.settings import PYODIDE_PREFIX, SANDBOX_PREFIX, STATIC_DIR, Settings

log = logging.getLogger(__name__)

JS = "text/javascript; charset=utf-8"
# Cross-origin readable: the runner frame's origin is opaque ("null"), so every module it or its workers load
# is a CORS request. These files are public code with no secret in them, fetched without credentials.
CORS = {"Access-Control-Allow-Origin": "*", "Cross-Origin-Resource-Policy": "cross-origin"}
# Files whose URL carries their version (the Pyodide copy, the browser code's modules) never change.
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}


def _routes(settings: Settings) -> list[BaseRoute]:
    runner_template = (STATIC_DIR / "runner.html").read_text(encoding="utf-8").replace("{{MODULES}}", version_folder())
    # The workers' modules too: a worker fetches its own (from the HTTP cache, once these have filled it).
    runner_template = runner_template.replace("{{PRELOAD}}", module_preloads(("runner", "worker", "shared"), ""))
    preview_html = (STATIC_DIR / "preview.html").read_text(encoding="utf-8")
    served = set(modules())

    async def runner_html(request: Request) -> Response:
        body = runner_template.replace("{{CONFIG}}", json_for_script(runner_config(settings)))
        headers = {
            **SECURITY_HEADERS,
            "Content-Security-Policy": runner_csp(request, settings),
            "Cache-Control": "no-cache",
        }
        return Response(body, media_type="text/html; charset=utf-8", headers=headers)

    async def preview(request: Request) -> Response:
        headers = {
            **SECURITY_HEADERS,
            "Content-Security-Policy": PREVIEW_CSP,
            "Cache-Control": "no-cache",
            # CSP does not govern DNS prefetching (<link rel=dns-prefetch> names a host to the resolver).
            "X-DNS-Prefetch-Control": "off",
        }
        return Response(preview_html, media_type="text/html; charset=utf-8", headers=headers)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name == "seedui.css":
            headers = {**SECURITY_HEADERS, "Cache-Control": "no-cache"}
            return FileResponse(STATIC_DIR / name, media_type="text/css; charset=utf-8", headers=headers)
        module = name.removeprefix(version_folder())
        if module == name or module not in served:  # another deploy's version, or not a module
            return PlainTextResponse("Not found", status_code=404)
        return FileResponse(STATIC_DIR / module, media_type=JS, headers={**SECURITY_HEADERS, **CORS, **IMMUTABLE})

    routes: list[BaseRoute] = [
        Route(f"{SANDBOX_PREFIX}runner.html", runner_html, methods=["GET", "HEAD"]),
        Route(f"{SANDBOX_PREFIX}preview.html", preview, methods=["GET", "HEAD"]),
        Route(SANDBOX_PREFIX + "{name:path}", static, methods=["GET", "HEAD"]),
    ]
    local_dir = settings.local_dir
    if local_dir is not None:

        async def pyodide_file(request: Request) -> Response:
            name = request.path_params["name"]
            headers = {**SECURITY_HEADERS, **CORS, **IMMUTABLE}
            if name == "snapshot.bin" and settings.snapshot_jspi is not None:
                headers["Content-Encoding"] = "gzip"
                snapshot = local_dir / pyodide.SNAPSHOT_FILE
                return FileResponse(snapshot, media_type="application/octet-stream", headers=headers)
            if name not in pyodide.PYODIDE_FILES:
                return PlainTextResponse("Not found", status_code=404, headers=CORS)
            return FileResponse(local_dir / name, media_type=pyodide.PYODIDE_FILES[name], headers=headers)

        routes.append(Route(PYODIDE_PREFIX + "{name}", pyodide_file, methods=["GET", "HEAD"]))
    return routes


def mount(
    app: Any,
    *,
    pyodide_dir: Path | str | None,
    cdn_url: str = pyodide.DEFAULT_CDN_URL,
    timeout_s: float = defaults.DEFAULT_TIMEOUT_S,
    load_timeout_s: float = defaults.DEFAULT_LOAD_TIMEOUT_S,
    packages: Iterable[str] = defaults.DEFAULT_PACKAGES,
    max_output_chars: int = defaults.DEFAULT_MAX_OUTPUT_CHARS,
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
    if max_output_chars < 2:
        raise ValueError("max_output_chars must be at least 2")
    local_dir = pyodide.local_pyodide(pyodide_dir)
    if pyodide_dir is not None and local_dir is None:
        log.warning(
            "No complete Pyodide %s in %s (run `python -m seedui.sandbox.fetch`): browsers will load it from %s",
            pyodide.PYODIDE_VERSION,
            pyodide_dir,
            pyodide.cdn_base(cdn_url),
        )
    settings = Settings(
        local_dir=local_dir,
        cdn=pyodide.cdn_base(cdn_url),
        timeout_s=timeout_s,
        load_timeout_s=load_timeout_s,
        packages=tuple(packages),
        max_output_chars=max_output_chars,
        snapshot_jspi=pyodide.snapshot_jspi(local_dir) if snapshot else None,
    )
    # In front of everything: Gradio (or a mount at "/") must not shadow them.
    app.router.routes[0:0] = _routes(settings)
