"""Build the app from a config, serve it, and stop it cleanly.

One event loop serves requests and runs the engines: the loop of the uvicorn
server that Gradio's own `Blocks.launch` starts (in every mode: plain,
`--share`, ZeroGPU). Our lifespan, passed to Gradio in `app_kwargs`, runs on
that loop: at start-up it mounts the sandbox routes and starts the engines in
the background (HTTP answers at once; vLLM takes minutes; requests for a lane still loading wait for it, and
`GET /seedui/ready` says when all are up); at shutdown it
closes the engines and the servers they started. See docs/architecture.md,
"Which loop runs what".
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from seedui import sandbox
from seedui.arena.battles import Arena
from seedui.bench_runs import BenchRuns
from seedui.bench_service import BenchService
from seedui.config import AppConfig
from seedui.engines.engine_set import EngineSet, build_engines
from seedui.errors import UserError
from seedui.framing import FrameAncestorsMiddleware
from seedui.queues import limit_waiting_generations
from seedui.service import LaneService
from seedui.shares import ShareService
from seedui.store import Store
from seedui.ui import page_script
from seedui.ui.layout import build_blocks, page_css

log = logging.getLogger(__name__)

# Closing waits this long for the lifespan's shutdown: uvicorn first lets open streams end (Gradio ends them
# within seconds once its queue is closed), then vLLM servers get their stop grace, in parallel.
CLOSE_TIMEOUT_S = 120.0
READY_PATH = "/seedui/ready"  # plain HTTP readiness (see WebApp.ready)


@dataclass
class WebApp:
    config: AppConfig
    engines: EngineSet
    service: LaneService
    blocks: gr.Blocks
    store: Store | None = None  # shared comparisons, battles and votes; None when the database could not be opened
    shares: ShareService | None = None
    arena: Arena | None = None
    bench: BenchService | None = None
    runs: BenchRuns | None = None  # saved bench runs; None without the database
    _serving: bool = field(default=False, init=False, repr=False)  # the lifespan has started
    _stopped: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _startup_error: Exception | None = field(default=None, init=False, repr=False)

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        """The server's start-up and shutdown, on the serving loop."""
        self._serving = True
        self._stopped.clear()
        try:
            sandbox.mount(
                app,
                pyodide_dir=self.config.pyodide_dir or sandbox.VENDOR_PYODIDE_DIR,
                cdn_url=self.config.pyodide_cdn,
                timeout_s=self.config.run_timeout_s,
            )
            app.router.routes[0:0] = [Route(READY_PATH, self.ready, methods=["GET"]), *page_script.routes()]
            self.engines.start_soon()
        except Exception as exc:  # raised here, uvicorn would not start and Gradio would blame the port
            log.exception("the app could not start")
            self._startup_error = exc
        try:
            yield
        finally:
            try:
                await self.engines.close()
            finally:
                self._stopped.set()

    async def ready(self, request: Request) -> JSONResponse:
        """`GET /seedui/ready`, for a load balancer or health check: 200 when every lane is ready, else 503.

        JSON: {"ready": bool, "lanes": {name: {"state": starting|ready|failed, "detail", "engine"}}}.
        """
        body = self.service.readiness()
        return JSONResponse(body, status_code=200 if body["ready"] else 503, headers={"cache-control": "no-store"})

    def launch(self, **kwargs: Any) -> tuple[Any, str, str | None]:
        """Serve with `Blocks.launch` (extra kwargs go to it); the engines start in the background.

        Blocks until interrupted (KeyboardInterrupt), unless `prevent_thread_lock=True` or in an
        interactive shell; then call `close()`.
        """
        cfg = self.config
        self.blocks.queue(default_concurrency_limit=cfg.limits.concurrency)
        limit_waiting_generations(self.blocks, cfg.limits)  # at most limits.max_queue generations wait
        extra_app_kwargs = kwargs.pop("app_kwargs", None) or {}
        options: dict[str, Any] = {
            "server_name": cfg.host,
            "server_port": cfg.port,
            "share": cfg.share,
            "css": page_css(),
            "head": sandbox.head_html(timeout_s=cfg.run_timeout_s, cdn_url=cfg.pyodide_cdn) + page_script.head_html(),
            "ssr_mode": False,
            "show_error": True,
            "app_kwargs": {
                **extra_app_kwargs,
                "lifespan": self.lifespan,
                "middleware": [
                    Middleware(FrameAncestorsMiddleware, sources=cfg.frame_ancestors),
                    *extra_app_kwargs.get("middleware", []),
                ],
            },
        }
        options.update(kwargs)
        if options.get("share") and os.environ.get("SPACE_ID"):
            log.info("a public share link is not needed on a Hugging Face Space: the Space's own URL is public")
            options["share"] = False
        prevent = options.pop("prevent_thread_lock", False)
        debug = options.pop("debug", False)
        result = self.blocks.launch(**options, prevent_thread_lock=True)
        if self._startup_error is not None:
            self.close()
            raise self._startup_error
        if options.get("share") and self.blocks.share_url is None:
            self._report_no_tunnel()
        if debug or (not prevent and not bool(getattr(sys, "ps1", sys.flags.interactive))):
            while self.blocks.is_running:  # KeyboardInterrupt (Ctrl-C, or a signal app.py turns into one) ends it
                time.sleep(0.1)
        return result

    def _report_no_tunnel(self) -> None:
        """Gradio made no share link (it prints why but keeps nothing): say why from what we can check."""
        from gradio.networking import GRADIO_SHARE_SERVER_ADDRESS
        from gradio.tunneling import BINARY_PATH

        share_server = getattr(self.blocks, "share_server_address", None) or GRADIO_SHARE_SERVER_ADDRESS
        reason = tunnel_failure_reason(BINARY_PATH, share_server)
        message = f"SeedUI: could not create a public share link ({reason}); serving locally at {self.blocks.local_url}"
        log.warning(message)
        if not log.hasHandlers():  # nothing would show the warning: say it plainly
            print(message, file=sys.stderr, flush=True)

    def wait_settled(self, timeout: float | None = None) -> None:
        """From any thread: wait until every engine's start-up has ended (ready or failed). TimeoutError if not."""
        if not self.engines.wait_settled(timeout):
            raise TimeoutError(f"the engines had not finished starting after {timeout:g} s")

    def close(self, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
        """Stop serving; the lifespan's shutdown then closes the engines (and their servers) on the serving loop."""
        try:
            self.blocks.close(verbose=False)
            if self._serving and not self._stopped.wait(timeout_s):
                log.error("the engines were not closed within %g s; any vLLM left is stopped at exit", timeout_s)
            self._serving = False
        finally:
            if self.store is not None:
                self.store.close()


def tunnel_failure_reason(frpc_path: str | Path, share_server: str | None) -> str:
    """Why a tunnel could not be made, from facts that can be checked here."""
    server = share_server or "the Gradio share server (api.gradio.app)"
    reason = f"the tunnel needs internet access to {server}"
    if not Path(frpc_path).exists():
        reason += f"; Gradio's tunnel client (frpc) is missing at {frpc_path} (Gradio downloads it on first use)"
    return reason


def build_app(config: AppConfig) -> WebApp:
    engines = build_engines(config)
    service = LaneService(config, engines)
    store = open_store(config)
    shares = arena = runs = None
    if store is not None:  # base_url None: each share's URL comes from the request that made it
        shares = ShareService(store, base_url=None, rate_per_minute=config.limits.shares_per_minute)
        arena = Arena(service, store, votes_per_minute=config.limits.votes_per_minute)
        runs = BenchRuns(store, rate_per_minute=config.limits.shares_per_minute)
    bench = BenchService(service)
    blocks = build_blocks(service, shares=shares, arena=arena, bench=bench, runs=runs)
    return WebApp(config, engines, service, blocks, store=store, shares=shares, arena=arena, bench=bench, runs=runs)


def open_store(config: AppConfig) -> Store | None:
    """The database, or None (sharing and the arena off, the rest of the app on) when it cannot be opened."""
    path = config.resolved_db_path()
    try:
        return Store(path)
    except (UserError, OSError) as exc:
        log.error("sharing and the arena are off: cannot open the database %s: %s", path, exc)
        return None
