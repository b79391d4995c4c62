"""Config: profiles as data, overrides from file/env/CLI, clear errors naming source and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from seedui.config import ROLES, GpuFacts, Overrides, builtin_profiles, choose_profile, env_overrides, load_config
from seedui.errors import ConfigError

SEED_IDS = {f"ByteDance-Seed/Seed-Coder-8B-{kind}" for kind in ("Base", "Instruct", "Reasoning")}


def test_seed_coder_profile_holds_the_three_models_with_right_formats():
    cfg = load_config(profile="seed-coder", environ={})
    assert {lane.model for lane in cfg.lanes.values()} == SEED_IDS
    assert {lane.role for lane in cfg.lanes.values()} == set(ROLES)
    base, instruct, reasoning = cfg.lanes["base"], cfg.lanes["instruct"], cfg.lanes["reasoning"]
    assert not base.chats and base.engine == "vllm"
    assert (base.fim.order, base.fim.suffix, base.fim.prefix, base.fim.middle) == (
        "spm", "<[fim-suffix]>", "<[fim-prefix]>", "<[fim-middle]>",
    )  # fmt: skip
    assert instruct.sampling.set_values() == {
        "temperature": 0.6, "top_p": 0.8, "repetition_penalty": 1.05, "max_tokens": 512,
    }  # fmt: skip
    assert reasoning.thinks and not reasoning.takes_system_prompt and reasoning.system_prompt is None


def test_tiny_profile_is_llamacpp_falling_back_to_transformers_without_fim():
    cfg = load_config(profile="tiny", environ={})
    assert all(lane.engine == "llamacpp" and lane.fim is None for lane in cfg.lanes.values())
    assert all(lane.llamacpp.fallback == "transformers" for lane in cfg.lanes.values())
    assert len({(lane.model, lane.llamacpp, lane.context_length) for lane in cfg.lanes.values()}) == 1  # one server


def test_seed_coder_gguf_profile_names_its_files_as_data():
    cfg = load_config(profile="seed-coder-gguf", environ={})
    assert [lane.role for lane in cfg.lanes.values()] == ["base", "instruct", "reasoning"]
    for lane in cfg.lanes.values():
        assert lane.engine == "llamacpp" and lane.llamacpp.fallback is None  # no 135M stand-in in their place
        assert lane.llamacpp.gguf is not None and lane.llamacpp.gguf.file.endswith(".gguf")
        assert "Seed-Coder-8B" in lane.llamacpp.gguf.file
    assert cfg.lanes["base"].fim is not None and cfg.lanes["base"].fim.order == "spm"


def test_auto_profile_says_why(monkeypatch):
    monkeypatch.setattr("seedui.config.detect_gpus", lambda: GpuFacts(has_vllm=False))
    cfg = load_config(environ={})
    assert cfg.profile == "tiny" and "auto-selected" in cfg.profile_reason and "CUDA" in cfg.profile_reason
    monkeypatch.setattr("seedui.config.detect_gpus", lambda: GpuFacts(True, (79.2,), ("NVIDIA A100-SXM4-80GB",)))
    cfg = load_config(environ={})
    assert cfg.profile == "seed-coder" and "NVIDIA A100-SXM4-80GB 79 GiB" in cfg.profile_reason


@pytest.mark.parametrize(
    ("facts", "profile", "words"),
    [
        (GpuFacts(False), "tiny", ["a CUDA GPU and vLLM not found", "--profile seed-coder-gguf"]),
        (GpuFacts(True), "tiny", ["a CUDA GPU not found"]),
        (GpuFacts(False, (79.2,)), "tiny", ["vLLM not found"]),
        (GpuFacts(True, (79.2,), ("H100 80GB",)), "seed-coder", ["H100 80GB 79 GiB", "three Seed-Coder-8B lanes"]),
        (GpuFacts(True, (139.8,)), "seed-coder", ["140 GiB"]),
        (GpuFacts(True, (22.5,), ("NVIDIA L4",)), "tiny", ["NVIDIA L4 22 GiB", "~75 GiB", "seed-coder-24gb.yaml"]),
        (GpuFacts(True, (44.4,), ("L40S",)), "tiny", ["seed-coder-24gb.yaml", "sleep mode"]),
        (GpuFacts(True, (22.5,) * 4), "tiny", ["4 GPUs", "seed-coder-multi-gpu.yaml", "--tensor-parallel-size to 4"]),
        (GpuFacts(True, (44.4, 44.4)), "tiny", ["2 GPUs", "seed-coder-multi-gpu.yaml"]),
        (GpuFacts(True, (22.5,) * 3), "tiny", ["3 GPUs", "seed-coder-24gb.yaml"]),  # TP must divide 8 KV heads
        (GpuFacts(True, (15.7,)), "tiny", ["remote-cluster.yaml", "--profile seed-coder-gguf"]),
    ],
)
def test_auto_picks_seed_coder_only_where_the_gpu_holds_it(facts, profile, words):
    chosen, why = choose_profile(facts)
    assert chosen == profile
    for word in words:
        assert word in why


def test_yaml_file_env_and_cli_merge_in_order(tmp_path: Path):
    f = tmp_path / "c.yaml"
    f.write_text("profile: tiny\nport: 7000\nlanes:\n  instruct:\n    sampling: {temperature: 0.1}\n")
    cli = Overrides()
    cli.add("port", 9000, "--port")
    env = {"SEEDUI_PORT": "8000", "SEEDUI_LANES__INSTRUCT__SAMPLING__TOP_P": "0.5"}
    cfg = load_config(config_file=f, cli=cli, environ=env)
    assert cfg.port == 9000  # CLI beats env beats file
    assert cfg.lanes["instruct"].sampling.temperature == 0.1  # file merged key by key...
    assert cfg.lanes["instruct"].sampling.top_p == 0.5  # ...with env on top
    assert cfg.lanes["instruct"].sampling.max_tokens == 128  # the profile's value kept
    assert load_config(config_file=f, environ=env).port == 8000


def test_toml_file_and_lane_removal(tmp_path: Path):
    f = tmp_path / "c.toml"
    f.write_text('profile = "tiny"\n[lanes.instruct]\nbase_url = "http://gpu:8000/v1/"\nengine = "openai_http"\n')
    cfg = load_config(config_file=f, environ={})
    assert cfg.lanes["instruct"].base_url == "http://gpu:8000/v1"
    y = tmp_path / "drop.yaml"
    y.write_text("profile: tiny\nlanes:\n  base: null\n")
    assert list(load_config(config_file=y, environ={}).lanes) == ["instruct", "reasoning"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("lanes:\n  instruct:\n    sampling: {temperature: 9}\n", "lanes.instruct.sampling.temperature"),
        ("lanes:\n  base:\n    engine: magic\n", "lanes.base.engine"),
        ("lanes:\n  base:\n    colour: red\n", "lanes.base.colour: unknown key"),
        ("limits:\n  concurrency: 0\n", "limits.concurrency"),
        ("lanes:\n  base:\n    base_url: ftp://x\n", "must start with http"),
    ],
)
def test_invalid_file_names_file_key_and_reason(tmp_path: Path, text: str, expected: str):
    f = tmp_path / "bad.yaml"
    f.write_text("profile: tiny\n" + text)
    with pytest.raises(ConfigError) as err:
        load_config(config_file=f, environ={})
    assert f"config file {f}" in str(err.value) and expected in str(err.value)


def test_invalid_env_value_names_the_variable():
    with pytest.raises(ConfigError, match="environment variable SEEDUI_PORT: port"):
        load_config(profile="tiny", environ={"SEEDUI_PORT": "99999"})


def test_unknown_profile_and_unparsable_file(tmp_path: Path):
    with pytest.raises(ConfigError, match="unknown profile 'huge'"):
        load_config(profile="huge", environ={})
    f = tmp_path / "broken.yaml"
    f.write_text("lanes: [unclosed\n")
    with pytest.raises(ConfigError, match="cannot parse"):
        load_config(config_file=f, environ={})
    with pytest.raises(ConfigError, match="not found"):
        load_config(config_file=tmp_path / "missing.yaml", environ={})


def test_env_overrides_parse_scalars():
    ov = env_overrides({"SEEDUI_SHARE": "true", "SEEDUI_LIMITS__CONCURRENCY": "8", "OTHER": "x"})
    assert ov.values == {"share": True, "limits.concurrency": 8}


def test_builtin_profiles_validate():
    for name in builtin_profiles():
        load_config(profile=name, environ={})


def test_app_help_explains_every_option():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "app.py", "--help"], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent).stdout  # fmt: skip
    for flag in ("--profile", "--config", "--host", "--port", "--share", "--cache-dir", "--db", "--set", "SEEDUI_"):
        assert flag in out


def test_bad_config_fails_at_start_with_exit_code_2(tmp_path: Path):
    import subprocess
    import sys

    f = tmp_path / "bad.yaml"
    f.write_text("profile: tiny\nlanes:\n  base:\n    context_length: -1\n")
    proc = subprocess.run([sys.executable, "app.py", "--config", str(f)], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent, timeout=60)  # fmt: skip
    assert proc.returncode == 2
    assert "lanes.base.context_length" in proc.stderr and str(f) in proc.stderr


def test_proxy_and_framing_settings_from_the_environment():
    env = {"SEEDUI_TRUSTED_PROXIES": "10.0.0.0/8, ::1", "SEEDUI_FRAME_ANCESTORS": "self https://a.example.org:8443"}
    config = load_config(profile="tiny", environ=env)
    assert config.trusted_proxies == ("10.0.0.0/8", "::1")
    assert config.frame_ancestors == ("'self'", "https://a.example.org:8443")
    assert load_config(profile="tiny", environ={"SEEDUI_TRUSTED_PROXIES": "2"}).trusted_proxies == 2
    assert load_config(profile="tiny", environ={}).trusted_proxies == "auto"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SEEDUI_TRUSTED_PROXIES": "proxy.local"}, "'proxy.local' is not an IP address or network"),
        ({"SEEDUI_TRUSTED_PROXIES": "-1"}, "proxy hops must be 0 or more"),
        ({"SEEDUI_FRAME_ANCESTORS": "self javascript:alert(1)"}, "is not a frame-ancestors source"),
        ({"SEEDUI_FRAME_ANCESTORS": "https://a.org; script-src *"}, "is not a frame-ancestors source"),
    ],
)
def test_bad_proxy_and_framing_settings_name_the_variable(env, message):
    with pytest.raises(ConfigError) as info:
        load_config(profile="tiny", environ=env)
    assert message in str(info.value) and next(iter(env)) in str(info.value)


def test_prompt_style_is_gone_and_says_so():
    with pytest.raises(ConfigError, match="prompt_style is gone: the lane's role"):
        load_config(profile="tiny", environ={"SEEDUI_LANES__BASE__PROMPT_STYLE": "completion"})
