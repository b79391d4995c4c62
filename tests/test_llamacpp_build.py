"""Building llama.cpp's server portably and finding one that runs on this CPU (seedui/llamacpp_build.py).

The real build is what scripts/install.sh runs (CI builds it, and tests/engines/servers/test_llamacpp*.py run
the result); here: which level a CPU gets, which binary is chosen or refused and why, and that a missing
compiler or cmake is a clear message, never a crash.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from seedui import llamacpp_build as lb

HASWELL = frozenset({"sse4_2", "avx", "avx2", "fma", "f16c", "bmi2"})


@pytest.mark.parametrize(
    "machine, features, level",
    [
        ("x86_64", HASWELL | {"avx512f", "amx_tile"}, "x86-avx2"),  # never native: AMX and AVX-512 are not used
        ("x86_64", HASWELL - {"fma"}, "x86-64"),
        ("x86_64", frozenset(), "x86-64"),
        ("arm64-darwin", frozenset(), "arm64-native"),
        ("arm64", frozenset({"asimd"}), "arm64-v8"),
        ("riscv64", frozenset(), None),
    ],
)
def test_the_level_is_chosen_from_the_cpu_features(machine, features, level):
    chosen = lb.choose_level(machine, features)
    assert (chosen.name if chosen else None) == level
    if chosen is not None and chosen.name.startswith("x86"):
        assert "-DGGML_NATIVE=OFF" in chosen.cmake


def test_linux_cpu_flags_are_read_from_proc_cpuinfo():
    if not Path("/proc/cpuinfo").exists():
        pytest.skip("not Linux")
    features = lb.cpu_features()
    assert features, "no flags read"
    assert lb.choose_level(features=features) is not None


def fake_exe(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\necho fake\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def x86(monkeypatch):
    monkeypatch.setattr(lb, "arch", lambda: "x86_64")
    monkeypatch.setenv("PATH", "/nonexistent")  # no llama-server on PATH unless a test puts one there


def test_the_build_for_this_cpu_is_found(tmp_path, monkeypatch, x86):
    exe = fake_exe(lb.build_dir(tmp_path, lb.LEVELS["x86_64"][0]) / "bin" / lb.EXE)
    monkeypatch.setattr(lb, "cpu_features", lambda: HASWELL)
    assert lb.find_llama_server(None, [tmp_path / "elsewhere", tmp_path]) == str(exe)


def test_a_build_for_another_cpu_is_refused_with_what_it_lacks(tmp_path, monkeypatch, x86):
    fake_exe(lb.build_dir(tmp_path, lb.LEVELS["x86_64"][0]) / "bin" / lb.EXE)
    monkeypatch.setattr(lb, "cpu_features", lambda: HASWELL - {"avx2", "fma"})
    with pytest.raises(lb.LlamaServerUnusable) as err:
        lb.find_llama_server(None, [tmp_path])
    assert "this one lacks avx2, fma" in str(err.value)
    assert "cmake" in str(err.value) and "scripts/install.sh" in str(err.value)
    # The baseline build, once there, runs anywhere.
    base = fake_exe(lb.build_dir(tmp_path, lb.LEVELS["x86_64"][1]) / "bin" / lb.EXE)
    assert lb.find_llama_server(None, [tmp_path]) == str(base)


def test_nothing_built_says_what_to_install(tmp_path, x86):
    with pytest.raises(lb.LlamaServerUnusable, match="not built: to build it, install a C/C.. compiler and cmake"):
        lb.find_llama_server(None, [tmp_path])


def test_a_configured_binary_wins_and_a_missing_one_is_named(tmp_path, monkeypatch, x86):
    exe = fake_exe(tmp_path / "mine" / "llama-server")
    assert lb.find_llama_server(str(exe), [tmp_path]) == str(exe)
    with pytest.raises(lb.LlamaServerUnusable, match="llama_server is set to '/no/such'"):
        lb.find_llama_server("/no/such", [tmp_path])
    monkeypatch.setenv("PATH", str(exe.parent))  # one on PATH is the last resort
    assert lb.find_llama_server(None, [tmp_path / "empty"]) == str(exe)


def test_a_missing_compiler_or_cmake_is_a_message_and_exit_1(tmp_path, monkeypatch, capsys, x86):
    monkeypatch.setattr(lb, "cpu_features", lambda: HASWELL)
    monkeypatch.setenv("CC", "")
    monkeypatch.setenv("CXX", "")
    assert lb.main(["--cache-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "llama-server was not built: missing: cmake, a C compiler, a C++ compiler, make or ninja" in err
    assert "apt-get install build-essential cmake" in err
    assert not any(tmp_path.rglob("work-*")), "the work folder was left behind"


def test_a_built_server_is_not_built_again(tmp_path, monkeypatch, capsys, x86):
    monkeypatch.setattr(lb, "cpu_features", lambda: HASWELL)
    dest = lb.build_dir(tmp_path, lb.LEVELS["x86_64"][0])
    fake_exe(dest / "bin" / lb.EXE)
    (dest / lb.MANIFEST).write_text("{}")
    assert lb.main(["--cache-dir", str(tmp_path), "--jobs", str(os.cpu_count())]) == 0
    assert "built already" in capsys.readouterr().out


def test_a_compiler_that_refuses_the_batched_build_gets_it_file_by_file(tmp_path, monkeypatch, capsys, x86):
    """The unity batches compile with GCC 12 (CI builds them); another compiler may refuse a batch."""
    import json
    import tarfile

    monkeypatch.setattr(lb, "cpu_features", lambda: HASWELL)
    source = tmp_path / lb.SOURCE_PREFIX
    source.mkdir(parents=True)
    (source / "CMakeLists.txt").write_text("project(llama.cpp)\n")
    sdist = tmp_path / "sdist.tar.gz"
    with tarfile.open(sdist, "w:gz") as tar:
        tar.add(source, arcname=lb.SOURCE_PREFIX)
    configured: list[list[str]] = []

    def run(argv: list[str], log: Path, progress: bool = False) -> None:
        if argv[1] == "-S":  # configure
            configured.append(argv)
        elif any("llama.cpp_INCLUDE" in a for a in configured[-1]):
            raise lb.BuildError("unity_0_cxx.cxx: error: redefinition")
        else:
            fake_exe(Path(argv[argv.index("--build") + 1]) / "bin" / lb.EXE)

    monkeypatch.setattr(lb, "_run", run)
    monkeypatch.setattr(lb, "_tool", lambda *names: "/usr/bin/" + names[-1])  # the tools are there
    exe = lb.build(tmp_path / "cache", jobs=2, sdist=sdist)
    assert [any("llama.cpp_INCLUDE" in a for a in argv) for argv in configured] == [True, False]
    assert "building file by file instead" in capsys.readouterr().out
    manifest = json.loads((exe.parent.parent / lb.MANIFEST).read_text())
    assert not any("unity" in flag for flag in manifest["cmake"])
