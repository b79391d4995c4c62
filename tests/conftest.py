"""Shared fixtures: the real app on the tiny model, launched once per session."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from seedui.config import AppConfig, Overrides, load_config

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
# Debian's Chromium: Playwright never downloads a browser here.
CHROMIUM = os.environ.get("SEEDUI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def run_async(coro: Any) -> Any:
    """asyncio.run in a thread of its own: the session's sync Playwright keeps an event loop
    running on the main thread once a browser test has run, and asyncio.run refuses to nest."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tiny_config(tmp_dir: Path, **values: object) -> AppConfig:
    """The tiny profile with a private database; model cache shared (converting takes ~20 s once)."""
    ov = Overrides()
    ov.add("db_path", str(tmp_dir / "seedui.sqlite3"), "test")
    ov.add("limits.requests_per_minute", 10_000, "test")
    for key, value in values.items():
        ov.add(key, value, "test")
    return load_config(profile="tiny", cli=ov, environ={})


@contextmanager
def serving(app: Any) -> Iterator[Any]:
    """Start a built SeedUI app's engines, serve it on a free port, and close it afterwards."""
    app.start_engines(wait=True)
    app.launch(prevent_thread_lock=True, server_port=free_port(), quiet=True)
    try:
        yield app
    finally:
        app.close()


@pytest.fixture(scope="session")
def seedui_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The SeedUI app, engines loaded, serving on a free port."""
    from seedui.server import build_app

    with serving(build_app(tiny_config(tmp_path_factory.mktemp("app")))) as app:
        yield app


@pytest.fixture(scope="session")
def app_url(seedui_app: object) -> str:
    return seedui_app.blocks.local_url  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def client(app_url: str):
    from gradio_client import Client

    return Client(app_url, verbose=False)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole session (Playwright's sync API allows one driver per process)."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set SEEDUI_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
