"""Build a start-up snapshot of Pyodide in headless Chromium, on the server, once.

Starting Pyodide costs ~3 s of CPU on a small machine; restoring a memory
snapshot of a freshly started interpreter takes a fraction of that. The
snapshot must come from the kind of engine that restores it: one made by
Node.js (no WebAssembly stack switching) breaks ``asyncio.run`` in Chrome, so
it is made in Chromium, in a Web Worker like the one that restores it, from the
pinned, integrity-checked local copy. It holds no user code and nothing of this
machine (fixed environment, nothing mounted).

The runner only uses it in browsers whose stack-switching support (JSPI) is the
same as the maker's, checks it after restoring, and otherwise starts normally.

    python -m seedui.sandbox.snapshot [--dest DIR] [--chromium PATH]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from seedui.sandbox import (
    PYODIDE_FILES,
    PYODIDE_VERSION,
    SNAPSHOT_FILE,
    SNAPSHOT_META,
    SNAPSHOT_PRELOAD,
    VENDOR_PYODIDE_DIR,
    local_pyodide,
)

DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]

_MAKER_HTML = """<!doctype html><meta charset="utf-8"><title>working</title><script>
const src = `(async () => {
  try {
    const base = ${JSON.stringify(location.origin + "/pyodide/")};
    const { loadPyodide } = await import(base + "pyodide.mjs");
    const py = await loadPyodide({ indexURL: base, env: { HOME: "/home/pyodide" }, _makeSnapshot: true });
    py.runPython(PRELOAD);
    const data = py.makeMemorySnapshot();
    postMessage({ data, jspi: "Suspending" in WebAssembly }, [data.buffer]);
  } catch (e) {
    postMessage({ error: String((e && e.stack) || e) });
  }
})();`;
// A module worker: Pyodide takes the same path as in the runner's worker (static/worker/python.mjs).
const worker = new Worker(URL.createObjectURL(new Blob([src], { type: "text/javascript" })), { type: "module" });
worker.onmessage = async (event) => {
  const m = event.data;
  if (m.error) {
    await fetch("/error", { method: "POST", body: m.error });
    document.title = "error";
    return;
  }
  await fetch("/snapshot?jspi=" + (m.jspi ? 1 : 0), { method: "POST", body: m.data });
  document.title = "done";
};
</script>"""


class SnapshotError(RuntimeError):
    pass


def _server(folder: Path, received: dict) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/":
                page = _MAKER_HTML.replace("PRELOAD", json.dumps(SNAPSHOT_PRELOAD))
                self._send(200, page.encode(), "text/html; charset=utf-8")
                return
            name = self.path.removeprefix("/pyodide/")
            if name in PYODIDE_FILES:
                self._send(200, (folder / name).read_bytes(), PYODIDE_FILES[name])
            else:
                self._send(404, b"not found", "text/plain")

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path.startswith("/snapshot"):
                received["data"] = body
                received["jspi"] = self.path.endswith("jspi=1")
            else:
                received["error"] = body.decode("utf-8", "replace")
            self._send(200, b"ok", "text/plain")

    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


def build(folder: Path = VENDOR_PYODIDE_DIR, *, chromium: str = DEFAULT_CHROMIUM, timeout_s: float = 300) -> Path:
    """Write ``folder/snapshot.bin.gz`` and ``folder/snapshot.json``; needs Playwright and Chromium."""
    if local_pyodide(folder) is None:
        raise SnapshotError(f"no complete Pyodide {PYODIDE_VERSION} in {folder}")
    if not (shutil.which(chromium) or Path(chromium).exists()):
        raise SnapshotError(f"Chromium not found at {chromium}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise SnapshotError("the Python package playwright is not installed") from exc
    received: dict = {}
    server = _server(folder, received)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
                page.wait_for_function("document.title !== 'working'", timeout=timeout_s * 1000)
                version = browser.version
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
    if "data" not in received:
        raise SnapshotError(f"Chromium could not make the snapshot: {received.get('error', 'no answer')[-2000:]}")
    target = folder / SNAPSHOT_FILE
    partial = folder / (SNAPSHOT_FILE + ".part")
    with gzip.open(partial, "wb", compresslevel=6) as out:
        out.write(received["data"])
    meta = {"pyodide": PYODIDE_VERSION, "jspi": received["jspi"], "browser": f"Chromium {version}"}
    (folder / SNAPSHOT_META).write_text(json.dumps(meta) + "\n", encoding="utf-8")
    os.replace(partial, target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=VENDOR_PYODIDE_DIR, help="Pyodide folder (default: %(default)s)")
    parser.add_argument("--chromium", default=DEFAULT_CHROMIUM, help="Chromium binary (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        path = build(args.dest, chromium=args.chromium)
    except SnapshotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"snapshot in {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
