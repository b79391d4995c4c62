"""The page's own script (static/page.js: keyboard shortcuts, ticking lane clocks, the folding banner): its
route and its head tag. It carries no facts of its own: the page's load event hands it the key map
(seedui/ui/keys.py). The sandbox's script is apart (seedui/sandbox).
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

PAGE_PREFIX = "/seedui/page/"
SCRIPT = Path(__file__).with_name("static") / "page.js"


async def _script(request: Request) -> Response:
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
    return FileResponse(SCRIPT, media_type="text/javascript; charset=utf-8", headers=headers)


def routes() -> list[BaseRoute]:
    """The script's route, to put in front of Gradio's."""
    return [Route(f"{PAGE_PREFIX}page.js", _script, methods=["GET", "HEAD"])]


def head_html() -> str:
    """The head tag that loads it (relative: the page may live under a root path)."""
    return f'<script src="{PAGE_PREFIX.lstrip("/")}page.js" defer></script>\n'
