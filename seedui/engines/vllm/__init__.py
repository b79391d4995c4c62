"""Start and supervise `vllm serve` for the lanes with `engine: vllm` and no `base_url`.

One server per distinct model, shared by the lanes naming it; lanes stream
from it through the `openai_http` engine. The parts, one job each:

- `command`: the command line, the model path, a free local port;
- `procgroup`: a child in its own process group, stopped as a whole (SIGTERM,
  then SIGKILL after a grace period), reaped; the atexit and parent-death backups;
- `server`: one server's life: spawn, /health wait with progress, log tail,
  restarts with back-off, the status the page shows;
- `swap`: sleep mode, servers taking turns on a small GPU;
- `supervisor`: the servers of an app, made from config and closed together.

All of it runs on the event loop that serves requests (see docs/architecture.md).
"""

from seedui.engines.vllm.server import ServerSpec, VllmServer
from seedui.engines.vllm.supervisor import VllmSupervisor

__all__ = ["ServerSpec", "VllmServer", "VllmSupervisor"]
