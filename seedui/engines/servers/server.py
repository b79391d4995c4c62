"""One supervised server process (vLLM, llama.cpp): spawn, /health wait with progress, log tail, restarts.

Start-up is watched through `/health`, and the state (starting / ready /
failed, with the last lines of the server's log) is what the page shows for
each lane on this server. A server that never came up is a configuration
problem and is not retried; one that crashes after it was ready is restarted
with bounded exponential back-off. The process itself (its group, stopping,
reaping) is `procgroup.ProcessGroup`'s job; what differs between programs
(command line, model file, sleep mode) is its `ServerKind`'s.

Everything here runs on one event loop, the one that serves requests: the
supervisor task, the health checks and the sleep/wake calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from seedui.engines.base import EngineStatus
from seedui.engines.servers.logtail import read_log_tail, short_line
from seedui.engines.servers.ports import HOST, free_port, port_is_free
from seedui.engines.servers.procgroup import STOP_GRACE_S, ProcessGroup
from seedui.errors import EngineError

if TYPE_CHECKING:
    from seedui.engines.servers.swap import SwapGroup

log = logging.getLogger(__name__)

HEALTH_INTERVAL_S = 0.5
MAX_RESTARTS = 5
BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 30.0
STABLE_AFTER_S = 300.0  # up this long after a restart: the back-off starts again from the first step
SWAP_TIMEOUT_S = 300.0  # sleeping or waking an 8B model moves ~16 GB over PCIe: seconds, not minutes


@dataclass(frozen=True)
class ServerSpec:
    """What a server serves; lanes whose specs are equal share one server."""

    engine: str  # the lanes' `engine`: which ServerKind runs it
    model: str  # what the lane config names (HF id or path)
    served_name: str
    options: Any  # the lane's options block for that engine (`vllm`, `llamacpp`)
    context_length: int | None = None  # for servers that size their KV cache from the lane (llama.cpp)


class ServerKind(Protocol):
    """What differs between the programs a supervisor runs. One object per server."""

    label: str  # "vLLM", "llama.cpp": in status lines and logs
    slug: str  # in log file names
    fix_hint: str  # what to do when the program cannot be run
    startup_timeout_s: float
    # HTTP routes that free the server's memory and bring it back in place (vLLM's sleep mode); None: taking
    # turns stops the process and starts it again.
    sleep_path: str | None
    wake_path: str | None

    def takes_turns(self, options: Any) -> bool:
        """Whether a server with these options takes turns with the others of its engine (`swap.py`)."""

    def program(self) -> list[str]:
        """The command prefix; raises EngineError saying what to install or set when there is none."""

    def model_path(self, spec: ServerSpec, cache_dir: Path, progress: Callable[[str], None]) -> str:
        """(Blocking: runs in a thread.) What the program loads; a download reports through `progress`."""

    def argv(self, program: list[str], spec: ServerSpec, model_path: str, port: int) -> list[str]: ...

    def env(self, takes_turns: bool) -> dict[str, str]: ...

    def memory_gib(self, spec: ServerSpec, model_path: str) -> float | None:
        """(Blocking.) The RAM the server needs for this model, where the kind can tell."""


class ManagedServer:
    """One supervised server. `start()` is shared: the first lane starts it, the others wait."""

    def __init__(
        self,
        spec: ServerSpec,
        kind: ServerKind,
        *,
        cache_dir: Path,
        start_lock: asyncio.Lock | None = None,  # shared: servers start one at a time
        env: dict[str, str] | None = None,
        max_restarts: int = MAX_RESTARTS,
        stop_grace_s: float = STOP_GRACE_S,
        swap: SwapGroup | None = None,
    ) -> None:
        self.spec = spec
        self.swap = swap
        self.asleep = False
        self.kind = kind
        self.cache_dir = cache_dir
        self.startup_timeout_s = kind.startup_timeout_s
        self.env = {**(env or {}), **kind.env(swap is not None)}
        self.max_restarts = max_restarts
        self.stop_grace_s = stop_grace_s
        self._start_lock = start_lock
        self.port = free_port()
        self.group: ProcessGroup | None = None  # the running server process and its children
        self.log_path = cache_dir / "logs" / f"{kind.slug}-{_slug(spec.served_name)}-{self.port}.log"
        self.restarts = 0  # restarts after crashes, over the server's life
        self.spawns = 0  # processes started, over the server's life (each a new one for clients to connect to)
        self.startup_s: float | None = None  # the first start-up, spawn to healthy
        self._state: str = "starting"
        self._detail = "waiting to start"
        self._since = time.monotonic()
        self._task: asyncio.Task[None] | None = None
        self._settled = asyncio.Event()
        self._closing = False
        self.memory_gib: float | None = None  # what the server needs, where its kind can tell
        self._model_path: str | None = None  # the model's file, once found (a download the first time)
        # Taking turns by stopping (llama.cpp): the process is stopped on purpose until `wake()` starts it.
        self._parked = False
        self._running = asyncio.Event()
        self._waking = False
        self._ready_detail = ""

    # --- what lanes read -------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}/v1"

    @property
    def root_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def status(self) -> EngineStatus:
        if self._waking:  # taking its turn: still "ready" for the lanes, whose requests wait for it
            return EngineStatus("ready", f"{self._ready_detail}; starting again for a request ({self._detail})")
        tail = read_log_tail(self.log_path) if self._state != "ready" else []
        detail = self._detail
        if self._state == "ready" and self.asleep:
            detail = f"{detail}; asleep (taking turns): it wakes when a request comes, after the awake lane is idle"
        if self._state == "starting" and self.group is not None:
            detail = f"{detail} ({time.monotonic() - self._since:.0f} s)"
            if tail:
                detail += f": {short_line(tail[-1])}"
        return EngineStatus(self._state, detail, tail, self.memory_gib)  # type: ignore[arg-type]

    def _set(self, state: str, detail: str) -> None:
        self._state, self._detail = state, detail
        log.info("%s %s (port %d): %s: %s", self.kind.label, self.spec.served_name, self.port, state, detail)

    def _progress(self, detail: str) -> None:
        """A step of the start-up before the process runs (a download), from any thread."""
        self._detail = detail

    # --- life cycle ------------------------------------------------------------

    async def start(self) -> None:
        """Start supervising (once) and wait until the server is ready or has failed. Never raises."""
        if self._task is None:
            self._task = asyncio.create_task(self._supervise(), name=f"{self.kind.slug}-{self.spec.served_name}")
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
        self._parked = False

    async def _supervise(self) -> None:
        label = self.kind.label
        try:
            ok = await self._launch()
            self._settled.set()
            if not ok:
                return  # a server that never came up is a configuration problem: no retries
            while not self._closing:
                assert self.group is not None
                up_since = time.monotonic()
                code = await self.group.wait()
                if self._parked:  # stopped on purpose to make room for another lane's model
                    await self._running.wait()  # until `wake()` has started it again
                    continue
                why = f"{label} exited ({exit_text(code)})"
                await self._stop_group()  # vLLM's engine core and workers may outlive the API process
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
            log.exception("%s supervisor failed", label)
            self._set("failed", f"supervisor error: {type(exc).__name__}: {exc}")
        finally:
            self._settled.set()

    async def _launch(self, make_room: bool = True) -> bool:
        """Spawn the server and wait for /health. True when ready; on failure the state says why."""
        lock = self._start_lock or contextlib.nullcontext()
        if self._start_lock is not None and self._start_lock.locked():
            self._set("starting", "waiting for another server to finish starting (one at a time)")
        async with lock:
            try:
                path = await self._prepare_and_spawn(make_room)
            except EngineError as exc:
                self._set("failed", str(exc))
                return False
            ok = await self._wait_healthy(path)
            if ok and self.swap is not None:
                self.swap.started(self)
            return ok

    async def _prepare_and_spawn(self, make_room: bool) -> str:
        """Find the program and the model (a download), make room, spawn. The model's path; EngineError says why not."""
        program = self.kind.program()
        if self._model_path is None:  # found once: a turn taken again (take_turns) asks no Hub and reads no file
            try:
                self._model_path = await asyncio.to_thread(
                    self.kind.model_path, self.spec, self.cache_dir, self._progress
                )
            except EngineError:
                raise
            except Exception as exc:
                raise EngineError(f"cannot find the model {self.spec.model}: {exc}") from None
        path = self._model_path
        if not port_is_free(self.port):
            self.port = free_port()
        if self.swap is not None and make_room:
            try:
                await self.swap.make_room(self)  # the awake server goes to sleep first: its memory is needed
            except EngineError as exc:
                raise EngineError(f"cannot make room: {exc}") from None
        try:
            await self._spawn(self.kind.argv(program, self.spec, path, self.port))
        except OSError as exc:
            raise EngineError(f"cannot run {' '.join(program)!r}: {exc}; {self.kind.fix_hint}") from None
        return path

    async def _spawn(self, argv: list[str]) -> None:
        label = self.kind.label
        try:  # the log is ours, not the server's: a folder that cannot be made must not read as "cannot run"
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            logf = self.log_path.open("ab")
        except OSError as exc:
            raise EngineError(
                f"cannot write the {label} log {self.log_path}: {exc.strerror or exc}; "
                "make its folder writable or set cache_dir to a writable folder"
            ) from None
        with logf:
            logf.write(f"\n=== seedui: {' '.join(argv)}\n".encode())
            logf.flush()
            self.group = await ProcessGroup.spawn(argv, stdout=logf, env={**os.environ, **(self.env or {})})
            self.spawns += 1
        self._since = time.monotonic()
        self._set("starting", f"{label} is loading {self.spec.model} on port {self.port}")

    async def _wait_healthy(self, path: str) -> bool:
        assert self.group is not None
        label = self.kind.label
        started = time.monotonic()
        deadline = started + self.startup_timeout_s
        async with httpx.AsyncClient(timeout=2.0) as client:
            while True:
                code = self.group.returncode
                if code is not None:
                    last = [short_line(x) for x in read_log_tail(self.log_path, 3)]
                    self._set("failed", f"{label} exited during start-up ({exit_text(code)}): {' | '.join(last)}")
                    await self._stop_group()
                    return False
                if time.monotonic() > deadline:
                    self._set("failed", f"{label} was not healthy within {self.startup_timeout_s:g} s; stopped it")
                    await self._stop_group()
                    return False
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.root_url}/health")).status_code == 200:
                        break
                await asyncio.sleep(HEALTH_INTERVAL_S)
        elapsed = time.monotonic() - started
        if self.startup_s is None:  # the first start: the file and its needs do not change after it
            self.startup_s = elapsed
            self.memory_gib = await asyncio.to_thread(self.kind.memory_gib, self.spec, path)
        need = f"; needs ~{self.memory_gib:.1f} GB of RAM" if self.memory_gib else ""
        self._ready_detail = f"{self.spec.model} on {label} at {self.root_url}{need}"
        self._set("ready", f"{self._ready_detail} (started in {elapsed:.0f} s)")
        self._running.set()
        return True

    async def _stop_group(self) -> None:
        group, self.group = self.group, None
        if group is not None:
            await group.stop(self.stop_grace_s)

    # --- taking turns (sleep mode) -------------------------------------------------

    def lease(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Hold the machine for one request: a no-op unless this server takes turns in a swap group."""
        return self.swap.lease(self) if self.swap is not None else contextlib.nullcontext()

    async def sleep(self) -> None:
        """Free this server's memory for another: in place where the program can (vLLM), else stop it."""
        if self.kind.sleep_path is not None:
            await self._post(self.kind.sleep_path)
        else:
            self._parked = True
            self._running.clear()
            await self._stop_group()
        self.asleep = True
        log.info("%s %s is asleep", self.kind.label, self.spec.served_name)

    async def wake(self) -> None:
        if self.kind.wake_path is not None:
            await self._post(self.kind.wake_path)
        elif self._parked:
            self._waking = True
            try:
                ok = await self._launch(make_room=False)  # the swap group made room already
            finally:
                self._waking = False
            if not ok:
                why = self._detail
                self._set("ready", f"{self._ready_detail}; its last start failed ({why})")
                raise EngineError(f"{self.kind.label} for {self.spec.model} could not start again: {why}")
            self._parked = False  # running again: _launch set it when the server was healthy
        self.asleep = False
        log.info("%s %s is awake", self.kind.label, self.spec.served_name)

    async def _post(self, path: str) -> None:
        label = self.kind.label
        try:
            async with httpx.AsyncClient(timeout=SWAP_TIMEOUT_S) as client:
                resp = await client.post(f"{self.root_url}{path}")
        except httpx.HTTPError as exc:
            raise EngineError(f"{label} for {self.spec.model}: {path} failed: {exc or type(exc).__name__}") from None
        if resp.status_code != 200:
            hint = " (is sleep mode enabled, and is this vLLM new enough?)" if resp.status_code == 404 else ""
            raise EngineError(f"{label} for {self.spec.model}: {path} answered {resp.status_code}{hint}")


def exit_text(code: int) -> str:
    """'code 3', or 'killed by SIGILL: ...' for a signal (negative codes)."""
    if code >= 0:
        return f"code {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        return f"killed by signal {-code}"
    if name == "SIGILL":
        return "killed by SIGILL: an instruction this CPU lacks; the program was built for another CPU"
    return f"killed by {name}"


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-")[:80] or "model"
