"""Start and supervise the model servers of lanes with `engine: vllm` or `engine: llamacpp` and no `base_url`.

One server per distinct model, shared by the lanes naming it; lanes stream
from it through the `openai_http` engine. The parts, one job each:

- `supervisor`: the servers of an app, made from config and closed together;
- `server`: one server's life, whatever the program: spawn, /health wait with
  progress, restarts with back-off, the status the page shows;
- `vllm`, `llamacpp`: what differs per program (`ServerKind`): the command
  line, the model file, sleep mode in place or by stopping (llama.cpp's
  server is built and found by `seedui.llamacpp_build`);
- `procgroup`: a child in its own process group, stopped as a whole (SIGTERM,
  then SIGKILL after a grace period), reaped; the atexit and parent-death backups;
- `swap`: servers taking turns on memory too small for all of them;
- `ports`, `logtail`: a free local port; a log's last lines.

All of it runs on the event loop that serves requests (see docs/architecture.md).
"""

from seedui.engines.servers.server import ManagedServer, ServerSpec
from seedui.engines.servers.supervisor import ServerSupervisor, is_managed

__all__ = ["ManagedServer", "ServerSpec", "ServerSupervisor", "is_managed"]
