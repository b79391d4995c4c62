"""SQLite persistence: shares, the arena's battles and votes (their queries: seedui/arena/records.py), bench runs.

Durability choice
-----------------
The database runs in WAL mode with ``synchronous=FULL`` by default: every
commit is fsync'ed before ``commit()`` returns, so a share whose id the app has
handed out survives a SIGKILL of the process *and* a power loss or VM stop
(given a disk that honours fsync). ``synchronous=NORMAL`` would be enough for
a process kill (a committed WAL frame is already in the OS page cache), but a
power loss could then roll back the last few commits, and a link the user
already copied would point at nothing. Shares are rare (rate limited per
client), so the extra fsync per commit costs nothing that matters; a future
high-volume table (votes) can pass ``synchronous="NORMAL"``.

Where the file system cannot do WAL (some network mounts), SQLite keeps its
rollback journal; ``journal_mode`` records what was granted, and FULL is used
there regardless, since NORMAL with a rollback journal can corrupt on power loss.

Threads
-------
Gradio runs handlers in a pool of worker threads. One connection is shared and
every use goes through a lock: share traffic is small, SQLite serialises
writers anyway, and a single connection closes deterministically (no leak per
short-lived thread). Other *processes* on the same file wait up to
``busy_timeout_s`` for a lock instead of failing at once.

Schema
------
``schema_version`` holds one row with the version; ``MIGRATIONS[n]`` holds the
statements that move version ``n - 1`` to ``n``. To add a table, append a new
entry — never edit an old one.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from seedui.errors import UserError

DEFAULT_BUSY_TIMEOUT_S = 10.0

# version -> statements that bring the database from version-1 to version.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """
        CREATE TABLE shares (
            id                TEXT PRIMARY KEY,
            created_at        REAL NOT NULL,          -- unix seconds, UTC
            delete_token_hash TEXT NOT NULL,          -- sha256 hex of the delete token
            payload           TEXT NOT NULL CHECK (json_valid(payload)),
            size              INTEGER NOT NULL        -- bytes of payload (UTF-8)
        ) WITHOUT ROWID
        """,
        "CREATE INDEX shares_created_at ON shares (created_at)",
    ),
    # The arena (seedui/arena): a battle is one prompt answered by two anonymous sides; its vote, one per battle.
    2: (
        """
        CREATE TABLE battles (
            id            TEXT PRIMARY KEY,
            created_at    REAL NOT NULL,          -- unix seconds, UTC
            prompt        TEXT NOT NULL,
            settings      TEXT NOT NULL CHECK (json_valid(settings)),
            sides         TEXT NOT NULL CHECK (json_valid(sides)),   -- {"a"|"b": {lane, display_name, model, engine}}
            model_a       TEXT NOT NULL,          -- the contestant shown on the left (A): its display name
            model_b       TEXT NOT NULL,          -- ... and on the right (B)
            state         TEXT NOT NULL CHECK (state IN ('running', 'done', 'void', 'stopped')),
            reason        TEXT,                   -- why a battle is void
            answers       TEXT CHECK (answers IS NULL OR json_valid(answers)),  -- {"a"|"b": lane dict}
            finished_at   REAL,
            length_a      INTEGER,                -- characters of each answer, for style control
            length_b      INTEGER,
            code_blocks_a INTEGER,                -- fenced code blocks in each answer, for style control
            code_blocks_b INTEGER,
            size          INTEGER NOT NULL        -- bytes of prompt, settings, sides and answers (UTF-8)
        ) WITHOUT ROWID
        """,
        "CREATE INDEX battles_created_at ON battles (created_at)",
        """
        CREATE TABLE votes (
            battle_id  TEXT PRIMARY KEY REFERENCES battles (id),  -- the key makes it one vote per battle
            created_at REAL NOT NULL,
            choice     TEXT NOT NULL CHECK (choice IN ('a', 'b', 'tie', 'both_bad')),
            checks     TEXT CHECK (checks IS NULL OR json_valid(checks))  -- execution results from the voter's browser
        ) WITHOUT ROWID
        """,
        "CREATE INDEX votes_created_at ON votes (created_at)",
    ),
    3: (
        # Bench runs under a permalink (seedui/bench_runs.py). A run holds every answer, so its JSON is
        # kept gzipped (a full HumanEval run on three lanes is a few MB as text); `summary` is small JSON
        # (suite, lanes, models, pass counts) for listing runs without unpacking them.
        """
        CREATE TABLE bench_runs (
            id                TEXT PRIMARY KEY,
            created_at        REAL NOT NULL,          -- unix seconds, UTC
            delete_token_hash TEXT NOT NULL,          -- sha256 hex of the delete token
            suite             TEXT NOT NULL,
            summary           TEXT NOT NULL CHECK (json_valid(summary)),
            payload           BLOB NOT NULL,          -- gzip of the run as JSON (UTF-8)
            size              INTEGER NOT NULL        -- bytes of payload as stored
        )
        """,
        "CREATE INDEX bench_runs_created_at ON bench_runs (created_at)",
    ),
}
SCHEMA_VERSION = max(MIGRATIONS)


class StoreError(UserError):
    """The database cannot be used (newer schema, unreadable file)."""


@dataclass(frozen=True)
class BenchRunRow:
    id: str
    created_at: float
    delete_token_hash: str
    suite: str
    summary: str
    payload: bytes
    size: int


@dataclass(frozen=True)
class ShareRow:
    id: str
    created_at: float
    delete_token_hash: str
    payload: str
    size: int


class Store:
    """A SQLite database file, safe to use from many threads.

    `path` may be ``":memory:"`` for tests. The parent folder is created.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
        synchronous: Literal["NORMAL", "FULL"] = "FULL",
    ) -> None:
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError(f"synchronous must be 'NORMAL' or 'FULL', got {synchronous!r}")
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        try:
            # isolation_level=None: no implicit transactions; we issue BEGIN ourselves.
            self._conn = sqlite3.connect(
                self.path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
            )
            conn = self._conn
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            self.journal_mode = str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
            if self.journal_mode != "wal":
                synchronous = "FULL"
            conn.execute(f"PRAGMA synchronous = {synchronous}")
            conn.execute("PRAGMA foreign_keys = ON")
            self.synchronous = synchronous
            self._migrate()
        except StoreError:
            self.close()
            raise
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StoreError(f"cannot open the database {self.path}: {exc}") from exc

    # --- plumbing -----------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"the database {self.path} is closed")
        return self._conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE), committed on success.

        Durable once the `with` block exits without an exception.
        """
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """The connection for reads (autocommit: each statement sees committed data)."""
        with self._lock:
            yield self._connection()

    def _migrate(self) -> None:
        with self.transaction() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            # Read inside the write lock: two processes opening a fresh file
            # at once must not both run migration 1.
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            current = row[0] if row else 0
            if current > SCHEMA_VERSION:
                raise StoreError(
                    f"the database {self.path} has schema version {current}, but this SeedUI knows "
                    f"only up to {SCHEMA_VERSION}; upgrade SeedUI or point it at another database file"
                )
            # In key order; a version whose migration is on another branch (not merged yet) is skipped.
            for version in sorted(v for v in MIGRATIONS if v > current):
                for statement in MIGRATIONS[version]:
                    conn.execute(statement)
            if row is None:
                conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
            elif current != SCHEMA_VERSION:
                conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))

    @property
    def schema_version(self) -> int:
        with self.reading() as conn:
            return int(conn.execute("SELECT version FROM schema_version").fetchone()[0])

    def integrity_check(self) -> str:
        """'ok' when the file is sound, else SQLite's list of problems."""
        with self.reading() as conn:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
        return "\n".join(str(r[0]) for r in rows)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- shares ---------------------------------------------------------------

    def insert_share(self, row: ShareRow) -> None:
        """Insert one share; raises sqlite3.IntegrityError if the id exists."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO shares (id, created_at, delete_token_hash, payload, size) VALUES (?, ?, ?, ?, ?)",
                (row.id, row.created_at, row.delete_token_hash, row.payload, row.size),
            )

    def get_share(self, share_id: str) -> ShareRow | None:
        with self.reading() as conn:
            found = conn.execute(
                "SELECT id, created_at, delete_token_hash, payload, size FROM shares WHERE id = ?", (share_id,)
            ).fetchone()
        return ShareRow(*found) if found else None

    def delete_share(self, share_id: str, delete_token_hash: str) -> bool:
        """Delete the share if its stored hash matches; True when a row went."""
        with self.transaction() as conn:
            cur = conn.execute(
                "DELETE FROM shares WHERE id = ? AND delete_token_hash = ?", (share_id, delete_token_hash)
            )
            return cur.rowcount == 1

    def count_shares(self) -> int:
        with self.reading() as conn:
            return int(conn.execute("SELECT count(*) FROM shares").fetchone()[0])

    # --- bench runs ------------------------------------------------------------------

    def insert_bench_run(self, row: BenchRunRow) -> None:
        """Insert one run; raises sqlite3.IntegrityError if the id exists."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO bench_runs (id, created_at, delete_token_hash, suite, summary, payload, size)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (row.id, row.created_at, row.delete_token_hash, row.suite, row.summary, row.payload, row.size),
            )

    def get_bench_run(self, run_id: str) -> BenchRunRow | None:
        with self.reading() as conn:
            found = conn.execute(
                "SELECT id, created_at, delete_token_hash, suite, summary, payload, size FROM bench_runs WHERE id = ?",
                (run_id,),
            ).fetchone()
        return BenchRunRow(*found) if found else None

    def delete_bench_run(self, run_id: str, delete_token_hash: str) -> bool:
        """Delete the run if its stored hash matches; True when a row went."""
        with self.transaction() as conn:
            cur = conn.execute(
                "DELETE FROM bench_runs WHERE id = ? AND delete_token_hash = ?", (run_id, delete_token_hash)
            )
            return cur.rowcount == 1

    def count_bench_runs(self) -> int:
        with self.reading() as conn:
            return int(conn.execute("SELECT count(*) FROM bench_runs").fetchone()[0])
