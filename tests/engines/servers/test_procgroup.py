"""Process groups with real processes: a shell (the leader) that starts a grandchild, as vLLM starts its engine core.

After `stop()` the leader and everything it started are gone, and the leader was reaped (no zombie of ours).
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from pathlib import Path

import psutil
import pytest

from seedui.engines.servers import procgroup
from seedui.engines.servers.procgroup import ProcessGroup, die_with_parent, group_members
from tests.conftest import run_async


def pids(path: Path, count: int) -> list[int]:
    """The pids a test shell wrote to `path`, once it has written `count` of them."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = path.read_text().split() if path.exists() else []
        if len(lines) >= count:
            return [int(x) for x in lines[:count]]
        time.sleep(0.02)
    raise AssertionError(f"{path} never held {count} pids")


def gone(pid: int) -> bool:
    """Not running: no such process, or a zombie that is not ours to reap (reparented to init)."""
    try:
        proc = psutil.Process(pid)
        return proc.status() == psutil.STATUS_ZOMBIE and proc.ppid() != psutil.Process().pid
    except psutil.NoSuchProcess:
        return True


def reaped(pid: int) -> bool:
    """Our child left no zombie behind: its pid is free (or already someone else's, not our child)."""
    try:
        proc = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return True
    return proc.ppid() != psutil.Process().pid


def shell(script: str) -> list[str]:
    return ["sh", "-c", script]


def test_stop_ends_the_leader_and_its_grandchild_and_reaps(tmp_path):
    out = tmp_path / "pids"
    # The leader writes its own pid and its child's, then waits for the child (as vLLM's API server does).
    script = f"sleep 600 & echo $$ $! > {out}; wait"

    async def go():
        group = await ProcessGroup.spawn(shell(script))
        leader, grandchild = pids(out, 2)
        assert leader == group.pid == group.pgid
        assert sorted(group.members()) == sorted([leader, grandchild])
        assert group.pgid in procgroup.live_groups()
        t0 = time.monotonic()
        code = await group.stop(grace_s=5)
        return group, leader, grandchild, code, time.monotonic() - t0

    group, leader, grandchild, code, took = run_async(go())
    assert code == -signal.SIGTERM  # SIGTERM was enough: no SIGKILL needed
    assert took < 4
    assert group_members(group.pgid) == []
    assert gone(leader) and gone(grandchild)
    assert reaped(leader)
    assert group.pgid not in procgroup.live_groups()


def test_a_group_that_ignores_sigterm_is_killed_after_the_grace_period(tmp_path):
    out = tmp_path / "pids"
    script = f"trap '' TERM; sleep 600 & echo $$ $! > {out}; wait; wait"  # ignored signals stay ignored in children

    async def go():
        group = await ProcessGroup.spawn(shell(script))
        leader, grandchild = pids(out, 2)
        t0 = time.monotonic()
        code = await group.stop(grace_s=1.0)
        return leader, grandchild, code, time.monotonic() - t0

    leader, grandchild, code, took = run_async(go())
    assert code == -signal.SIGKILL
    assert 1.0 <= took < 4
    assert gone(leader) and gone(grandchild) and reaped(leader)


def test_children_that_outlive_the_leader_are_stopped_too(tmp_path):
    out = tmp_path / "pids"
    script = f"sleep 600 & echo $! > {out}; exit 0"  # the leader exits, its child keeps the group alive

    async def go():
        group = await ProcessGroup.spawn(shell(script))
        (grandchild,) = pids(out, 1)
        assert await group.wait() == 0
        assert group.members() == [grandchild]
        await group.stop(grace_s=5)
        return group, grandchild

    group, grandchild = run_async(go())
    assert gone(grandchild)
    assert group_members(group.pgid) == []


def test_output_goes_to_the_given_file_and_a_missing_command_is_an_oserror(tmp_path):
    log = tmp_path / "out.log"

    async def go():
        with log.open("wb") as f:
            group = await ProcessGroup.spawn(shell("echo out; echo err >&2"), stdout=f)
        assert await group.wait() == 0
        await group.stop()
        with pytest.raises(OSError):
            await ProcessGroup.spawn(["/nonexistent/bin/vllm"])

    run_async(go())
    assert log.read_text().split() == ["out", "err"]


def test_kill_all_groups_is_the_backup_for_groups_never_stopped(tmp_path):
    out = tmp_path / "pids"

    async def go():
        group = await ProcessGroup.spawn(shell(f"trap '' TERM; sleep 600 & echo $$ $! > {out}; wait"))
        return group, pids(out, 2)

    group, (leader, grandchild) = run_async(go())  # its loop is gone: nobody will call stop()
    assert group.pgid in procgroup.live_groups()
    procgroup.kill_all_groups(grace_s=0.5)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and group_members(group.pgid):
        time.sleep(0.05)
    assert group_members(group.pgid) == []
    assert group.pgid not in procgroup.live_groups()


def test_a_child_dies_with_the_thread_that_started_it():
    started: list[subprocess.Popen] = []

    def spawn() -> None:
        started.append(subprocess.Popen(["sleep", "600"], preexec_fn=die_with_parent))

    thread = threading.Thread(target=spawn)
    thread.start()
    thread.join()
    (child,) = started
    assert child.wait(timeout=10) == -signal.SIGTERM
