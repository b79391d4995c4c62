"""SeedUI entry point: CLI/env -> config -> app -> launch.

python app.py                       # auto profile: Seed-Coder on a CUDA+vLLM host, else the tiny CPU stand-in
python app.py --profile tiny --port 7860
python app.py --profile seed-coder-gguf   # the real Seed-Coder-8B as 4-bit GGUF on the CPU (llama.cpp)
python app.py --config examples/configs/seed-coder-80gb.yaml
"""

from __future__ import annotations

# First, before anything can touch CUDA: on a ZeroGPU Space this imports `spaces`, which patches torch at import.
from seedui.engines import zerogpu  # isort: split

import argparse
import logging
import signal
import sys
from pathlib import Path

from seedui.config import Overrides, builtin_profiles, load_config, parse_scalar
from seedui.errors import ConfigError

EPILOG = """\
environment variables:
  SEEDUI_PROFILE, SEEDUI_CONFIG      same as --profile, --config
  SEEDUI_<KEY>=value                 any top-level setting, e.g. SEEDUI_PORT=7860, SEEDUI_SHARE=true
  SEEDUI_<A>__<B>__<C>=value         nested settings, e.g. SEEDUI_LANES__INSTRUCT__BASE_URL=http://gpu:8000/v1
                                     or SEEDUI_LIMITS__CONCURRENCY=8
  HF_TOKEN, HF_HUB_OFFLINE           used when a model is downloaded from the Hugging Face Hub

Precedence (later wins): built-in profile < --config file < SEEDUI_* variables < command-line flags.
Profiles: seed-coder (the three Seed-Coder-8B models on vLLM; needs a GPU), seed-coder-gguf (the same models
as 4-bit GGUF on llama.cpp: no GPU, ~5.5 GB of RAM a lane) and tiny (SmolLM2-135M on llama.cpp, a small
stand-in). The default, auto, picks seed-coder where CUDA and vLLM are present, else tiny.
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="app.py",
        description="SeedUI: Seed-Coder Base, Instruct and Reasoning side by side.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--profile", choices=["auto", *builtin_profiles()], help="which built-in lanes to run (default: auto)"
    )
    p.add_argument("--config", type=Path, metavar="FILE", help="YAML or TOML file merged over the profile")
    p.add_argument("--host", help="address to listen on (default 127.0.0.1; 0.0.0.0 to serve a network)")
    p.add_argument("--port", type=int, help="port to listen on (default: 7860 or the next free one)")
    p.add_argument("--share", action="store_true", default=None, help="ask Gradio for a public tunnel link")
    p.add_argument("--cache-dir", type=Path, help="where converted models and the database live")
    p.add_argument(
        "--db", type=Path, help="SQLite file for shares, votes and bench runs (default: /data on a Space, else cache)"
    )
    p.add_argument("--pyodide-dir", type=Path, help="local copy of Pyodide to serve (default: the fetched npm copy)")
    p.add_argument("--run-timeout", type=float, help="time limit in seconds for code run in the browser (default 10)")
    p.add_argument(
        "--vllm-command",
        help="command that starts vLLM, e.g. '/opt/vllm/bin/python -m vllm.entrypoints.openai.api_server'",
    )
    p.add_argument("--llama-server", help="llama.cpp's server to run (default: the one scripts/install.sh built)")
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE",
        help="any setting by dotted key, e.g. --set lanes.instruct.sampling.temperature=0.2 (repeatable)",
    )  # fmt: skip
    p.add_argument("--log-level", default="INFO", help="logging level (default INFO)")
    return p.parse_args(argv)


def cli_overrides(args: argparse.Namespace) -> Overrides:
    ov = Overrides()
    flags = {
        "host": args.host, "port": args.port, "share": args.share, "cache_dir": args.cache_dir, "db_path": args.db,
        "pyodide_dir": args.pyodide_dir, "run_timeout_s": args.run_timeout,
        "vllm_command": args.vllm_command.split() if args.vllm_command else None, "llama_server": args.llama_server,
    }  # fmt: skip
    for key, value in flags.items():
        if value is not None:
            ov.add(key, str(value) if isinstance(value, Path) else value, f"--{key.replace('_', '-')}")
    for item in args.set:
        key, sep, raw = item.partition("=")
        if not sep:
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE")
        ov.add(key.strip(), parse_scalar(raw), f"--set {key.strip()}")
    return ov


# SIGTERM (docker stop, a Space restart) and SIGHUP (the terminal closed) take the same path as Ctrl-C.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def stop_on_signals() -> None:
    """The process's signal handlers: only here, in the entry point (the engines install none)."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    for sig in STOP_SIGNALS:
        signal.signal(sig, interrupt)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = load_config(profile=args.profile, config_file=args.config, cli=cli_overrides(args))
    except ConfigError as exc:
        print(f"seedui: {exc}", file=sys.stderr)
        return 2
    if zerogpu.ON_ZEROGPU:  # on the main thread and before launch, where ZeroGPU needs the models placed
        zerogpu.PLACED.place(config)
    from seedui.webapp import build_app  # heavy imports after the config is known to be good

    app = build_app(config)
    stop_on_signals()
    try:
        app.launch()  # serves until interrupted
    except KeyboardInterrupt:
        pass
    finally:
        for sig in STOP_SIGNALS:  # a repeated SIGTERM must not cut the clean shutdown short (Ctrl-C still can)
            signal.signal(sig, signal.SIG_IGN)
        app.close()  # stops serving; the engines and any vLLM servers stop with it
    return 0


if __name__ == "__main__":
    sys.exit(main())
