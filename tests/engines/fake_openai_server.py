"""A STAND-IN for an OpenAI-compatible server, for request-body and error checks only.

It speaks just enough of the OpenAI HTTP/SSE protocol (chat and completion
streams, /v1/models, vLLM's /tokenize and /health) to record exactly what an
engine sends and to play back scripted answers, errors, hangs and dropped
connections. It generates nothing: tests of real behaviour (seeds, stop
strings, usage, crashes) run against a real vLLM server in `tests/vllm/`.

In-process: `FakeServer()` runs in a thread. As a process
(`python fake_openai_server.py [--model M] --port P ...`) it stands in for the
`vllm` command in supervisor tests, ignoring the vLLM flags it does not know.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def sse_chunks(body: dict[str, Any], words: list[str], usage: bool, finish: str = "length") -> list[dict[str, Any]]:
    """The events a vLLM-like server sends for `words`, with running usage when asked."""
    chat = "messages" in body
    opts = body.get("stream_options") or {}
    continuous = bool(opts.get("continuous_usage_stats"))
    events = []
    if chat:
        events.append({"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]})
    for i, word in enumerate(words):
        last = i == len(words) - 1
        reason = finish if last else None
        if chat:
            choice = {"index": 0, "delta": {"content": word}, "finish_reason": reason}
        else:
            choice = {"index": 0, "text": word, "finish_reason": reason}
        event: dict[str, Any] = {"choices": [choice]}
        if continuous:
            event["usage"] = {"prompt_tokens": 7, "completion_tokens": i + 1, "total_tokens": 8 + i}
        events.append(event)
    if usage and opts.get("include_usage"):
        events.append(
            {
                "choices": [],
                "usage": {"prompt_tokens": 7, "completion_tokens": len(words), "total_tokens": 7 + len(words)},
            }
        )
    return events


class Handler(BaseHTTPRequestHandler):
    server: FakeHTTPServer
    protocol_version = "HTTP/1.1"  # chunked streams, as uvicorn sends them: a cut stream is detectable
    disable_nagle_algorithm = True  # small writes go out at once, as from uvicorn

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _json(self, status: int, data: Any) -> None:
        raw = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        self.server.record(self, None)
        if self.path == "/health":
            self._json(200, {})
        elif self.path == "/v1/models":
            self._json(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in self.server.models]})
        else:
            self._json(404, {"detail": "Not Found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        self.server.record(self, body)
        if self.path.startswith(("/sleep", "/wake_up")):
            if not self.server.dev_mode:  # as in vLLM: these routes exist only with VLLM_SERVER_DEV_MODE=1
                self._json(404, {"detail": "Not Found"})
                return
            self.server.sleeping = self.path.startswith("/sleep")
            self._json(200, {"status": "sleeping" if self.server.sleeping else "awake"})
            return
        if self.server.sleeping and self.path.startswith("/v1/"):
            self._json(500, {"error": {"message": "the engine is asleep", "code": 500}})
            return
        plan = self.server.plan
        if plan.get("hang_s"):
            time.sleep(plan["hang_s"])
        if self.path == "/tokenize":
            if not self.server.tokenize:
                self._json(404, {"detail": "Not Found"})
                return
            text = body.get("prompt") or json.dumps(body.get("messages"))
            self._json(200, {"count": len(text.split()), "tokens": [], "max_model_len": 2048})
            return
        if self.path not in ("/v1/chat/completions", "/v1/completions"):
            self._json(404, {"detail": "Not Found"})
            return
        if body.get("model") not in self.server.models:
            self._json(404, {"error": {"message": f"The model `{body.get('model')}` does not exist.", "code": 404}})
            return
        if "status" in plan:
            self._json(plan["status"], {"error": {"message": plan["message"], "type": "BadRequestError"}})
            return
        if self.server.answer is not None:  # a scripted answer per request (e.g. tests/evals/humaneval_double.py)
            events = sse_chunks(body, self.server.answer(body), True, "stop")
        else:
            events = plan.get("events") or sse_chunks(
                body, plan.get("words", ["Hello", " world"]), True, plan.get("finish", "length")
            )
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for i, event in enumerate(events):
                if plan.get("drop_after") is not None and i == plan["drop_after"]:
                    self.close_connection = True
                    self.connection.shutdown(2)  # the server "crashes" mid-answer
                    return
                self._chunk(f"data: {json.dumps(event)}\n\n".encode())
                time.sleep(plan.get("delay_s", 0))
            self._chunk(b"data: [DONE]\n\n")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            self.server.disconnected.set()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


class FakeHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int = 0, models: tuple[str, ...] = ("m",), tokenize: bool = True) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.models = list(models)
        self.tokenize = tokenize
        self.plan: dict[str, Any] = {}
        self.answer: Callable[[dict[str, Any]], list[str]] | None = None  # request body -> the words to stream
        self.sleeping = False
        dev = os.environ.get("VLLM_SERVER_DEV_MODE") == "1" and not os.environ.get("FAKE_OLD_VLLM")
        self.dev_mode = dev or __name__ != "__main__"
        self.requests: list[dict[str, Any]] = []
        self.disconnected = threading.Event()

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that hung up is no error here
            super().handle_error(request, client_address)

    def record(self, handler: Handler, body: Any) -> None:
        self.requests.append(
            {
                "method": handler.command,
                "path": handler.path,
                "body": body,
                "headers": {k.lower(): v for k, v in handler.headers.items()},
            }
        )


class FakeServer:
    """The stand-in, in a thread, on a free port."""

    def __init__(self, **kwargs: Any) -> None:
        self.httpd = FakeHTTPServer(**kwargs)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def posts(self) -> list[dict[str, Any]]:
        return [r for r in self.httpd.requests if r["method"] == "POST"]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def main() -> None:
    """Stand in for `vllm serve` in supervisor tests (flags it does not know are ignored)."""
    p = argparse.ArgumentParser()
    p.add_argument("positional", nargs="*")
    p.add_argument("--model")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--served-model-name")
    args, _ = p.parse_known_args()
    print(f"fake server: argv {sys.argv[1:]}", flush=True)
    if os.environ.get("FAKE_FAIL"):
        print("ValueError: the fake server was told to fail", flush=True)
        sys.exit(3)
    if os.environ.get("FAKE_CHILD"):  # like vLLM's engine core: a child in the same process group
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        print(f"fake server: child {child.pid}", flush=True)
    time.sleep(float(os.environ.get("FAKE_STARTUP_S", "0")))
    httpd = FakeHTTPServer(args.port, models=(args.served_model_name or args.model or args.positional[-1],))
    httpd.plan = json.loads(os.environ.get("FAKE_PLAN", "{}"))
    print("fake server: ready", flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
