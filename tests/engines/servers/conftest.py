"""Fixtures for the llama.cpp tests: the server scripts/install.sh built, and GGUF files made from the tiny one."""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

import pytest

from seedui.llamacpp_build import LlamaServerUnusable, find_llama_server
from seedui.paths import DEFAULT_CACHE_DIR

# Seed-Coder's FIM markers, 14 bytes each, put in place of three of SmolLM2's own control tokens of that length.
SEED_CODER_FIM = {
    "<jupyter_text>": "<[fim-prefix]>",
    "<jupyter_code>": "<[fim-suffix]>",
    "<issue_closed>": "<[fim-middle]>",
}


@pytest.fixture(scope="session")
def llama_server() -> str:
    """The llama-server built for this CPU. Skipped when there is none, except where it is required (CI, test.sh)."""
    try:
        return find_llama_server(None, [DEFAULT_CACHE_DIR])
    except LlamaServerUnusable as exc:
        if os.environ.get("REQUIRE_LLAMA_SERVER") == "1" or os.environ.get("CI"):
            pytest.fail(f"llama-server is required here: {exc}")
        pytest.skip(str(exc))


def rename_tokens(src: Path, dest: Path, renames: dict[str, str]) -> None:
    """Copy a GGUF with some vocabulary entries renamed in place (same byte length, so nothing moves)."""
    data = bytearray(src.read_bytes())
    key = b"tokenizer.ggml.tokens"
    pos = data.find(struct.pack("<Q", len(key)) + key) + 8 + len(key)
    kind, item, count = struct.unpack_from("<IIQ", data, pos)
    assert (kind, item) == (9, 8), "tokenizer.ggml.tokens is not an array of strings"
    pos += 16
    left = dict(renames)
    for _ in range(count):
        (size,) = struct.unpack_from("<Q", data, pos)
        text = data[pos + 8 : pos + 8 + size].decode("utf-8", "replace")
        if text in left:
            new = left.pop(text).encode()
            assert len(new) == size, f"{text!r} and {new!r} differ in length"
            data[pos + 8 : pos + 8 + size] = new
        pos += 8 + size
    assert not left, f"tokens not found: {left}"
    dest.write_bytes(data)


@pytest.fixture(scope="session")
def seed_coder_fim_gguf(tiny_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny GGUF whose vocabulary holds Seed-Coder's FIM markers as control (special) tokens."""
    dest = tmp_path_factory.mktemp("gguf") / "tiny-with-seed-coder-fim.gguf"
    rename_tokens(tiny_gguf, dest, SEED_CODER_FIM)
    return dest


# Think tags of the lengths of two more of its control tokens (there are none of 7 and 8 bytes for <think>).
THINK_TAGS = ("<think_start>", "<think_finish>")


@pytest.fixture(scope="session")
def thinking_gguf(tiny_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny GGUF whose vocabulary holds THINK_TAGS as control (special) tokens, as a reasoning model's does."""
    dest = tmp_path_factory.mktemp("gguf") / "tiny-with-think-tokens.gguf"
    rename_tokens(tiny_gguf, dest, {"<issue_start>": THINK_TAGS[0], "<empty_output>": THINK_TAGS[1]})
    return dest


@pytest.fixture(scope="session")
def second_gguf(tiny_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the tiny GGUF under another path: a second model, so a second server."""
    dest = tmp_path_factory.mktemp("gguf") / "tiny-copy.gguf"
    shutil.copyfile(tiny_gguf, dest)
    return dest
