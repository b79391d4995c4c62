"""The Bench's speed: isolated checks per second in headless Chromium, and the quick subset end to end.

    .venv/bin/python bench/bench_speed.py [--only checks,quick] [--checks N] [--at-once C]

* checks: N HumanEval programs (canonical solutions) with their tests, checked as a bench run checks them
  (``window.seedui.run`` in check mode: a pristine interpreter each, booted or reset after an earlier check
  that stayed in Python; C at once; the page keeps C + 1 pristine interpreters ready with
  ``seedui.warm(C + 1)``), on a page wired like the app, Pyodide from the local copy, offline. Printed:
  sustained checks/s, the CPU seconds Chromium spent per check (all its processes: the figure a busy machine
  distorts least), how many checks had a reset interpreter, and, for comparison, the same checks one at a
  time with nothing booted ahead. Then isolation: answers that patch builtins, modules, the harness, the
  file system or the worker's JavaScript, interleaved with honest answers in the same pool: every honest
  one must pass. Goal: >= 8 isolated checks/s on this machine's 2 cores.
* quick: the app on the tiny profile (SmolLM2-135M on the CPU, in this process), ``seedui.bench.run`` on the
  quick subset (10 problems x 3 lanes) in Chromium: wall time, how long generation took, how long checking
  went on after the last answer, and the time spent generating and checking summed over requests.

Timings on a shared 2-core machine are noisy: the load average is printed beside them.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil  # noqa: E402

from bench.sandbox_speed import CHROMIUM_ARGS, free_port, launch  # noqa: E402
from seedui import sandbox  # noqa: E402
from seedui.evals.extract import base_program  # noqa: E402
from seedui.evals.suites import load_suite  # noqa: E402

GOAL_CHECKS_PER_S = 8.0

# Resolves to {verdicts: [...], resets: [...], seconds}: `jobs` ([code, tests] pairs) checked `atOnce` at a time;
# resets[i]: how many checks the interpreter that checked job i had served (and been reset after) before it.
CHECK_ALL = """async ([jobs, atOnce, pool]) => {
    if (pool) { await window.seedui.warm(atOnce + 1); await new Promise((r) => setTimeout(r, 8000)); }
    const verdicts = new Array(jobs.length);
    const resets = new Array(jobs.length);
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({length: atOnce}, async () => {
        while (next < jobs.length) {
            const i = next++;
            const [code, tests] = jobs[i];
            const r = await window.seedui.run({language: "python", code, tests, mode: "check", pristine: true});
            verdicts[i] = r.timedOut ? "timeout" : r.check ? r.check.status : "sandbox error: " + r.error;
            resets[i] = (r.boot && r.boot.resets) || 0;
        }
    }));
    const seconds = (performance.now() - t0) / 1000;
    if (pool) window.seedui.warm(0);
    return {verdicts, resets, seconds};
}"""

HONEST = (
    "import json, math, os\n\ndef f(xs):\n    return len(sorted(xs)) + math.sqrt(4)\n",
    "assert f([3, 1]) == 4.0\nassert json.dumps([1]) == '[1]'\n"
    "assert not os.path.exists('/home/pyodide/planted.py')\nassert isinstance(AssertionError(), Exception)\n"
    "import sys\nassert sys.getrecursionlimit() > 60 and '/tmp' not in sys.path and os.getcwd() != '/tmp'\n",
)
# An honest answer whose tests look at the worker's JavaScript.
HONEST_JS = (HONEST[0], HONEST[1] + "import js\nassert not hasattr(js, 'seedui_planted')\n")
# An honest answer that fails the honest tests: a patched harness must not turn it into a pass.
HONEST_FAILING = ("def f(xs):\n    return 0\n", HONEST[1])
# Each patches something the honest answer or its tests use; its own test then fails. Those in Python alone
# leave a worker that is reset and checks the next answer; those that reach JavaScript or files retire it.
PYTHON_ATTACKS = [
    "import builtins\nbuiltins.len = lambda *a: 0\nbuiltins.sorted = lambda *a, **k: []\n",
    "import sys, json, math\njson.dumps = lambda *a, **k: 'x'\nmath.sqrt = lambda x: -1\nsys.modules['os'] = None\n",
    "import builtins\nbuiltins.AssertionError = type('Quiet', (Exception,), {})\n"
    "builtins.isinstance = lambda *a: False\n",
    "import _seedui_harness, _seedui_check\n"
    '_seedui_harness.run_answer = lambda *a: \'{"ok": true, "ranToEnd": true}\'\n'
    "_seedui_check.prepare_check = lambda *a: None\n_seedui_check.failure_text = lambda *a: 'ok'\n",
    "import os, sys\nos.chdir('/tmp')\nsys.path.insert(0, '/tmp')\nsys.setrecursionlimit(60)\n"
    "sys.settrace(lambda *a: None)\n",
    "import builtins, gc\nclass Bomb:\n    def __del__(self):\n        builtins.sorted = None\n"
    "b = Bomb()\nb.me = b\ndel b\ngc.disable()\n",
    "junk = bytearray(48 * 2**20)\njunk[::4096] = b'x' * len(junk[::4096])\n"
    "import builtins\nbuiltins.len = lambda *a: 0\n",
    "print('x' * 300_000)\nwith open('/seedui/_seedui_harness.py') as f:\n    f.read()\n"
    "import builtins, statistics\nbuiltins.sorted = lambda *a, **k: [0]\n",
    "import builtins\nbuiltins.len = None\nraise SystemExit(0)\n",
    "import builtins\nbuiltins.sorted = None\nx = bytearray(3 * 2**30)\n",
]
ATTACKS = [
    *PYTHON_ATTACKS,
    "kept = open('/seedui/_seedui_harness.py')\nimport builtins\nbuiltins.len = lambda *a: 0\n",
    "open('/seedui/_seedui_check.py', 'a').write('\\nimport builtins\\nbuiltins.len = None\\n')\n",
    "open('/home/pyodide/planted.py', 'w').write('x = 1')\nimport sys\nsys.path.insert(0, '/home/pyodide')\n",
    "import js\njs.JSON.parse = js.eval('() => ({ok: true, check: {status: \"pass\"}})')\n"
    "js.MessagePort.prototype.postMessage = js.eval('function () {}')\n",
    "import js\njs.seedui_planted = 1\n",
    "import builtins, json\nbuiltins.len = None\njson.loads('[' * 200000 + ']' * 200000)\n",  # a fatal error
    "import builtins, ctypes\nbuiltins.len = None\nctypes.memset(0, 0, 10**9)\n",
    "import builtins, os\nbuiltins.len = None\nos._exit(3)\n",
]
ATTACK_TEST = "assert len([1, 2]) == 2 and 1 == 2\n"


def humaneval_jobs(n: int) -> list[list[str]]:
    """[program, tests] of the first `n` problems (cycling), each canonical solution as a Base lane writes it."""
    problems = load_suite("humaneval")
    return [[base_program(p, p.canonical_solution or ""), p.check_code] for p in (problems * (n // 164 + 1))[:n]]


def chromium_cpu_s() -> float:
    """CPU seconds used so far by this process's children (Chromium and Playwright's driver)."""
    total = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
        except psutil.NoSuchProcess:
            continue
    return total


def timed_checks(page, jobs: list[list[str]], at_once: int, pool: bool) -> tuple[list[str], float, float, int]:
    """Verdicts, seconds, Chromium CPU seconds, and how many checks had an interpreter reset after another."""
    cpu0 = chromium_cpu_s()
    out = page.evaluate(CHECK_ALL, [jobs, at_once, pool])
    reused = sum(1 for r in out["resets"] if r > 0)
    return out["verdicts"], out["seconds"], chromium_cpu_s() - cpu0, reused


def check_figures(browser, url: str, n: int, at_once: int) -> list[str]:
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(url)
        page.wait_for_function("window.seedui && window.seedui.run")
        page.evaluate("window.seedui.run({language: 'python', code: 'print(1)'})")  # the runner and its snapshot
        rows = []
        jobs = humaneval_jobs(n)
        verdicts, seconds, cpu, reused = timed_checks(page, jobs, at_once, pool=True)
        bad = [v for v in verdicts if v != "pass"]
        rate = n / seconds
        cores = 2
        rows.append(
            f"isolated checks, {at_once} at once, pristine interpreters booted ahead: {rate:5.2f} checks/s "
            f"({n} canonical HumanEval checks in {seconds:.1f} s; {len(bad)} not passed; {reused} in an interpreter "
            "reset after an earlier check)"
        )
        rows.append(
            f"  Chromium CPU per check: {cpu / n:.3f} s, so {cores / (cpu / n):.1f} checks/s if {cores} cores were "
            "all Chromium's"
        )
        few = jobs[: max(8, n // 4)]
        verdicts1, seconds1, cpu1, reused1 = timed_checks(page, few, 1, pool=False)
        rows.append(
            f"one at a time, nothing booted ahead: {len(few) / seconds1:5.2f} checks/s "
            f"(CPU per check {cpu1 / len(few):.3f} s; {reused1} of {len(few)} in a reset interpreter)"
        )
        mixed = [[HONEST[0], HONEST[1]] for _ in range(3 * len(ATTACKS))] + [[a, ATTACK_TEST] for a in ATTACKS]
        random.Random(7).shuffle(mixed)
        outcome, _, _, reused2 = timed_checks(page, mixed, at_once, pool=True)
        honest = [v for (code, _), v in zip(mixed, outcome, strict=True) if code == HONEST[0]]
        attacks = [v for (code, _), v in zip(mixed, outcome, strict=True) if code != HONEST[0]]
        rows.append(
            f"isolation: {honest.count('pass')} of {len(honest)} honest checks passed beside {len(attacks)} answers "
            f"that patch builtins, modules, the harness, files or JavaScript (those: {sorted(set(attacks))}); "
            f"{reused2} of {len(mixed)} checks in an interpreter reset after an earlier check"
        )
        return rows + [f"goal: >= {GOAL_CHECKS_PER_S:g} isolated checks/s: {rate:.2f} measured, "
                       f"{'meets' if rate >= GOAL_CHECKS_PER_S else 'MISSES'} the goal"]  # fmt: skip
    finally:
        context.close()


def quick_figures(browser) -> list[str]:
    from seedui.config import Overrides, load_config
    from seedui.webapp import build_app

    overrides = Overrides()
    overrides.add("db_path", str(Path(tempfile.mkdtemp()) / "bench.sqlite3"), "bench")
    app = build_app(load_config(profile="tiny", cli=overrides, environ={}))
    app.launch(prevent_thread_lock=True, server_port=free_port(), quiet=True)
    try:
        app.wait_settled(600)
        context = browser.new_context()
        page = context.new_page()
        try:
            page.goto(app.blocks.local_url)
            page.wait_for_function("window.seedui && window.seedui.bench")
            t0 = time.perf_counter()
            run = page.evaluate("() => window.seedui.bench.run({suite: 'humaneval-quick'})")
            wall = time.perf_counter() - t0
        finally:
            context.close()
    finally:
        app.close()
    meta = run["meta"]
    gen = sum(lane["stats"]["generation_busy_s"] for lane in run["lanes"].values())
    chk = sum(lane["stats"]["checking_busy_s"] for lane in run["lanes"].values())
    rows = [
        f"quick subset on the tiny profile, 3 lanes: {wall:.1f} s from the call to the result "
        f"(the run itself {meta['wall_s']:.1f} s)",
        f"  answers all in after {meta['answers_s']:.1f} s; checking went on {meta['checking_tail_s']:.1f} s after "
        f"the last answer: {100 * meta['answers_s'] / meta['wall_s']:.0f}% of the run was generating, "
        f"{100 * meta['checking_tail_s'] / meta['wall_s']:.0f}% checking alone",
        f"  summed over requests: generating {gen:.1f} s, checking {chk:.1f} s "
        f"({100 * chk / (gen + chk):.0f}% of the busy time was checking)",
    ]
    for name, lane in run["lanes"].items():
        s = lane["stats"]
        interval = f"{100 * s['ci_low']:.0f}-{100 * s['ci_high']:.0f}%"
        rows.append(
            f"  {name}: pass@1 {lane['passed']}/{lane['total']} (95% {interval}), "
            f"{s['tokens_per_s'] or 0:.1f} tokens/s, generation {s['generation_s']:.1f} s"
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="checks,quick", help="checks, quick or both (default: %(default)s)")
    parser.add_argument("--checks", type=int, default=120, help="checks for the rate (default: %(default)s)")
    parser.add_argument("--at-once", type=int, default=2, help="checks at once (default: %(default)s)")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    local = sandbox.local_pyodide(sandbox.VENDOR_PYODIDE_DIR)
    if local is None:
        print("No local Pyodide: run `python -m seedui.sandbox.fetch` first.", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    load_before = os.getloadavg()
    rows: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            if "checks" in only:
                demo, url = launch(local, snapshot=True)
                try:
                    rows += check_figures(browser, url, args.checks, args.at_once)
                finally:
                    demo.close()
            if "quick" in only:
                rows += quick_figures(browser)
        finally:
            browser.close()
    load_after = os.getloadavg()
    print(f"SeedUI Bench speed — Pyodide {sandbox.PYODIDE_VERSION}, local copy, headless Chromium, offline")
    print(f"machine: {os.cpu_count()} CPUs, load average {load_before[0]:.2f} before / {load_after[0]:.2f} after")
    for row in rows:
        print("  " + row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
