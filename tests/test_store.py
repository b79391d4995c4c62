from __future__ import annotations

import importlib.util
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from seedui import store as store_module
from seedui.errors import UserError
from seedui.shares import ShareService, validate_comparison
from seedui.store import SCHEMA_VERSION, BenchRunRow, ShareRow, Store, StoreError

WRITER = Path(__file__).with_name("share_writer.py")


def _row(share_id: str = "a" * 16, payload: str = '{"x": 1}') -> ShareRow:
    return ShareRow(share_id, 1.5, "h" * 64, payload, len(payload))


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "db" / "seedui.sqlite3") as s:
        yield s


def test_fresh_file_has_schema_wal_and_full_sync(store: Store) -> None:
    assert store.schema_version == SCHEMA_VERSION
    assert store.journal_mode == "wal"
    with store.reading() as conn:
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] > 0
    assert store.integrity_check() == "ok"


def test_synchronous_normal_is_accepted_and_odd_values_refused(tmp_path: Path) -> None:
    with Store(tmp_path / "n.sqlite3", synchronous="NORMAL") as s:
        with s.reading() as conn:
            assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1
    with pytest.raises(ValueError, match="synchronous"):
        Store(tmp_path / "o.sqlite3", synchronous="OFF")  # type: ignore[arg-type]


def test_share_round_trip_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    with Store(path) as s:
        s.insert_share(_row())
        assert s.get_share("a" * 16) == _row()
        assert s.get_share("b" * 16) is None
    with Store(path) as s:  # reopening runs no migration twice and keeps the data
        assert s.schema_version == SCHEMA_VERSION
        assert s.get_share("a" * 16) == _row()
        assert s.count_shares() == 1


def test_duplicate_id_and_invalid_json_are_refused(store: Store) -> None:
    store.insert_share(_row())
    with pytest.raises(sqlite3.IntegrityError):
        store.insert_share(_row())
    with pytest.raises(sqlite3.IntegrityError):
        store.insert_share(_row("c" * 16, payload="{not json"))
    assert store.count_shares() == 1


def test_delete_needs_the_matching_hash(store: Store) -> None:
    store.insert_share(_row())
    assert store.delete_share("a" * 16, "x" * 64) is False
    assert store.delete_share("a" * 16, "h" * 64) is True
    assert store.delete_share("a" * 16, "h" * 64) is False
    assert store.get_share("a" * 16) is None


def test_transaction_rolls_back_on_error(store: Store) -> None:
    with pytest.raises(RuntimeError):
        with store.transaction() as conn:
            conn.execute("INSERT INTO shares VALUES (?, ?, ?, ?, ?)", ("z" * 16, 1.0, "h", "{}", 2))
            raise RuntimeError("boom")
    assert store.count_shares() == 0


def test_memory_database_works() -> None:
    with Store(":memory:") as s:
        s.insert_share(_row())
        assert s.count_shares() == 1


def test_closed_store_says_so(tmp_path: Path) -> None:
    s = Store(tmp_path / "c.sqlite3")
    s.close()
    s.close()  # twice is fine
    with pytest.raises(StoreError, match="closed"):
        s.get_share("a" * 16)


def test_newer_schema_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    with Store(path) as s, s.transaction() as conn:
        conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 5,))
    with pytest.raises(StoreError, match=f"schema version {SCHEMA_VERSION + 5}.*upgrade SeedUI") as info:
        Store(path)
    assert isinstance(info.value, UserError)


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open the database"):
        Store(path)


def test_a_new_migration_is_applied_to_an_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.sqlite3"
    with Store(path) as s:
        s.insert_share(_row())
    migrations = {
        **store_module.MIGRATIONS,
        SCHEMA_VERSION + 1: ("CREATE TABLE later (share_id TEXT NOT NULL, lane TEXT NOT NULL)",),
    }
    monkeypatch.setattr(store_module, "MIGRATIONS", migrations)
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with Store(path) as s:
        assert s.schema_version == SCHEMA_VERSION + 1
        assert s.get_share("a" * 16) == _row()
        with s.reading() as conn:
            conn.execute("INSERT INTO later VALUES ('a', 'base')")


def test_a_shares_only_file_gets_the_arena_tables_and_keeps_its_shares(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite3"
    conn = sqlite3.connect(path)  # a database as SeedUI made it before the arena (schema version 1)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO schema_version VALUES (1)")
    for statement in store_module.MIGRATIONS[1]:
        conn.execute(statement)
    conn.execute("INSERT INTO shares VALUES (?, ?, ?, ?, ?)", ("a" * 16, 1.5, "h" * 64, '{"x": 1}', 8))
    conn.commit()
    conn.close()
    with Store(path) as s:
        assert s.schema_version == SCHEMA_VERSION >= 2
        assert s.get_share("a" * 16) == _row()
        with s.reading() as c:
            tables = {row[0] for row in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"battles", "votes"} <= tables
        assert s.integrity_check() == "ok"


def test_bench_runs_round_trip_and_a_file_at_version_1_gets_their_table(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "b.sqlite3"
    first = {1: store_module.MIGRATIONS[1]}
    monkeypatch.setattr(store_module, "MIGRATIONS", first)
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 1)
    with Store(path) as s:
        s.insert_share(_row())
    monkeypatch.undo()
    row = BenchRunRow("r" * 16, 2.5, "h" * 64, "humaneval", '{"problems": 164}', b"\x1f\x8b gzip", 9)
    with Store(path) as s:
        assert s.schema_version == SCHEMA_VERSION and s.get_share("a" * 16) == _row()
        s.insert_bench_run(row)
        assert s.get_bench_run("r" * 16) == row and s.count_bench_runs() == 1
        assert not s.delete_bench_run("r" * 16, "x" * 64)
        assert s.delete_bench_run("r" * 16, "h" * 64) and s.get_bench_run("r" * 16) is None


def test_many_threads_and_two_connections_write_safely(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    first, second = Store(path), Store(path)
    errors: list[BaseException] = []

    def work(s: Store, k: int) -> None:
        try:
            for i in range(25):
                s.insert_share(_row(f"t{k:02d}{i:013d}"))
                assert s.get_share(f"t{k:02d}{i:013d}") is not None
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(first if k % 2 else second, k)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert first.count_shares() == second.count_shares() == 200
    first.close()
    second.close()


# --- durability -----------------------------------------------------------------------


def _load_writer():
    spec = importlib.util.spec_from_file_location("share_writer", WRITER)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


class ChildWriter:
    """One writer child (share_writer.py, or another `script` with its arguments) with a thread collecting
    its output lines."""

    def __init__(self, db: Path, start: int, script: Path = WRITER) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(script), str(db), str(start), "2"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def kill(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._reader.join(timeout=10)
        assert self.proc.stderr is not None
        stderr = self.proc.stderr.read()
        self.proc.stderr.close()
        self.proc.stdout.close()  # type: ignore[union-attr]
        return stderr


def kill_writers_at_random(db: Path, script: Path = WRITER) -> tuple[dict[int, str], int]:
    """Run writer children on `db`, two at a time, each SIGKILLed at a random moment; return what they printed
    whole ({n: id}: each was returned to the writer before it printed) and the seed of the moments."""
    seed = int(os.environ.get("SEEDUI_DURABILITY_SEED", time.time_ns() % 2**32))
    rng = random.Random(seed)
    printed: dict[int, str] = {}
    started = time.monotonic()
    rounds = 0
    while rounds < 6 and time.monotonic() - started < 18:
        # Two processes on one file at once; each killed at its own random moment,
        # sometimes before it printed anything (during start-up or the first migration).
        writers = [ChildWriter(db, rounds * 10_000_000 + k * 1_000_000, script) for k in range(2)]
        for w in writers:
            t0 = time.monotonic()
            if rng.random() < 0.75:
                while not w.lines and w.proc.poll() is None and time.monotonic() - t0 < 10:
                    time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.4))
            stderr = w.kill()
            assert w.proc.returncode == -signal.SIGKILL, f"writer failed on its own (seed {seed}):\n{stderr}"
            for line in w.lines:
                if not line.endswith("\n"):
                    continue  # cut mid-line by the kill; that id was never "returned"
                n, written_id = line.split()
                printed[int(n)] = written_id
        rounds += 1
    assert printed, "the writers printed no ids; the test proved nothing"
    assert time.monotonic() - started < 30
    return printed, seed


def test_every_returned_share_survives_sigkill(tmp_path: Path) -> None:
    writer = _load_writer()
    db = tmp_path / "durable.sqlite3"
    printed, seed = kill_writers_at_random(db)
    with Store(db) as s:
        assert s.integrity_check() == "ok"
        assert s.count_shares() >= len(printed)
        service = ShareService(s, base_url=None, rate_per_minute=1)
        for n, share_id in printed.items():
            assert service.load(share_id) == validate_comparison(writer.make_comparison(n)), (
                f"share {share_id} (n={n}) differs after SIGKILL (seed {seed})"
            )
