"""Build the app from a config, start its engines, launch it, and stop it cleanly."""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from seedui.config import AppConfig
from seedui.engines.factory import EngineSet, build_engines
from seedui.playground import Playground
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
class SeedUI:
    config: AppConfig
    engines: EngineSet
    playground: Playground
    blocks: gr.Blocks
    engine_loop: EngineLoop = field(default_factory=EngineLoop)
    started: Any = None

    def start_engines(self, wait: bool = False) -> None:
        self.started = self.engine_loop.submit(self.engines.start())
        if wait:
            self.started.result()

    def launch(self, **kwargs: Any) -> tuple[Any, str, str | None]:
        """Start engines in the background, then serve. Extra kwargs go to `Blocks.launch`."""
        if self.started is None:
            self.start_engines()
        limits = self.config.limits
        self.blocks.queue(max_size=limits.max_queue, default_concurrency_limit=limits.concurrency)
        options: dict[str, Any] = {
            "server_name": self.config.host,
            "server_port": self.config.port,
            "share": self.config.share,
            "css": page_css(),
            "ssr_mode": False,
            "show_error": True,
        }
        options.update(kwargs)
        return self.blocks.launch(**options)

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


def build_app(config: AppConfig) -> SeedUI:
    engines = build_engines(config)
    playground = Playground(config, engines)
    blocks = build_blocks(playground)
    return SeedUI(config, engines, playground, blocks)
