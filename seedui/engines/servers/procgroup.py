"""A child process in a process group of its own, stopped as a whole: no orphans.

`vllm serve` forks an engine core and workers; killing only the process we
started would leave them holding the GPU. So the child starts a new session
(its pid is the group id), and stopping signals the whole group: SIGTERM,
then SIGKILL to whatever is left after a grace period, then the leader is
reaped (asyncio's child watcher collects its exit status: no zombie).

Backups, for when `stop()` never runs: every live group is noted, and an
`atexit` hook kills them; on Linux the child also gets SIGTERM when the
thread that started it dies (`die_with_parent`, PR_SET_PDEATHSIG). Signal
handlers are not installed here: they belong to the entry point (app.py),
whose clean shutdown calls `stop()`.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import os
import signal
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import IO

import psutil

STOP_GRACE_S = 10.0
POLL_S = 0.1
AT_EXIT_GRACE_S = 3.0

_live_groups: set[int] = set()
_atexit_registered = False


def die_with_parent() -> None:
    """In the child before exec: SIGTERM when the thread that started it dies (Linux)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) pids in a process group."""
    members = []
    for proc in psutil.process_iter(["status"]):
        try:
            if proc.info["status"] != psutil.STATUS_ZOMBIE and os.getpgid(proc.pid) == pgid:
                members.append(proc.pid)
        except (psutil.Error, OSError):  # gone meanwhile
            continue
    return members


def live_groups() -> set[int]:
    """Process groups started here and not stopped yet."""
    return set(_live_groups)


def kill_all_groups(grace_s: float = AT_EXIT_GRACE_S) -> None:
    """SIGTERM every live group, SIGKILL what is left after `grace_s`. The atexit backup; also for tests."""
    kill_groups(_live_groups, grace_s)


def kill_groups(pgids: Iterable[int], grace_s: float = AT_EXIT_GRACE_S) -> None:
    """SIGTERM these groups, SIGKILL what is left of them after `grace_s`."""
    groups = list(pgids)
    for pgid in groups:
        _killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(group_members(g) for g in groups):
        time.sleep(POLL_S)
    for pgid in groups:
        _killpg(pgid, signal.SIGKILL)
        _live_groups.discard(pgid)


def _killpg(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _note(pgid: int) -> None:
    global _atexit_registered
    _live_groups.add(pgid)
    if not _atexit_registered:
        atexit.register(kill_all_groups)
        _atexit_registered = True


class ProcessGroup:
    """One child process leading its own process group, and everything it forks."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.pgid = proc.pid  # start_new_session: the child leads a new group

    @classmethod
    async def spawn(
        cls, argv: Sequence[str], *, stdout: IO[bytes] | int | None = None, env: Mapping[str, str] | None = None
    ) -> ProcessGroup:
        """Start `argv` in a new session; its output goes to `stdout` (stderr too). Raises OSError."""
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=stdout,
            stderr=asyncio.subprocess.STDOUT if stdout is not None else None,
            start_new_session=True,
            env=dict(env) if env is not None else None,
            preexec_fn=die_with_parent if sys.platform == "linux" else None,
        )
        _note(proc.pid)
        return cls(proc)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def returncode(self) -> int | None:
        """The leader's exit status, once it has exited (negative: killed by that signal)."""
        return self.proc.returncode

    def members(self) -> list[int]:
        return group_members(self.pgid)

    async def wait(self) -> int:
        """Until the leader exits; its exit status."""
        return await self.proc.wait()

    async def stop(self, grace_s: float = STOP_GRACE_S) -> int | None:
        """SIGTERM the group; SIGKILL what is left after `grace_s`; reap the leader. Returns its exit status."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace_s
        _killpg(self.pgid, signal.SIGTERM)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace_s):  # not wait_for: see fanout.run_lane
                await self.proc.wait()
        while self.members() and loop.time() < deadline:  # children may take longer than the leader
            await asyncio.sleep(POLL_S)
        if self.proc.returncode is None or self.members():  # else the group is gone and its id may be reused
            _killpg(self.pgid, signal.SIGKILL)
        code = await self.proc.wait()  # reaped by asyncio's child watcher
        _live_groups.discard(self.pgid)
        return code
