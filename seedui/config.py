"""Configuration: lanes and profiles as data, merged from several sources.

Order (later wins): built-in profile -> --config file (YAML/TOML) -> SEEDUI_*
environment variables -> CLI flags. Every source is reduced to dotted keys
(`lanes.instruct.base_url`) so that a validation error can name the source
and key that caused it.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import re
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from seedui.errors import ConfigError, describe_validation_error
from seedui.paths import DEFAULT_CACHE_DIR
from seedui.sampling import SamplingSettings
from seedui.sandbox import DEFAULT_CDN_URL, DEFAULT_TIMEOUT_S
from seedui.server_options import LlamaCppOptions, VllmOptions

PROFILES_FILE = Path(__file__).with_name("profiles.yaml")
ROLES = ("base", "instruct", "reasoning")
ENV_PREFIX = "SEEDUI_"
# An origin as a CSP source: scheme, host (a leading *. wildcard allowed), optional port; nothing else.
FRAME_SOURCE_RE = re.compile(r"https?://(\*\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?")


class FimConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    # SPM: suffix first (Seed-Coder); PSM: prefix first.
    order: Literal["spm", "psm"]
    prefix: str = Field(min_length=1)
    suffix: str = Field(min_length=1)
    middle: str = Field(min_length=1)


class LaneConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["base", "instruct", "reasoning"]
    display_name: str = Field(min_length=1)
    model: str = Field(min_length=1, description="HF id or local path")
    engine: Literal["transformers", "openai_http", "vllm", "llamacpp"]
    base_url: str | None = None
    api_key_env: str | None = None
    served_model_name: str | None = None
    context_length: int = Field(ge=16)
    fim: FimConfig | None = None
    stop: tuple[str, ...] = ()
    sampling: SamplingSettings = SamplingSettings()
    system_prompt: str | None = None
    think_tags: tuple[str, str] = ("<think>", "</think>")
    vllm: VllmOptions = VllmOptions()
    llamacpp: LlamaCppOptions = LlamaCppOptions()

    # The role is the one notion of how a lane behaves:
    #   base       plain completion and fill-in-the-middle; it does not chat
    #   instruct   chat through the model's own template, with a system prompt
    #   reasoning  chat with no system message (Seed-Coder-Reasoning's template rejects one); its
    #              thinking is split from the answer

    @property
    def chats(self) -> bool:
        return self.role != "base"

    @property
    def takes_system_prompt(self) -> bool:
        return self.role == "instruct"

    @property
    def thinks(self) -> bool:
        return self.role == "reasoning"

    @model_validator(mode="before")
    @classmethod
    def _no_prompt_style(cls, data: Any) -> Any:
        if isinstance(data, dict) and "prompt_style" in data:
            raise ValueError("prompt_style is gone: the lane's role (base, instruct or reasoning) decides its prompt")
        return data

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else value


class Limits(BaseModel):
    """Defaults protect a public Space; raise them for a private GPU box."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    concurrency: int = Field(4, ge=1, description="generation events run at once")
    max_queue: int = Field(32, ge=1, description="generations waiting before 'queue full' (page and API)")
    max_prompt_chars: int = Field(32_000, ge=1)
    max_prompt_tokens: int = Field(8_192, ge=1)
    max_total_tokens: int = Field(16_384, ge=1, description="max_tokens summed over a request's lanes")
    requests_per_minute: int = Field(30, ge=1, description="per client")
    shares_per_minute: int = Field(10, ge=1, description="shares saved per client")
    votes_per_minute: int = Field(10, ge=1, description="arena votes per client")
    lane_timeout_s: float = Field(120.0, gt=0, description="a lane silent this long is failed")
    # Bench runs send one request per problem and lane (492 for HumanEval on three lanes), so they are not
    # counted against requests_per_minute; these bound them instead (docs/architecture.md, "Bench").
    bench_concurrency: int = Field(12, ge=1, description="bench generations run at once, all clients")
    bench_in_flight: int = Field(12, ge=1, description="bench generations one client may have running")
    bench_per_hour: int = Field(2000, ge=1, description="bench generations per client per hour")


class AppConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    profile: str
    profile_reason: str = ""
    description: str = ""
    lanes: dict[str, LaneConfig]
    host: str | None = None
    port: int | None = Field(None, ge=1, le=65535)
    share: bool = False
    cache_dir: Path = DEFAULT_CACHE_DIR
    db_path: Path | None = None
    pyodide_cdn: str = DEFAULT_CDN_URL
    pyodide_dir: Path | None = None
    run_timeout_s: float = Field(DEFAULT_TIMEOUT_S, gt=0, le=600)
    vllm_command: tuple[str, ...] = ("vllm", "serve")
    vllm_startup_timeout_s: float = Field(900.0, gt=0)
    # llama.cpp's server: a path or a command name; None: the one scripts/install.sh built, else `llama-server`
    # on PATH.
    llama_server: str | None = None
    llamacpp_startup_timeout_s: float = Field(300.0, gt=0, description="spawn to healthy (downloads not counted)")
    limits: Limits = Limits()
    # Who may tell us a client's address (X-Forwarded-For), for per-client limits: "auto" (a proxy on
    # this host; on a Hugging Face Space, also its private ingress), a number of proxy hops, or networks.
    trusted_proxies: Literal["auto"] | int | tuple[str, ...] = "auto"
    # Which sites may embed the page in a frame (CSP frame-ancestors): this one and a Space's own pages.
    frame_ancestors: tuple[str, ...] = ("'self'", "https://huggingface.co", "https://*.hf.space")

    @field_validator("trusted_proxies", "frame_ancestors", mode="before")
    @classmethod
    def _words(cls, value: Any) -> Any:
        # From an environment variable these come as one string: "10.0.0.0/8, 192.168.0.0/16" or "self https://x".
        if isinstance(value, str) and value != "auto":
            return tuple(w for w in re.split(r"[\s,]+", value) if w)
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: Any) -> Any:
        if isinstance(value, int) and value < 0:
            raise ValueError("a number of proxy hops must be 0 or more")
        if isinstance(value, tuple):
            for item in value:
                try:
                    ipaddress.ip_network(item, strict=False)
                except ValueError:
                    raise ValueError(f"{item!r} is not an IP address or network (e.g. 10.0.0.0/8)") from None
        return value

    @field_validator("frame_ancestors")
    @classmethod
    def _ancestors(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        value = tuple(f"'{s}'" if s in ("self", "none") else s for s in value)
        for source in value:
            if source not in ("'self'", "'none'") and not FRAME_SOURCE_RE.fullmatch(source):
                raise ValueError(
                    f"{source!r} is not a frame-ancestors source: use 'self', 'none' or an origin "
                    "such as https://example.org or https://*.example.org"
                )
        return value

    @field_validator("lanes")
    @classmethod
    def _lanes(cls, lanes: dict[str, LaneConfig]) -> dict[str, LaneConfig]:
        if not lanes:
            raise ValueError("at least one lane is needed")
        for name in lanes:
            if not name.isidentifier():
                raise ValueError(f"lane name {name!r} must be a simple identifier")
        return lanes

    def resolved_db_path(self) -> Path:
        if self.db_path:
            return self.db_path
        # A Space's persistent storage is mounted at /data when enabled.
        if Path("/data").is_dir() and os.access("/data", os.W_OK):
            return Path("/data/seedui.sqlite3")
        return self.cache_dir / "seedui.sqlite3"


# --- sources -------------------------------------------------------------------


@dataclass
class Overrides:
    """Dotted key -> value, with where each came from (for error messages)."""

    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def add(self, key: str, value: Any, source: str) -> None:
        self.values[key] = value
        self.sources[key] = source


def builtin_profiles() -> dict[str, dict[str, Any]]:
    return yaml.safe_load(PROFILES_FILE.read_text())


def read_config_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"config file {path}: not found")
    text = path.read_text()
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"config file {path}: cannot parse: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path}: the top level must be a mapping")
    return data


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"lanes": {"base": {"model": x}}} -> {"lanes.base.model": x}. Lists stay whole."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flatten(value, path + "."))
        else:
            out[path] = value
    return out


def env_overrides(environ: dict[str, str]) -> Overrides:
    """SEEDUI_PORT=8000, SEEDUI_LANES__INSTRUCT__BASE_URL=... (`__` nests)."""
    ov = Overrides()
    for name, raw in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX) or name in ("SEEDUI_PROFILE", "SEEDUI_CONFIG"):
            continue
        key = name[len(ENV_PREFIX) :].lower().replace("__", ".")
        ov.add(key, parse_scalar(raw), f"environment variable {name}")
    return ov


def parse_scalar(raw: str) -> Any:
    """Values from env/CLI are YAML scalars: 8000 -> int, true -> bool, [a, b] -> list."""
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError:
        return raw


def set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    node = data
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    if value is None and parts[0] == "lanes" and len(parts) == 2:
        node.pop(parts[-1], None)  # `lanes.base: null` removes a lane
    else:
        node[parts[-1]] = value


# --- profile choice -------------------------------------------------------------


# Three Seed-Coder-8B servers at once need ~0.29 + 0.29 + 0.32 of an 80 GB card: ~16.5 GB of bf16 weights
# each, plus activations and KV cache. A card reporting less than this cannot hold them side by side.
SEED_CODER_MIN_GPU_GIB = 75.0
# The real models without a GPU: asked for, never picked (a 14 GB download and ~5.5 GB of RAM a lane).
GGUF_HINT = "the real Seed-Coder-8B runs on the CPU with --profile seed-coder-gguf (4-bit, ~5.5 GB of RAM a lane)"


@dataclass(frozen=True)
class GpuFacts:
    """What `auto` looks at: whether vLLM is installed, and each CUDA GPU's memory in GiB."""

    has_vllm: bool
    gpus_gib: tuple[float, ...] = ()
    names: tuple[str, ...] = ()


def detect_gpus() -> GpuFacts:
    has_vllm = importlib.util.find_spec("vllm") is not None or shutil.which("vllm") is not None
    gpus: list[float] = []
    names: list[str] = []
    try:
        import torch

        if torch.cuda.is_available():
            for index in range(torch.cuda.device_count()):
                props = torch.cuda.get_device_properties(index)
                gpus.append(props.total_memory / 2**30)
                names.append(props.name)
    except ImportError:
        pass
    return GpuFacts(has_vllm, tuple(gpus), tuple(names))


def choose_profile(facts: GpuFacts) -> tuple[str, str]:
    """(profile, why) for `auto`: the real models only where they can start, else the stand-in and what would fit."""
    if not facts.gpus_gib or not facts.has_vllm:
        missing = [what for what, ok in (("a CUDA GPU", bool(facts.gpus_gib)), ("vLLM", facts.has_vllm)) if not ok]
        return "tiny", f"{' and '.join(missing)} not found, so the small CPU stand-in runs; {GGUF_HINT}"
    largest = max(facts.gpus_gib)
    found = f"{len(facts.gpus_gib)} GPU{'s' if len(facts.gpus_gib) > 1 else ''} ({_gpu_list(facts)})"
    if largest >= SEED_CODER_MIN_GPU_GIB:
        return "seed-coder", f"vLLM and {found} were found, enough for the three Seed-Coder-8B lanes at once"
    need = f"the three Seed-Coder-8B lanes at once need one GPU of ~{SEED_CODER_MIN_GPU_GIB:.0f} GiB"
    count = len(facts.gpus_gib)
    if count in (2, 4, 8) and sum(facts.gpus_gib) >= SEED_CODER_MIN_GPU_GIB:
        fits = (
            f"start with --config examples/configs/seed-coder-multi-gpu.yaml (tensor parallel over the {count} GPUs; "
            f"set --tensor-parallel-size to {count} in it)"
        )
    elif largest >= 22:
        fits = "start with --config examples/configs/seed-coder-24gb.yaml (the lanes take turns with vLLM's sleep mode)"
    else:
        fits = "point the lanes at a larger vLLM server (examples/configs/remote-cluster.yaml)"
    why = f"found {found}, but {need}: the small CPU stand-in runs instead; for Seed-Coder, {fits}"
    return "tiny", f"{why}; or {GGUF_HINT}"


def _gpu_list(facts: GpuFacts) -> str:
    parts = [
        f"{name} {gib:.0f} GiB" if name else f"{gib:.0f} GiB"
        for name, gib in zip(facts.names or ("",) * len(facts.gpus_gib), facts.gpus_gib, strict=True)
    ]
    return ", ".join(parts)


def load_config(
    profile: str | None = None,
    config_file: Path | None = None,
    cli: Overrides | None = None,
    environ: dict[str, str] | None = None,
) -> AppConfig:
    environ = dict(os.environ if environ is None else environ)
    profiles = builtin_profiles()
    file_data: dict[str, Any] = {}
    config_file = config_file or (Path(environ["SEEDUI_CONFIG"]) if environ.get("SEEDUI_CONFIG") else None)
    if config_file:
        file_data = read_config_file(config_file)

    name = profile or environ.get("SEEDUI_PROFILE") or file_data.pop("profile", None) or "auto"
    file_data.pop("profile", None)
    if name == "auto":
        name, why = choose_profile(detect_gpus())
        reason = f"auto-selected: {why}"
    else:
        reason = "chosen in configuration"
    if name not in profiles:
        raise ConfigError(f"unknown profile {name!r}; built-in profiles: {', '.join(profiles)}")

    base = profiles[name]
    data: dict[str, Any] = {
        "profile": name,
        "profile_reason": reason,
        "description": base.get("description", ""),
        "lanes": {k: dict(v) for k, v in base["lanes"].items()},
    }
    sources: dict[str, str] = {}
    file_layer = Overrides()
    for key, value in flatten(file_data).items():
        file_layer.add(key, value, f"config file {config_file}")
    layers = [file_layer, env_overrides(environ)]
    if cli:
        layers.append(cli)
    for layer in layers:
        for key, value in layer.values.items():
            set_dotted(data, key, value)
            sources[key] = layer.sources.get(key, "configuration")
    try:
        return AppConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_config_error(exc, sources)) from None


def describe_config_error(exc: ValidationError, sources: dict[str, str]) -> str:
    def source(key: str) -> str:
        # The longest source key that is a prefix of (or under) the failing key.
        for src_key in sorted(sources, key=len, reverse=True):
            if key == src_key or key.startswith(src_key + ".") or src_key.startswith(key + "."):
                return f"  {sources[src_key]}: "
        return "  built-in profile: "

    problems = describe_validation_error(exc, prefix=source, limit=20, separator="\n")
    return "invalid configuration:\n" + problems
