"""Fetch the pinned Pyodide npm package into seedui/sandbox/vendor/pyodide/.

    python -m seedui.sandbox.fetch [--dest DIR] [--force] [--no-snapshot]

Uses ``npm pack`` (Node.js/npm must be installed), checks the tarball against
the integrity pinned in ``seedui.sandbox.PYODIDE_INTEGRITY`` and extracts only
the files the browser needs (~13 MB). Then, where Playwright and Chromium are
installed, it builds a memory snapshot of a freshly started interpreter
(``snapshot.bin.gz``, ~6 MB; see ``seedui.sandbox.snapshot``) that lets
browsers start Python several times faster; without it they start normally.
Without this copy the app still works online: browsers load the same Pyodide
version from the CDN.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from seedui.sandbox import (
    PYODIDE_FILES,
    PYODIDE_INTEGRITY,
    PYODIDE_VERSION,
    SNAPSHOT_FILE,
    VENDOR_PYODIDE_DIR,
    local_pyodide,
)


class FetchError(RuntimeError):
    pass


def _integrity(path: Path) -> str:
    algo, _, _ = PYODIDE_INTEGRITY.partition("-")
    digest = hashlib.new(algo, path.read_bytes()).digest()
    return f"{algo}-{base64.b64encode(digest).decode()}"


def _try_snapshot(folder: Path) -> None:
    from seedui.sandbox import snapshot

    try:
        snapshot.build(folder)
    except (snapshot.SnapshotError, OSError) as exc:
        print(f"note: no start-up snapshot ({exc}); Python still works, it only starts slower", file=sys.stderr)


def fetch(dest: Path = VENDOR_PYODIDE_DIR, *, force: bool = False, snapshot: bool = True) -> Path:
    """Install the pinned Pyodide into ``dest`` (and its snapshot); a no-op when it is already there."""
    if not force and local_pyodide(dest):
        if snapshot and not (dest / SNAPSHOT_FILE).is_file():
            _try_snapshot(dest)
        return dest
    npm = shutil.which("npm")
    if npm is None:
        raise FetchError("npm not found: install Node.js and npm, or let browsers use the Pyodide CDN")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        tmp_path = Path(tmp)
        proc = subprocess.run(
            [npm, "pack", f"pyodide@{PYODIDE_VERSION}", "--pack-destination", tmp, "--silent"],
            capture_output=True,
            text=True,
            check=False,
        )
        tarballs = list(tmp_path.glob("pyodide-*.tgz"))
        if proc.returncode != 0 or len(tarballs) != 1:
            raise FetchError(f"npm pack pyodide@{PYODIDE_VERSION} failed: {proc.stderr.strip() or proc.stdout.strip()}")
        got = _integrity(tarballs[0])
        if got != PYODIDE_INTEGRITY:
            raise FetchError(f"pyodide tarball integrity mismatch: got {got}, expected {PYODIDE_INTEGRITY}")
        staging = tmp_path / "pyodide"
        staging.mkdir()
        with tarfile.open(tarballs[0], "r:gz") as tar:
            for name in PYODIDE_FILES:
                member = tar.getmember(f"package/{name}")
                source = tar.extractfile(member)
                if source is None:
                    raise FetchError(f"package/{name} is not a file in the tarball")
                with source, open(staging / name, "wb") as out:
                    shutil.copyfileobj(source, out)
        if local_pyodide(staging) is None:
            raise FetchError("the extracted package is incomplete or of another version")
        if snapshot:
            _try_snapshot(staging)
        if dest.exists():
            shutil.rmtree(dest)
        staging.rename(dest)
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=VENDOR_PYODIDE_DIR, help="target folder (default: %(default)s)")
    parser.add_argument("--force", action="store_true", help="fetch again even if a copy is there")
    parser.add_argument("--no-snapshot", action="store_true", help="do not build the start-up snapshot")
    args = parser.parse_args(argv)
    try:
        path = fetch(args.dest, force=args.force, snapshot=not args.no_snapshot)
    except FetchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Pyodide {PYODIDE_VERSION} in {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
