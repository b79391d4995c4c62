"""axe-core (npm package `axe-core`, pinned, integrity-checked) for the accessibility tests.

    python -m tests.ui.axe        fetch it into tests/vendor/ (scripts/test.sh does)

`axe_source()` gives the script's text, fetching it first when it is missing
(npm must be installed); tests skip when it cannot be had.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

AXE_VERSION = "4.14.1"
# npm `dist.integrity` of axe-core@AXE_VERSION
AXE_INTEGRITY = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
AXE_FILE = Path(__file__).resolve().parent.parent / "vendor" / f"axe-core-{AXE_VERSION}" / "axe.min.js"


class AxeUnavailable(RuntimeError):
    pass


def fetch(dest: Path = AXE_FILE) -> Path:
    """`npm pack` the pinned axe-core, check its integrity, keep only axe.min.js; a no-op when it is there."""
    if dest.is_file():
        return dest
    npm = shutil.which("npm")
    if npm is None:
        raise AxeUnavailable("npm not found: install Node.js and npm to fetch axe-core")
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [npm, "pack", f"axe-core@{AXE_VERSION}", "--pack-destination", tmp, "--silent"],
            capture_output=True,
            text=True,
            check=False,
        )
        tarballs = list(Path(tmp).glob("axe-core-*.tgz"))
        if proc.returncode != 0 or len(tarballs) != 1:
            why = proc.stderr.strip() or proc.stdout.strip()
            raise AxeUnavailable(f"npm pack axe-core@{AXE_VERSION} failed: {why}")
        algo, _, expected = AXE_INTEGRITY.partition("-")
        got = base64.b64encode(hashlib.new(algo, tarballs[0].read_bytes()).digest()).decode()
        if got != expected:
            raise AxeUnavailable(f"axe-core tarball integrity mismatch: got {algo}-{got}")
        with tarfile.open(tarballs[0], "r:gz") as tar:
            source = tar.extractfile("package/axe.min.js")
            if source is None:
                raise AxeUnavailable("package/axe.min.js is not a file in the tarball")
            dest.parent.mkdir(parents=True, exist_ok=True)
            partial = dest.with_suffix(".part")
            partial.write_bytes(source.read())
            partial.replace(dest)
    return dest


def axe_source() -> str:
    return fetch().read_text(encoding="utf-8")


if __name__ == "__main__":
    try:
        print(f"axe-core {AXE_VERSION} in {fetch()}")
    except AxeUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
