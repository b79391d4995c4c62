"""The browser code (static/**/*.mjs): its files, and the version folder they are served under.

The version is a hash of the modules' contents, so a module's URL changes when any module does: browsers keep
them for good (``Cache-Control: immutable``; each new worker would otherwise ask the server again for every
module it imports), and a page never mixes the modules of two deploys. The hash is taken once per process:
editing the JavaScript needs a restart, as editing the Python does.
"""

from __future__ import annotations

import functools
import hashlib

from seedui.sandbox.settings import STATIC_DIR

# The folders of static/ that hold modules: where each runs (see docs/architecture.md, "The browser code").
FOLDERS = ("page", "runner", "worker", "shared")


@functools.cache
def modules() -> tuple[str, ...]:
    """The modules' paths in static/ ("page/main.mjs", ...)."""
    return tuple(
        sorted(p.relative_to(STATIC_DIR).as_posix() for folder in FOLDERS for p in (STATIC_DIR / folder).glob("*.mjs"))
    )


@functools.cache
def version_folder() -> str:
    """``v<hash>/``: the folder under the sandbox prefix that the modules are served from."""
    digest = hashlib.sha256()
    for name in modules():
        digest.update(name.encode() + b"\0" + (STATIC_DIR / name).read_bytes() + b"\0")
    return f"v{digest.hexdigest()[:12]}/"


def module_preloads(folders: tuple[str, ...], base: str) -> str:
    """<link rel="modulepreload"> for every module in ``folders``: the browser fetches them all at once instead
    of one level of imports after another (each level a round trip). ``base``: the sandbox folder's URL."""
    names = [name for name in modules() if name.split("/")[0] in folders]
    return "".join(f'<link rel="modulepreload" href="{base}{version_folder()}{name}">\n' for name in names)
