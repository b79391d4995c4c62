"""Child process for the durability test: writes shares until it is killed.

    python tests/share_writer.py DB_PATH START THREADS

Each thread takes the next counter value n (from START), creates the share
`make_comparison(n)` and, only after `create` returned, prints "n id" on one
line (flushed). The test kills this process with SIGKILL and then checks that
every printed id is in the database with exactly this payload.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seedui.shares import ShareService  # noqa: E402
from seedui.store import Store  # noqa: E402


def make_comparison(n: int) -> dict:
    """A comparison derived from n alone; sizes vary so writes span pages."""
    size = (n * 7919) % 40_000
    line = f"x_{n} = {n}  # é ✓\n"
    body = line * (size // len(line) + 1)
    return {
        "prompt": f"Write function number {n}.\n```python\ndef f{n}():\n```",
        "settings": {"temperature": round((n % 20) / 10, 1), "max_tokens": 64 + n % 512},
        "lanes": {
            "base": {"text": f"```python\n{body}```\n", "reasoning": "", "stats": {"n": n}, "error": None},
            "instruct": {"text": f"answer {n}", "reasoning": f"thinking about {n}", "stats": {}, "error": None},
        },
        "meta": {"app_version": "test", "models": {"base": f"model-{n % 3}"}},
    }


def write_until_killed(start: int, threads: int, write: Callable[[int], str]) -> None:
    """`threads` threads each take the next n (from `start`), call `write(n)` and, once it returned, print
    "n id" (its result) on one line, flushed; until the process is killed. A failure exits with status 1."""
    counter = itertools.count(start)
    lock = threading.Lock()

    def work() -> None:
        try:
            while True:
                with lock:
                    n = next(counter)
                written_id = write(n)
                with lock:
                    sys.stdout.write(f"{n} {written_id}\n")
                    sys.stdout.flush()
        except BaseException:
            traceback.print_exc()
            sys.stderr.flush()
            os._exit(1)  # a failed writer must not look like a killed one

    workers = [threading.Thread(target=work, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def main() -> None:
    db_path, start, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    service = ShareService(Store(db_path), base_url=None, rate_per_minute=10**9)
    write_until_killed(start, threads, lambda n: service.create(make_comparison(n), client_id="writer")["id"])


if __name__ == "__main__":
    main()
