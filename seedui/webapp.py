"""Build the app from a config, start its engines, launch it, and stop it cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from seedui import sandbox
from seedui.config import AppConfig
from seedui.engines.engine_set import EngineSet, build_engines
from seedui.errors import UserError
from seedui.framing import FrameAncestorsMiddleware
from seedui.service import LaneService
from seedui.shares import ShareService
from seedui.store import Store
from seedui.ui.layout import build_blocks, page_css

log = logging.getLogger(__name__)


class EngineLoop:
    """A private event loop thread for engine start-up and supervision.

    Start-up (loading weights, waiting for vLLM's /health) must not block the
    page, and supervisors keep background tasks; both live here. Streaming
    itself runs on Gradio's loop.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="seedui-engines", daemon=True)
        self.thread.start()

    def submit(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        if not self.thread.is_alive():
            self.loop.close()


@dataclass
class WebApp:
    config: AppConfig
    engines: EngineSet
    playground: LaneService
    blocks: gr.Blocks
    engine_loop: EngineLoop = field(default_factory=EngineLoop)
    started: Any = None
    store: Store | None = None  # shared comparisons; None when the database could not be opened
    shares: ShareService | None = None

    def start_engines(self, wait: bool = False) -> None:
        self.started = self.engine_loop.submit(self.engines.start())
        if wait:
            self.started.result()

    def launch(self, **kwargs: Any) -> tuple[Any, str, str | None]:
        """Start engines in the background, then serve. Extra kwargs go to `Blocks.launch`."""
        if self.started is None:
            self.start_engines()
        cfg = self.config
        self.blocks.queue(max_size=cfg.limits.max_queue, default_concurrency_limit=cfg.limits.concurrency)
        options: dict[str, Any] = {
            "server_name": cfg.host,
            "server_port": cfg.port,
            "share": cfg.share,
            "css": page_css(),
            "head": sandbox.head_html(timeout_s=cfg.run_timeout_s, cdn_url=cfg.pyodide_cdn),
            "ssr_mode": False,
            "show_error": True,
            "app_kwargs": {"middleware": [Middleware(FrameAncestorsMiddleware, sources=cfg.frame_ancestors)]},
        }
        options.update(kwargs)
        if options.get("share") and os.environ.get("SPACE_ID"):
            log.info("a public share link is not needed on a Hugging Face Space: the Space's own URL is public")
            options["share"] = False
        # Launch without blocking, add the sandbox routes, then block as Blocks.launch would have.
        prevent = options.pop("prevent_thread_lock", False)
        debug = options.pop("debug", False)
        result = (
            self._launch_reporting_tunnel(options)
            if options.get("share")
            else self.blocks.launch(**options, prevent_thread_lock=True)
        )
        sandbox.mount(
            result[0],
            pyodide_dir=cfg.pyodide_dir or sandbox.VENDOR_PYODIDE_DIR,
            cdn_url=cfg.pyodide_cdn,
            timeout_s=cfg.run_timeout_s,
        )
        if debug or (not prevent and not bool(getattr(sys, "ps1", sys.flags.interactive))):
            self.blocks.block_thread()
        return result

    def _launch_reporting_tunnel(self, options: dict[str, Any]) -> tuple[Any, str, str | None]:
        """Launch asking for a public tunnel link; without one (offline), say so and keep serving locally.

        Gradio catches a failed tunnel itself and prints why; its message is kept (and still
        printed) to give the reason, and the server stays up on the local address.
        """
        printed = _Tee(sys.stdout)
        with contextlib.redirect_stdout(printed):
            result = self.blocks.launch(**options, prevent_thread_lock=True)
        if not self.blocks.share_url:
            lines = [ln.strip() for ln in printed.getvalue().splitlines() if "share link" in ln.lower()]
            said = f"Gradio: {lines[0]} " if lines else ""
            reason = f"{said}the tunnel needs internet access to the Gradio share server"
            local = self.blocks.local_url
            message = f"SeedUI: could not create a public share link ({reason}); serving locally at {local}"
            log.warning(message)
            if not log.hasHandlers():  # nothing would show the warning: say it plainly
                print(message, file=sys.stderr, flush=True)
        return result

    def close(self) -> None:
        """Stop serving and stop the engines (and any servers they started)."""
        try:
            self.blocks.close()
        finally:
            try:
                self.engine_loop.submit(self.engines.close()).result(timeout=30)
            except Exception:
                log.exception("closing engines failed")
            self.engine_loop.stop()
            if self.store is not None:
                self.store.close()


class _Tee(io.StringIO):
    """Keeps what is printed while passing it on to the real stream."""

    def __init__(self, stream: Any) -> None:
        super().__init__()
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(text)
        return super().write(text)

    def flush(self) -> None:
        self.stream.flush()


def build_app(config: AppConfig) -> WebApp:
    engines = build_engines(config)
    playground = LaneService(config, engines)
    store = open_store(config)
    shares = None
    if store is not None:  # base_url None: each share's URL comes from the request that made it
        shares = ShareService(store, base_url=None, rate_per_minute=config.limits.shares_per_minute)
    blocks = build_blocks(playground, shares)
    return WebApp(config, engines, playground, blocks, store=store, shares=shares)


def open_store(config: AppConfig) -> Store | None:
    """The share database, or None (sharing off, the rest of the app on) when it cannot be opened."""
    path = config.resolved_db_path()
    try:
        return Store(path)
    except (UserError, OSError) as exc:
        log.error("sharing is off: cannot open the share database %s: %s", path, exc)
        return None
