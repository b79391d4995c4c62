"""Every vote as JSON Lines, for the host: `python -m seedui.arena.export [--db FILE] [--out FILE]`.

One line per voted battle, oldest vote first: the battle id, when it started
and was voted on (unix seconds), the prompt, the settings, which model was on
each side (`model_a` is the one shown on the left) with its lane and engine,
both answers (text, reasoning, stats, error), the vote (`a`, `b`, `tie`,
`both_bad`) and the execution checks the voter ran, if any. The Leaderboard
tab's "Download votes" writes the same lines.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from seedui.arena import records
from seedui.store import Store


def lines(store: Store) -> Iterator[str]:
    for battle in records.voted_battles(store):
        yield records.to_json(battle) + "\n"


def write(store: Store, out: TextIO) -> int:
    """Write every vote to `out`; return how many."""
    count = 0
    for line in lines(store):
        out.write(line)
        count += 1
    return count


def write_file(store: Store, folder: Path) -> Path:
    """The votes in a new file in `folder` (for a download), named for how many it holds."""
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=folder, suffix=".part", delete=False) as out:
        count = write(store, out)
    path = folder / f"seedui-votes-{count}.jsonl"
    Path(out.name).replace(path)  # whole or absent: a download never gets half a file
    return path


def default_db() -> Path:
    """The app's database as it would find it (SEEDUI_DB_PATH, SEEDUI_CONFIG, /data on a Space, else the cache)."""
    from seedui.config import load_config

    return load_config(profile="tiny").resolved_db_path()  # the database's place does not depend on the profile


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m seedui.arena.export", description=__doc__.split("\n\n")[0])
    p.add_argument("--db", type=Path, help="the SQLite file (default: where the app keeps it)")
    p.add_argument("--out", type=Path, help="the JSONL file to write (default: standard output)")
    args = p.parse_args(argv)
    db = args.db or default_db()
    if not db.is_file():
        print(f"no database at {db}: give the app's file with --db", file=sys.stderr)
        return 2
    with Store(db) as store:
        if args.out is None:
            count = write(store, sys.stdout)
        else:
            with args.out.open("w", encoding="utf-8") as out:
                count = write(store, out)
    print(f"{count} votes written to {args.out or 'standard output'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
