"""STAND-IN for a ZeroGPU Space around the REAL `spaces` package: runs SeedUI's app.py as the Space's process.

    python tests/engines/zerogpu_space.py [app.py arguments]

ZeroGPU cannot run here (no GPU, no ZeroGPU device API). What the `spaces` package (0.51.3) does inside the
Space's process is real: `@spaces.GPU` forks a worker for the GPU call, pickles the arguments and every yield,
stops the worker after its next yield when the caller closes the generator, asks the scheduler for `duration`
seconds with the visitor's token from the request's context, and hooks `Blocks.launch`. Two parts stand in:

- the ZeroGPU device API that the platform serves to a Space (`/schedule`, `/allow`, `/release`,
  `/startup-report`): a small HTTP server in this process that hands out GPU indexes as the platform does
  (a worker is reused when its GPU comes back idle) and writes each call as a JSON line to
  $ZEROGPU_STANDIN_LOG, with the time it came, for the tests to read;
- `spaces.zero.torch`, the package's CUDA layer (it emulates CUDA in the Space's process, packs what was
  placed on "cuda" at launch and moves it onto the worker's GPU; it needs a CUDA build of torch): no-ops,
  so the models stay on the CPU and `generate` runs there, in the worker.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import types
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

ROOT = Path(__file__).resolve().parents[2]

# The names `spaces/zero/torch/__init__.py` defines, which the rest of `spaces` calls (a test checks the list
# against the installed package, so the stand-in cannot drift from it unnoticed).
CUDA_LAYER = ("enter_mode", "patch", "unpatch", "pack", "init", "size", "move", "is_in_bad_fork")


def cuda_layer_standin() -> types.ModuleType:
    """STAND-IN for `spaces.zero.torch`: nothing is emulated, packed or moved (CPU torch, no GPU)."""
    layer = types.ModuleType("spaces.zero.torch", "STAND-IN for the CUDA layer of `spaces` (CPU: no-ops)")
    for name in CUDA_LAYER:
        setattr(layer, name, lambda *args, **kwargs: None)
    layer.pack = layer.size = lambda *args, **kwargs: 0  # bytes packed for the workers
    layer.is_in_bad_fork = lambda: False  # CUDA was never initialised
    return layer


class DeviceAPI(BaseHTTPRequestHandler):
    """STAND-IN for the ZeroGPU device API: every request is granted at once (no quota, no queue)."""

    log_path: Path | None = None
    lock = threading.Lock()
    gpus_in_use: dict[str, int] = {}  # allow token -> GPU index
    gpus_used: set[int] = set()
    calls = 0

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        url = urlsplit(self.path)
        params: dict[str, Any] = dict(parse_qsl(url.query))
        reply: dict[str, Any] | None = None
        with self.lock:
            DeviceAPI.calls += 1
            if url.path == "/schedule":
                index = min(set(range(16)) - set(self.gpus_in_use.values()))
                token = f"allow-{DeviceAPI.calls}"
                reply = {"idle": index in self.gpus_used, "nvidiaIndex": index, "nvidiaUUID": f"GPU-{index}",
                         "allowToken": token}  # fmt: skip
                self.gpus_in_use[token] = index
                self.gpus_used.add(index)
                params["gpu"] = index
            elif url.path == "/release":
                params["gpu"] = self.gpus_in_use.pop(params.get("allowToken", ""), None)
            if self.log_path is not None:
                with self.log_path.open("a") as log:
                    log.write(json.dumps({"t": time.time(), "path": url.path, **params}) + "\n")
        body = json.dumps(reply).encode() if reply is not None else b""
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


def install(log_path: str | None) -> None:
    """Stand in for the platform: before `spaces` is imported, as the Space's process starts."""
    assert "spaces" not in sys.modules, "install the stand-ins before `spaces` is imported"
    DeviceAPI.log_path = Path(log_path) if log_path else None
    server = ThreadingHTTPServer(("127.0.0.1", 0), DeviceAPI)
    threading.Thread(target=server.serve_forever, name="zerogpu-device-api", daemon=True).start()
    os.environ["SPACES_ZERO_GPU"] = "true"
    os.environ["SPACES_ZERO_DEVICE_API_URL"] = f"http://127.0.0.1:{server.server_port}"
    sys.modules["spaces.zero.torch"] = cuda_layer_standin()


if __name__ == "__main__":
    install(os.environ.get("ZEROGPU_STANDIN_LOG"))
    sys.path.insert(0, str(ROOT))
    import app

    sys.exit(app.main(sys.argv[1:]))
