"""The tiny profile where llama.cpp's server cannot run: its lanes fall back to transformers and say why.

Real engines: the transformers engine on the tiny model, and the supervisor failing to find or start
llama-server for real reasons (a binary that is not there; a "server" that dies at start-up).
"""

from __future__ import annotations

import sys
from pathlib import Path

from seedui.config import Overrides, load_config
from seedui.engines.base import GenerationRequest
from seedui.engines.engine_set import build_engines
from seedui.engines.fallback import FallbackEngine
from seedui.sampling import SamplingSettings
from seedui.service import LaneService
from seedui.ui.layout import banner_html


def tiny(tmp_path: Path, llama_server: str):
    ov = Overrides()
    ov.add("llama_server", llama_server, "test")
    ov.add("db_path", str(tmp_path / "db.sqlite3"), "test")
    return load_config(profile="tiny", cli=ov, environ={})


def test_without_llama_server_the_lanes_run_on_transformers_and_say_so(tmp_path, loop):
    config = tiny(tmp_path, "/nonexistent/llama-server")
    es = build_engines(config)
    loop.run(es.start(), timeout=600)  # loading the model on a busy machine
    try:
        engines = es.engines
        assert all(isinstance(e, FallbackEngine) for e in engines.values())
        for engine in engines.values():
            status = engine.status
            assert status.state == "ready" and engine.name.startswith("transformers")
            assert status.notice.startswith("llama.cpp could not start (llama_server is set to '/nonexistent/")
            assert "runs on the transformers engine" in status.notice
        # One copy of the weights for the three lanes, as before.
        assert len({id(e.active._require().model) for e in engines.values()}) == 1
        request = GenerationRequest(SamplingSettings(max_tokens=4, temperature=0), prompt="def add(a, b):")

        async def run():
            return [c async for c in engines["base"].stream(request)]

        assert loop.run(run())[-1].finish_reason
        # The page says it, once, above the lanes.
        banner = banner_html(LaneService(config, es))
        assert banner.count('class="seedui-notice"') == 1 and "could not start" in banner
    finally:
        loop.run(es.close())


def test_a_server_that_dies_at_start_up_falls_back_too(tmp_path, loop):
    dies = tmp_path / "llama-server"
    dies.write_text(f"#!{sys.executable}\nimport os, signal\nos.kill(os.getpid(), signal.SIGILL)\n")
    dies.chmod(0o755)
    config = tiny(tmp_path, str(dies))
    es = build_engines(config)
    loop.run(es.start(), timeout=600)  # loading the model on a busy machine
    try:
        notice = es.engines["instruct"].status.notice
        assert "llama.cpp exited during start-up (killed by SIGILL: an instruction this CPU lacks" in notice
        assert es.engines["instruct"].status.state == "ready"
    finally:
        loop.run(es.close())


def test_what_to_install_is_said_when_nothing_is_built(tmp_path, loop, monkeypatch):
    import seedui.engines.servers.llamacpp as llamacpp
    from seedui.llamacpp_build import find_llama_server

    # The real lookup, over an empty cache and a PATH without llama-server.
    monkeypatch.setattr(llamacpp, "find_llama_server", lambda setting, _: find_llama_server(setting, [tmp_path]))
    monkeypatch.setenv("PATH", "/nonexistent")
    es = build_engines(load_config(profile="tiny", environ={}))
    loop.run(es.start(), timeout=600)
    try:
        notice = es.engines["base"].status.notice
        assert "llama.cpp's llama-server is not built: to build it, install a C/C++ compiler and cmake" in notice
        assert "then run scripts/install.sh again" in notice
    finally:
        loop.run(es.close())
