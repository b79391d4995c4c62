"""One supervised `vllm serve`: spawn, /health wait with progress, log tail, restarts, status.

Start-up is watched through `/health`, and the state (starting / ready /
failed, with the last lines of the server's log) is what the page shows for
each lane on this server. A server that never came up is a configuration
problem and is not retried; one that crashes after it was ready is restarted
with bounded exponential back-off. The process itself (its group, stopping,
reaping) is `procgroup.ProcessGroup`'s job.

Everything here runs on one event loop, the one that serves requests: the
supervisor task, the health checks and the sleep/wake calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from seedui.config import VllmOptions
from seedui.engines.base import EngineStatus
from seedui.engines.vllm.command import HOST, free_port, model_path, port_is_free, server_argv
from seedui.engines.vllm.procgroup import STOP_GRACE_S, ProcessGroup
from seedui.errors import EngineError

if TYPE_CHECKING:
    from seedui.engines.vllm.swap import SwapGroup

log = logging.getLogger(__name__)

HEALTH_INTERVAL_S = 0.5
MAX_RESTARTS = 5
BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 30.0
STABLE_AFTER_S = 300.0  # up this long after a restart: the back-off starts again from the first step
LOG_TAIL_LINES = 20
LOG_TAIL_BYTES = 16_384
SLEEP_LEVEL = 1
SWAP_TIMEOUT_S = 300.0  # sleeping or waking an 8B model moves ~16 GB over PCIe: seconds, not minutes


@dataclass(frozen=True)
class ServerSpec:
    model: str  # what the lane config names (HF id or path)
    served_name: str
    options: VllmOptions


class VllmServer:
    """One supervised vLLM server. `start()` is shared: the first lane starts it, the others wait."""

    def __init__(
        self,
        spec: ServerSpec,
        *,
        command: Sequence[str],
        cache_dir: Path,
        startup_timeout_s: float,
        start_lock: asyncio.Lock | None = None,  # shared: servers start one at a time
        env: dict[str, str] | None = None,
        max_restarts: int = MAX_RESTARTS,
        stop_grace_s: float = STOP_GRACE_S,
        swap: SwapGroup | None = None,
    ) -> None:
        self.spec = spec
        self.swap = swap
        self.asleep = False
        self.command = tuple(command)
        self.cache_dir = cache_dir
        self.startup_timeout_s = startup_timeout_s
        self.env = {**(env or {}), "VLLM_SERVER_DEV_MODE": "1"} if swap is not None else env
        self.max_restarts = max_restarts
        self.stop_grace_s = stop_grace_s
        self._start_lock = start_lock
        self.port = free_port()
        self.group: ProcessGroup | None = None  # the running server process and its children
        self.log_path = cache_dir / "logs" / f"vllm-{_slug(spec.served_name)}-{self.port}.log"
        self.restarts = 0  # restarts after crashes, over the server's life
        self.startup_s: float | None = None  # the first start-up, spawn to healthy
        self._state: str = "starting"
        self._detail = "waiting to start"
        self._since = time.monotonic()
        self._task: asyncio.Task[None] | None = None
        self._settled = asyncio.Event()
        self._closing = False

    # --- what lanes read -------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}/v1"

    @property
    def root_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def status(self) -> EngineStatus:
        tail = read_log_tail(self.log_path) if self._state != "ready" else []
        detail = self._detail
        if self._state == "ready" and self.asleep:
            detail = f"{detail}; asleep (sleep mode): it wakes when a request comes, after the awake lane is idle"
        if self._state == "starting" and self.group is not None:
            detail = f"{detail} ({time.monotonic() - self._since:.0f} s)"
            if tail:
                detail += f": {short_line(tail[-1])}"
        return EngineStatus(self._state, detail, tail)  # type: ignore[arg-type]

    def _set(self, state: str, detail: str) -> None:
        self._state, self._detail = state, detail
        log.info("vLLM %s (port %d): %s: %s", self.spec.served_name, self.port, state, detail)

    # --- life cycle ------------------------------------------------------------

    async def start(self) -> None:
        """Start supervising (once) and wait until the server is ready or has failed. Never raises."""
        if self._task is None:
            self._task = asyncio.create_task(self._supervise(), name=f"vllm-{self.spec.served_name}")
        await self._settled.wait()

    async def close(self) -> None:
        """Stop supervising and stop the server; a later `start()` starts it afresh."""
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._stop_group()
        if self._state != "failed":
            self._set("failed", "stopped")
        self._task, self._closing, self._settled = None, False, asyncio.Event()

    async def _supervise(self) -> None:
        try:
            ok = await self._launch()
            self._settled.set()
            if not ok:
                return  # a server that never came up is a configuration problem: no retries
            while not self._closing:
                assert self.group is not None
                up_since = time.monotonic()
                why = f"vLLM exited (code {await self.group.wait()})"
                await self._stop_group()  # the engine core and workers may outlive the API process
                if self.swap is not None:
                    self.swap.gone(self)
                if self._closing:
                    return
                if time.monotonic() - up_since > STABLE_AFTER_S:
                    self.restarts = 0
                while True:
                    if self.restarts >= self.max_restarts:
                        self._set("failed", f"{why}; gave up after {self.restarts} restarts")
                        return
                    self.restarts += 1
                    delay = min(BACKOFF_FIRST_S * 2 ** (self.restarts - 1), BACKOFF_MAX_S)
                    self._set("starting", f"{why}; restart {self.restarts} of {self.max_restarts} in {delay:g} s")
                    await asyncio.sleep(delay)
                    if await self._launch():
                        break
                    why = f"restart {self.restarts} failed ({self._detail})"
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a supervisor bug must show on the page, not vanish in a task
            log.exception("vLLM supervisor failed")
            self._set("failed", f"supervisor error: {type(exc).__name__}: {exc}")
        finally:
            self._settled.set()

    async def _launch(self) -> bool:
        """Spawn the server and wait for /health. True when ready; on failure the state says why."""
        lock = self._start_lock or contextlib.nullcontext()
        if self._start_lock is not None and self._start_lock.locked():
            self._set("starting", "waiting for another vLLM server to finish starting (one at a time on a GPU)")
        async with lock:
            try:
                path = await asyncio.to_thread(model_path, self.spec.model, self.cache_dir)
            except Exception as exc:
                self._set("failed", f"cannot find the model {self.spec.model}: {exc}")
                return False
            if not port_is_free(self.port):
                self.port = free_port()
            if self.swap is not None:
                try:
                    await self.swap.make_room(self)  # the awake server goes to sleep first: its memory is needed
                except EngineError as exc:
                    self._set("failed", f"cannot make room on the GPU: {exc}")
                    return False
            argv = server_argv(self.command, path, self.spec.served_name, self.port, self.spec.options)
            try:
                await self._spawn(argv)
            except EngineError as exc:
                self._set("failed", str(exc))
                return False
            except OSError as exc:
                self._set("failed", f"cannot run {' '.join(self.command)!r}: {exc}; set vllm_command to a working one")
                return False
            ok = await self._wait_healthy()
            if ok and self.swap is not None:
                self.swap.started(self)
            return ok

    async def _spawn(self, argv: list[str]) -> None:
        try:  # the log is ours, not vLLM's: a folder that cannot be made must not read as "cannot run vllm"
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            logf = self.log_path.open("ab")
        except OSError as exc:
            raise EngineError(
                f"cannot write the vLLM log {self.log_path}: {exc.strerror or exc}; "
                "make its folder writable or set cache_dir to a writable folder"
            ) from None
        with logf:
            logf.write(f"\n=== seedui: {' '.join(argv)}\n".encode())
            logf.flush()
            self.group = await ProcessGroup.spawn(argv, stdout=logf, env={**os.environ, **(self.env or {})})
        self._since = time.monotonic()
        self._set("starting", f"vLLM is loading {self.spec.model} on port {self.port}")

    async def _wait_healthy(self) -> bool:
        assert self.group is not None
        started = time.monotonic()
        deadline = started + self.startup_timeout_s
        async with httpx.AsyncClient(timeout=2.0) as client:
            while True:
                code = self.group.returncode
                if code is not None:
                    last = [short_line(x) for x in read_log_tail(self.log_path, 3)]
                    self._set("failed", f"vLLM exited during start-up (code {code}): {' | '.join(last)}")
                    await self._stop_group()
                    return False
                if time.monotonic() > deadline:
                    self._set("failed", f"vLLM was not healthy within {self.startup_timeout_s:g} s; stopped it")
                    await self._stop_group()
                    return False
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.root_url}/health")).status_code == 200:
                        break
                await asyncio.sleep(HEALTH_INTERVAL_S)
        elapsed = time.monotonic() - started
        if self.startup_s is None:
            self.startup_s = elapsed
        self._set("ready", f"{self.spec.model} on vLLM at {self.root_url} (started in {elapsed:.0f} s)")
        return True

    async def _stop_group(self) -> None:
        group, self.group = self.group, None
        if group is not None:
            await group.stop(self.stop_grace_s)

    # --- sleep mode --------------------------------------------------------------

    def lease(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Hold the GPU for one request: a no-op unless this server is in a swap group."""
        return self.swap.lease(self) if self.swap is not None else contextlib.nullcontext()

    async def sleep(self) -> None:
        await self._post(f"/sleep?level={SLEEP_LEVEL}")
        self.asleep = True
        log.info("vLLM %s is asleep", self.spec.served_name)

    async def wake(self) -> None:
        await self._post("/wake_up")
        self.asleep = False
        log.info("vLLM %s is awake", self.spec.served_name)

    async def _post(self, path: str) -> None:
        try:
            async with httpx.AsyncClient(timeout=SWAP_TIMEOUT_S) as client:
                resp = await client.post(f"{self.root_url}{path}")
        except httpx.HTTPError as exc:
            raise EngineError(f"vLLM for {self.spec.model}: {path} failed: {exc or type(exc).__name__}") from None
        if resp.status_code != 200:
            hint = " (is sleep mode enabled, and is this vLLM new enough?)" if resp.status_code == 404 else ""
            raise EngineError(f"vLLM for {self.spec.model}: {path} answered {resp.status_code}{hint}")


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-")[:80] or "model"


# --- the log tail the page shows ------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_PREFIX = re.compile(r"^\(\w+ pid=\d+\)\s*|^(INFO|WARNING|ERROR|DEBUG)\s+\d\d-\d\d \d\d:\d\d:\d\d\s+\[[^\]]*\]\s*")


def read_log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> list[str]:
    """The last lines of a server log; progress bars reduced to their latest state."""
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - LOG_TAIL_BYTES))
            data = f.read().decode("utf-8", "replace")
    except OSError:
        return []
    out = []
    for raw in data.split("\n"):  # not splitlines(): a \r is a progress bar redrawing its line
        line = _ANSI.sub("", raw.rstrip("\r").rsplit("\r", 1)[-1]).rstrip()
        if line:
            out.append(line[:400])
    return out[-lines:]


def short_line(line: str) -> str:
    """A log line without vLLM's `(APIServer pid=1) INFO 01-02 03:04:05 [file.py:12]` prefix."""
    for _ in range(2):
        line = _PREFIX.sub("", line)
    return line.strip()[:200]
