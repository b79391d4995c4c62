"""llama.cpp's `llama-server`: built from PyPI alone for the CPU family it runs on, and found again at run time.

`scripts/install.sh` runs `python -m seedui.llamacpp_build` (standard library only: it runs while pip installs
the app's requirements). Why this way:

- PyPI has no prebuilt Linux `llama-server` worth trusting, but the sdist of `llama-cpp-python` carries
  llama.cpp's whole source (`vendor/llama.cpp`): pip downloads it, cmake builds the one target we run.
- Never a native build on x86: `-march=native` on a VM whose CPU reports AMX or AVX-512 it cannot run
  dies with SIGILL, and the machine that builds may not be the one that runs. x86-64 gets a portable
  level chosen from what the building CPU has (AVX2 + FMA + F16C + BMI2, Haswell and later; else the
  x86-64 baseline). The level names the build's folder, and its CPU features are checked on the running
  CPU before every start (`find_llama_server`). Apple Silicon builds natively.
- A failure (no compiler, no cmake, no network) never fails the install: it says what to install, and
  the app falls back to the transformers engine, saying the same on the page.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

from seedui.paths import DEFAULT_CACHE_DIR

LLAMA_CPP_PYTHON = "0.3.36"  # the llama-cpp-python sdist whose vendor/llama.cpp we build
SOURCE_PREFIX = f"llama_cpp_python-{LLAMA_CPP_PYTHON}/vendor/llama.cpp/"
EXE = "llama-server"
MANIFEST = "seedui-build.json"
INSTALL_HINT = (
    "install a C/C++ compiler and cmake (Debian/Ubuntu: sudo apt-get install build-essential cmake; "
    "Fedora: sudo dnf install gcc-c++ make cmake; macOS: xcode-select --install, then brew install cmake), "
    "then run scripts/install.sh again"
)
# Only the server, without what needs a network at build time (the web UI's assets) or at run time (HTTPS).
# Optimised where the time goes: ggml (the kernels) at -O3, the rest (HTTP, JSON, templates, the model loader;
# most of the compile time, little of the run time) at -O1, which halves its compile time. ggml is its own CMake
# project, so a file included right after its project() call gives it back -O3 (`ggml_o3`). The C++ around the
# kernels (chat templates and parsers, the HTTP server, the multimodal library that text never runs) parses the
# same heavy headers in file after file: built as unity batches it compiles in about half the time (`unity`,
# deferred to the end of the top project's configuration, when those targets exist; three files that cannot
# share a batch stay apart).
GGML_O3 = 'set(CMAKE_C_FLAGS_RELEASE "-O3 -DNDEBUG")\nset(CMAKE_CXX_FLAGS_RELEASE "-O3 -DNDEBUG")\n'
UNITY = """function(seedui_unity)
  foreach(target llama-common server-context llama-server-impl mtmd)
    if(TARGET ${target})
      set_property(TARGET ${target} PROPERTY UNITY_BUILD ON)
    endif()
  endforeach()
  set_source_files_properties("${CMAKE_SOURCE_DIR}/common/json.cpp" DIRECTORY "${CMAKE_SOURCE_DIR}/common"
                              PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
  set_source_files_properties("${CMAKE_SOURCE_DIR}/tools/mtmd/mtmd-helper.cpp"
                              "${CMAKE_SOURCE_DIR}/tools/mtmd/mtmd-helper-gen.cpp"
                              DIRECTORY "${CMAKE_SOURCE_DIR}/tools/mtmd" PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
endfunction()
if(CMAKE_VERSION VERSION_GREATER_EQUAL 3.19)
  cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL seedui_unity)
endif()
"""
COMMON_FLAGS = (
    "-DCMAKE_BUILD_TYPE=Release",
    "-DCMAKE_C_FLAGS_RELEASE=-O1 -DNDEBUG",
    "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG",
    "-DBUILD_SHARED_LIBS=OFF",  # one self-contained file
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_UI=OFF",
    "-DLLAMA_USE_PREBUILT_UI=OFF",
    "-DLLAMA_OPENSSL=OFF",
    "-DGGML_CCACHE=OFF",
)


@dataclass(frozen=True)
class Level:
    """A family of CPUs one build runs on: the features it needs and the cmake flags that target them."""

    name: str
    requires: frozenset[str]
    cmake: tuple[str, ...]


_X86_OFF = ("-DGGML_AVX=OFF", "-DGGML_AVX2=OFF", "-DGGML_FMA=OFF", "-DGGML_F16C=OFF", "-DGGML_BMI2=OFF")
LEVELS = {
    "x86_64": (
        Level(
            "x86-avx2",
            frozenset({"avx", "avx2", "fma", "f16c", "bmi2"}),
            ("-DGGML_NATIVE=OFF", *(flag.replace("=OFF", "=ON") for flag in _X86_OFF)),
        ),
        Level("x86-64", frozenset(), ("-DGGML_NATIVE=OFF", *_X86_OFF)),
    ),
    "arm64-darwin": (Level("arm64-native", frozenset(), ("-DGGML_NATIVE=ON",)),),
    "arm64": (Level("arm64-v8", frozenset(), ("-DGGML_NATIVE=OFF",)),),
}


class LlamaServerUnusable(Exception):
    """No llama-server that can run here; the message says why and what to do."""


# --- the running machine ------------------------------------------------------------------


def arch() -> str:
    machine = platform.machine().lower()
    if machine in ("x86_64", "amd64"):
        return "x86_64"
    if machine in ("arm64", "aarch64"):
        return "arm64-darwin" if sys.platform == "darwin" else "arm64"
    return machine


@functools.cache  # the CPU does not change while we run; read once, not at every server start
def cpu_features() -> frozenset[str]:
    """The CPU's feature flags as Linux names them (avx2, fma, f16c...); empty where we cannot tell."""
    if sys.platform == "linux":
        try:
            text = Path("/proc/cpuinfo").read_text()
        except OSError:
            return frozenset()
        found = re.search(r"^(?:flags|Features)\s*:\s*(.*)$", text, re.M)
        return frozenset(found.group(1).split()) if found else frozenset()
    if sys.platform == "darwin" and arch() == "x86_64":
        words: list[str] = []
        for key in ("machdep.cpu.features", "machdep.cpu.leaf7_features"):
            out = subprocess.run(["sysctl", "-n", key], capture_output=True, text=True, check=False).stdout
            words += out.lower().split()
        return frozenset("avx" if w == "avx1.0" else w for w in words)
    return frozenset()


def cpu_count() -> int:
    """The CPUs this process may use (a container's limit, not the host's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def choose_level(machine: str | None = None, features: frozenset[str] | None = None) -> Level | None:
    """The best level the given (default: this) CPU runs; None where we do not build."""
    features = cpu_features() if features is None else features
    for level in LEVELS.get(machine or arch(), ()):
        if level.requires <= features:
            return level
    return None


def build_dir(cache_dir: Path, level: Level) -> Path:
    return cache_dir / "llama.cpp" / f"{LLAMA_CPP_PYTHON}-{level.name}"


# --- finding a usable binary --------------------------------------------------------------


def find_llama_server(setting: str | None, cache_dirs: list[Path]) -> str:
    """The llama-server to run: the configured one, else one built here for this CPU, else `llama-server` on PATH.

    Raises `LlamaServerUnusable` saying why none fits and what to do.
    """
    if setting:
        found = shutil.which(setting) or (setting if Path(setting).is_file() else None)
        if not found:
            raise LlamaServerUnusable(f"llama_server is set to {setting!r}, which was not found")
        return found
    features = cpu_features()
    problems = []
    for cache_dir in dict.fromkeys(cache_dirs):
        for level in LEVELS.get(arch(), ()):
            exe = build_dir(cache_dir, level) / "bin" / EXE
            if not exe.is_file():
                continue
            missing = level.requires - features
            if not missing:
                return str(exe)
            problems.append(f"{exe} was built for CPUs with {', '.join(sorted(level.requires))}; this one lacks "
                            f"{', '.join(sorted(missing))}")  # fmt: skip
    on_path = shutil.which(EXE)
    if on_path:
        return on_path
    why = "; ".join(problems) or "llama.cpp's llama-server is not built"
    raise LlamaServerUnusable(f"{why}: to build it, {INSTALL_HINT}")


# --- building -----------------------------------------------------------------------------


class BuildError(Exception):
    pass


def _tool(*names: str) -> str | None:
    return next((found for name in names if name and (found := shutil.which(name))), None)


def _source(work: Path, sdist: Path | None) -> Path:
    """llama.cpp's source tree from the sdist (downloaded with pip unless given)."""
    if sdist is None:
        print(f"downloading llama-cpp-python {LLAMA_CPP_PYTHON}'s source from PyPI (76 MB)...", flush=True)
        got = subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", "llama-cpp-python",
             f"llama-cpp-python=={LLAMA_CPP_PYTHON}", "-d", str(work / "sdist")],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        found = sorted((work / "sdist").glob("llama_cpp_python-*.tar.gz"))
        if got.returncode != 0 or not found:
            raise BuildError(f"could not download the source from PyPI: {got.stderr.strip()[-500:]}")
        sdist = found[0]
    with tarfile.open(sdist) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith(SOURCE_PREFIX)]
        if not members:
            raise BuildError(f"{sdist} holds no {SOURCE_PREFIX}")
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # Python 3.11.4 and later
        tar.extractall(work / "src", members=members, **safe)  # type: ignore[arg-type]
    return work / "src" / SOURCE_PREFIX


def _run(argv: list[str], log: Path, progress: bool = False) -> None:
    """Run a build step, its output to `log`; with `progress`, print a line every tenth of the way."""
    shown = -1
    with log.open("a") as out:
        out.write(f"\n=== {' '.join(argv)}\n")
        out.flush()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            out.write(line)
            step = re.match(r"\[\s*(\d+)/(\d+)\]|\[\s*(\d+)%\]", line)
            if progress and step:
                done = int(step[1]) * 100 // int(step[2]) if step[1] else int(step[3])
                if done // 10 > shown:
                    shown = done // 10
                    print(f"  building llama-server: {done}%", flush=True)
                    out.flush()
        if proc.wait() != 0:
            out.flush()
            tail = log.read_text(errors="replace").splitlines()[-15:]
            raise BuildError(f"{argv[0]} failed (exit {proc.returncode}); its last lines:\n" + "\n".join(tail))


def build(cache_dir: Path, jobs: int, sdist: Path | None = None, force: bool = False) -> Path:
    """Build llama-server for this CPU's level into the cache (nothing to do when it is there). Its path."""
    level = choose_level()
    if level is None:
        raise BuildError(f"no portable llama.cpp build is set up for {platform.machine()} here")
    dest = build_dir(cache_dir, level)
    exe = dest / "bin" / EXE
    if exe.is_file() and (dest / MANIFEST).is_file() and not force:
        print(f"llama-server is built already: {exe}")
        return exe
    missing = [what for what, found in (
        ("cmake", _tool("cmake")),
        ("a C compiler", _tool(os.environ.get("CC", ""), "cc", "gcc", "clang")),
        ("a C++ compiler", _tool(os.environ.get("CXX", ""), "c++", "g++", "clang++")),
        ("make or ninja", _tool("ninja", "make")),
    ) if not found]  # fmt: skip
    if missing:
        raise BuildError(f"missing: {', '.join(missing)}. To build llama.cpp's server, {INSTALL_HINT}")
    started = time.monotonic()
    work = cache_dir / "llama.cpp" / f"work-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    log = cache_dir / "llama.cpp" / "build.log"
    log.write_text(f"building llama-server {LLAMA_CPP_PYTHON} ({level.name})\n")
    try:
        src = _source(work, sdist)
        generator = ["-G", "Ninja"] if _tool("ninja") else []
        ggml_o3, unity = work / "ggml-o3.cmake", work / "unity.cmake"
        ggml_o3.write_text(GGML_O3)
        unity.write_text(UNITY)
        flags = [*COMMON_FLAGS, f"-DCMAKE_PROJECT_ggml_INCLUDE={ggml_o3}", *level.cmake]
        print(f"building llama-server ({level.name}, {jobs} jobs; a few minutes; log: {log})...", flush=True)
        # Batched where it compiles (GCC 12 here); a compiler that refuses a batch gets the build file by file.
        for batched in (True, False):
            extra = [f"-DCMAKE_PROJECT_llama.cpp_INCLUDE={unity}"] if batched else []
            try:
                _run(["cmake", "-S", str(src), "-B", str(work / "build"), *generator, *flags, *extra], log)
                _run(["cmake", "--build", str(work / "build"), "--target", EXE, "-j", str(jobs)], log, progress=True)
                break
            except BuildError:
                if not batched:
                    raise
                print("  the batched build failed (see the log); building file by file instead", flush=True)
                shutil.rmtree(work / "build", ignore_errors=True)
        staged = work / "out"
        (staged / "bin").mkdir(parents=True)
        shutil.copy2(work / "build" / "bin" / EXE, staged / "bin" / EXE)
        version = subprocess.run([str(staged / "bin" / EXE), "--version"], capture_output=True, text=True, timeout=60)
        if version.returncode != 0:
            raise BuildError(f"the new llama-server does not run here (exit {version.returncode}): {version.stderr}")
        manifest = {
            "llama_cpp_python": LLAMA_CPP_PYTHON,
            "level": level.name,
            "requires": sorted(level.requires),
            "cmake": [
                *COMMON_FLAGS,
                "-DCMAKE_PROJECT_ggml_INCLUDE=(-O3 for ggml)",
                *(["-DCMAKE_PROJECT_llama.cpp_INCLUDE=(unity batches)"] if batched else []),
                *level.cmake,
            ],
            "version": (version.stdout + version.stderr).strip().splitlines()[:2],
            "build_s": round(time.monotonic() - started, 1),
            "jobs": jobs,
            "platform": platform.platform(),
        }
        (staged / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        shutil.rmtree(dest, ignore_errors=True)
        dest.parent.mkdir(parents=True, exist_ok=True)
        staged.rename(dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"llama-server built in {time.monotonic() - started:.0f} s: {exe}")
    return exe


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR, help="default: %(default)s")
    p.add_argument("--jobs", type=int, default=cpu_count(), help="parallel compile jobs (default: the CPUs here)")
    p.add_argument("--sdist", type=Path, help="a llama-cpp-python sdist already downloaded")
    p.add_argument("--force", action="store_true", help="build again even when it is built")
    args = p.parse_args(argv)
    try:
        build(args.cache_dir, args.jobs, args.sdist, args.force)
    except (BuildError, OSError, subprocess.SubprocessError) as exc:
        print(f"seedui: llama-server was not built: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
