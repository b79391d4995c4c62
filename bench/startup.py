"""Start-up: process start -> HTTP 200 on the page -> every lane ready -> first token of a first request."""

from __future__ import annotations

import time
from typing import Any

from bench.server import AppProcess
from bench.stream import client_for


def model_cache_state() -> str:
    """'warm' when the embedded model's converted safetensors copy already exists (the usual case after a first run)."""
    from seedui.config import load_config
    from seedui.weights import CONVERTED_MARKER

    config = load_config(profile="tiny", environ={})
    models = {lane.model for lane in config.lanes.values()}
    ready = all((config.cache_dir / "models" / m.replace("/", "--") / CONVERTED_MARKER).is_file() for m in models)
    return "warm" if ready else "cold (first run converts the GGUF once)"


def startup(app: AppProcess) -> dict[str, Any]:
    """Measure on a process that `app.start()` has just launched."""
    cache = model_cache_state()
    http_200 = app.wait_http_200()
    ready = app.wait_ready()
    client = client_for(app.url)
    job = client.submit("base", "def add(a, b):\n", {"max_tokens": 4, "temperature": 0}, api_name="/generate")
    first_token = None
    for out in job:
        if out["text"]:
            first_token = time.perf_counter() - app.started_at
            break
    job.result()
    return {
        "definition": "seconds from spawning `python app.py --profile tiny` to: the page's first HTTP 200; "
        "every lane ready (/lanes); the first token of a /generate sent as soon as the lanes were ready",
        "model_cache": cache,
        "http_200_s": round(http_200, 2),
        "lanes_ready_s": round(ready, 2),
        "first_token_s": round(first_token, 2) if first_token is not None else None,
    }
