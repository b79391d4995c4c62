"""Supervise `vllm serve`: one server per distinct model, shared by the lanes naming it.

Each server gets a free local port, the lane's GPU memory fraction,
`max_model_len`, dtype, reasoning parser and extra flags from config. Start-up
is watched through `/health`, and the state (starting / ready / failed, with the
last lines of the server's log) is what the page shows per lane. A server that
crashes after it was ready is restarted with bounded exponential back-off.

No orphans: every server runs in its own process group (vLLM forks an engine
core and workers), which is signalled as a whole: SIGTERM, then SIGKILL after a
grace period. `close()` does this; an `atexit` hook and SIGTERM/SIGHUP handlers
are the backup, and on Linux the server also gets SIGTERM if this process dies.

Sleep mode (for a GPU too small for all lanes at once, e.g. 24 GB): servers
whose extra flags include `--enable-sleep-mode` form one swap group, of which
only one is awake at a time. A request for a sleeping server waits until the
awake one has no requests in flight, puts it to sleep (level 1: weights to
CPU RAM, KV cache dropped) and wakes its own (`/sleep`, `/wake_up`; the
supervisor sets VLLM_SERVER_DEV_MODE=1 for them, which those routes need).

The command is configurable (`vllm_command`): `vllm serve` (model positional),
or e.g. `/opt/vllm/bin/python -m vllm.entrypoints.openai.api_server` or a
`docker run ... vllm/vllm-openai` prefix (model given with `--model`).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from seedui.config import AppConfig, LaneConfig, VllmOptions
from seedui.engines.base import EngineStatus
from seedui.errors import ConfigError, EngineError

log = logging.getLogger(__name__)

HEALTH_INTERVAL_S = 0.5
EXIT_POLL_S = 0.2
STOP_GRACE_S = 10.0
MAX_RESTARTS = 5
BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 30.0
STABLE_AFTER_S = 300.0  # up this long after a restart: the back-off starts again from the first step
LOG_TAIL_LINES = 20
LOG_TAIL_BYTES = 16_384
HOST = "127.0.0.1"
SLEEP_FLAG = "--enable-sleep-mode"
SLEEP_LEVEL = 1
SWAP_TIMEOUT_S = 300.0  # sleeping or waking an 8B model moves ~16 GB over PCIe: seconds, not minutes


# --- process groups: the no-orphans backup ---------------------------------------

_live_groups: set[int] = set()
_hooks_installed = False


def _kill_all_groups(sig: int = signal.SIGKILL) -> None:
    for pgid in list(_live_groups):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)
    if sig == signal.SIGKILL:
        _live_groups.clear()


def _at_exit() -> None:
    if not _live_groups:
        return
    _kill_all_groups(signal.SIGTERM)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and any(_group_alive(g) for g in _live_groups):
        time.sleep(0.1)
    _kill_all_groups(signal.SIGKILL)


def _install_exit_hooks() -> None:
    """atexit always; SIGTERM/SIGHUP only where nobody else handles them (the main thread's default)."""
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    atexit.register(_at_exit)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            if signal.getsignal(sig) is signal.SIG_DFL:
                signal.signal(sig, _on_signal)
        except ValueError:  # not the main thread: atexit and close() remain
            pass


def _on_signal(signum: int, frame: Any) -> None:
    _at_exit()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) pids in a process group, read from /proc (Linux)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def die_with_parent() -> None:
    """In the child before exec: SIGTERM when the process that started it dies (Linux)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port(host: str = HOST) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_is_free(port: int, host: str = HOST) -> bool:
    """Free for a server: nobody listens (SO_REUSEADDR as uvicorn sets it, so TIME_WAIT does not count)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


# --- the command line -------------------------------------------------------------


def server_argv(
    command: Sequence[str], model: str, served_name: str, port: int, options: VllmOptions, host: str = HOST
) -> list[str]:
    """`vllm serve MODEL ...` when the command ends with `serve`, else `... --model MODEL ...`."""
    argv = list(command)
    if argv and argv[-1] == "serve":
        argv.append(model)
    else:
        argv += ["--model", model]
    argv += ["--host", host, "--port", str(port), "--served-model-name", served_name]
    if options.gpu_memory_utilization is not None:
        argv += ["--gpu-memory-utilization", str(options.gpu_memory_utilization)]
    if options.max_model_len is not None:
        argv += ["--max-model-len", str(options.max_model_len)]
    if options.dtype:
        argv += ["--dtype", options.dtype]
    if options.reasoning_parser:
        argv += ["--reasoning-parser", options.reasoning_parser]
    if "--disable-uvicorn-access-log" not in options.extra_args:
        argv.append("--disable-uvicorn-access-log")  # /health polls would bury the useful lines
    argv += list(options.extra_args)
    return argv


def model_path(model: str, cache_dir: Path) -> str:
    """What vLLM loads: a local folder as is; the embedded model converted once; else the HF id (vLLM downloads)."""
    if Path(model).expanduser().exists():
        return str(Path(model).expanduser().resolve())
    from seedui.weights import embedded_gguf, resolve_weights

    if embedded_gguf(model) is not None:
        return str(resolve_weights(model, cache_dir))
    return model


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


# --- one server -------------------------------------------------------------------


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
        on_state: Callable[[VllmServer], None] | None = None,
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
        self.on_state = on_state
        self._start_lock = start_lock
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
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
        if self._state == "starting" and self.proc is not None:
            detail = f"{detail} ({time.monotonic() - self._since:.0f} s)"
            if tail:
                detail += f": {short_line(tail[-1])}"
        return EngineStatus(self._state, detail, tail)  # type: ignore[arg-type]

    def _set(self, state: str, detail: str) -> None:
        self._state, self._detail = state, detail
        log.info("vLLM %s (port %d): %s: %s", self.spec.served_name, self.port, state, detail)
        if self.on_state:
            self.on_state(self)

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
        await self._stop_process()
        if self._state != "failed":
            self._set("failed", "stopped")
        self._task, self._closing, self._settled = None, False, asyncio.Event()

    async def _supervise(self) -> None:
        try:
            ok = await self._launch()
            self._settle()
            if not ok:
                return  # a server that never came up is a configuration problem: no retries
            while not self._closing:
                up_since = time.monotonic()
                why = f"vLLM exited (code {await self._wait_exit()})"
                await self._stop_process()  # the engine core and workers may outlive the API process
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
            self._settle()

    def _settle(self) -> None:
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
                self._spawn(argv)
            except OSError as exc:
                self._set("failed", f"cannot run {' '.join(self.command)!r}: {exc}; set vllm_command to a working one")
                return False
            ok = await self._wait_healthy()
            if ok and self.swap is not None:
                self.swap.started(self)
            return ok

    def _spawn(self, argv: list[str]) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as logf:
            logf.write(f"\n=== seedui: {' '.join(argv)}\n".encode())
            logf.flush()
            env = {**os.environ, **(self.env or {})}
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=logf,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped as a whole
                env=env,
                preexec_fn=die_with_parent if sys.platform == "linux" else None,
            )
        _live_groups.add(self.proc.pid)
        _install_exit_hooks()
        self._since = time.monotonic()
        self._set("starting", f"vLLM is loading {self.spec.model} on port {self.port}")

    async def _wait_healthy(self) -> bool:
        assert self.proc is not None
        started = time.monotonic()
        deadline = started + self.startup_timeout_s
        async with httpx.AsyncClient(timeout=2.0) as client:
            while True:
                code = self.proc.poll()
                if code is not None:
                    last = [short_line(x) for x in read_log_tail(self.log_path, 3)]
                    self._set("failed", f"vLLM exited during start-up (code {code}): {' | '.join(last)}")
                    await self._stop_process()
                    return False
                if time.monotonic() > deadline:
                    self._set("failed", f"vLLM was not healthy within {self.startup_timeout_s:g} s; stopped it")
                    await self._stop_process()
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

    async def _wait_exit(self) -> int | None:
        assert self.proc is not None
        while (code := self.proc.poll()) is None:
            await asyncio.sleep(EXIT_POLL_S)
        return code

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

    async def _stop_process(self) -> None:
        """SIGTERM the whole process group, SIGKILL what is left after the grace period."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        pgid = proc.pid
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_grace_s
        while time.monotonic() < deadline and (proc.poll() is None or group_members(pgid)):
            await asyncio.sleep(0.1)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
        while proc.poll() is None:  # reap: no zombie left behind
            await asyncio.sleep(0.05)
        _live_groups.discard(pgid)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-")[:80] or "model"


# --- the supervisor -----------------------------------------------------------------


class VllmSupervisor:
    """All supervised servers of an app: one per distinct model. Goes into `EngineSet.resources`."""

    def __init__(self, config: AppConfig, env: dict[str, str] | None = None) -> None:
        self.config = config
        self.env = env
        self.servers: dict[str, VllmServer] = {}
        self._lanes: dict[str, str] = {}  # model -> first lane naming it (for error messages)
        # Servers start one after another: vLLM sizes its KV cache from the GPU
        # memory free while it profiles, which a server starting beside it skews.
        self._start_lock = asyncio.Lock()
        self.swap = SwapGroup()

    def server_for(self, lane_name: str, lane: LaneConfig) -> VllmServer:
        served = lane.served_model_name or lane.model
        spec = ServerSpec(lane.model, served, lane.vllm)
        server = self.servers.get(lane.model)
        if server is not None:
            if server.spec != spec:
                first = self._lanes[lane.model]
                raise ConfigError(
                    f"lanes {first} and {lane_name} share the model {lane.model}, so they share one vLLM server, "
                    "but their `vllm` options or served_model_name differ: make them the same"
                )
            return server
        server = VllmServer(
            spec,
            command=self.config.vllm_command,
            cache_dir=self.config.cache_dir,
            startup_timeout_s=self.config.vllm_startup_timeout_s,
            start_lock=self._start_lock,
            env=self.env,
            swap=self.swap if SLEEP_FLAG in lane.vllm.extra_args else None,
        )
        self.servers[lane.model] = server
        self._lanes[lane.model] = lane_name
        return server

    async def close(self) -> None:
        await asyncio.gather(*(server.close() for server in self.servers.values()))


class SwapGroup:
    """Servers in sleep mode that take turns on one GPU: at most one awake.

    Requests, start-ups and restarts all run on the serving loop, so one
    `asyncio.Condition` is the whole of the turn-taking.
    """

    def __init__(self) -> None:
        self.awake: VllmServer | None = None
        self.users = 0  # requests in flight on the awake server
        self.cond = asyncio.Condition()

    @contextlib.asynccontextmanager
    async def lease(self, server: VllmServer) -> Any:
        async with self.cond:
            await self.cond.wait_for(lambda: self.awake is server or self.users == 0)
            if self.awake is not server:
                if self.awake is not None:
                    await self.awake.sleep()
                    self.awake = None
                await server.wake()
                self.awake = server
            self.users += 1
        try:
            yield
        finally:
            async with self.cond:
                self.users -= 1
                self.cond.notify_all()

    async def make_room(self, server: VllmServer) -> None:
        """Before `server` (re)starts: wait for requests in flight, then put the awake one to sleep."""
        async with self.cond:
            await self.cond.wait_for(lambda: self.users == 0)
            if self.awake is not None and self.awake is not server:
                await self.awake.sleep()
                self.awake = None

    def started(self, server: VllmServer) -> None:
        server.asleep = False
        self.awake = server

    def gone(self, server: VllmServer) -> None:
        if self.awake is server:
            self.awake = None
