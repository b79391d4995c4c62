"""The Content-Security-Policies of the runner and preview frames, and the headers every sandbox file carries."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from starlette.requests import Request

from seedui.sandbox.settings import PYODIDE_PREFIX, SANDBOX_PREFIX, Settings

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


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


def runner_csp(request: Request, settings: Settings) -> str:
    """CSP of the runner frame: scripts and fetches only from the sandbox and Pyodide folders.

    ``connect-src`` names folders, not hosts, so code in the sandbox cannot reach
    ``/gradio_api/...`` on the same host (Gradio answers any Origin, ``null``
    included, with credentials on non-localhost hosts: the CSP is what stops it).
    ``script-src`` names the sandbox folder for the runner's and workers' own modules.
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
