"""How fast the in-browser Python sandbox answers, in headless Chromium, offline.

    .venv/bin/python bench/sandbox_speed.py [--cold N] [--warm N] [--chromium PATH]

Serves a Gradio 6 page wired like the app (``head_html`` + ``mount``, Pyodide
from the local copy; run ``python -m seedui.sandbox.fetch`` first) and prints:

* first run: from the click on a fresh page's Run button to the output in the
  panel (goal: 2.5 s), with the server's start-up snapshot and without it;
* warm ``print(1)``: ``window.seedui.run`` round trip once Python is up (goal:
  100 ms), and the same through the button and the panel;
* a run right after a time-limit kill (a new worker from the snapshot);
* a JavaScript ``console.log(1)`` round trip, a run every 0.3 s as clicks come (each JavaScript run gets a
  worker of its own; the runner keeps the next one loaded).

Timings on a shared 2-core machine are noisy: the load average is printed beside them.
"""

from __future__ import annotations

import argparse
import html
import os
import socket
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from seedui import sandbox  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
GOAL_FIRST_S = 2.5
GOAL_WARM_MS = 100.0

BLOCK = (
    '<div class="seedui-code" data-lang="python" id="bench">'
    '<div class="seedui-code-bar"><span class="seedui-lang">python</span>'
    '<button type="button" class="seedui-copy">Copy</button><button type="button" class="seedui-run">Run</button></div>'
    f'<div class="highlight"><pre>{html.escape("print(1)")}</pre></div></div>'
)

# Time from the click (capture phase, before SeedUI's handler) to the first output in the panel.
MEASURE_CLICK = """() => new Promise((resolve) => {
    const block = document.getElementById('bench');
    let t0 = 0;
    const observer = new MutationObserver(() => {
        const out = block.nextElementSibling && block.nextElementSibling.querySelector('.seedui-stdout');
        if (t0 && out && out.textContent.includes('1')) { observer.disconnect(); resolve(performance.now() - t0); }
    });
    observer.observe(document.body, {childList: true, subtree: true, characterData: true});
    document.addEventListener('click', () => { t0 = performance.now(); }, {capture: true, once: true});
    block.querySelector('.seedui-run').click();
})"""

WARM_API = """async ([n, language, code, pauseMs]) => {
    const times = [];
    for (let i = 0; i < n; i++) {
        if (pauseMs) await new Promise((resolve) => setTimeout(resolve, pauseMs));
        const t0 = performance.now();
        const r = await window.seedui.run({language, code});
        if (r.stdout !== '1\\n') throw new Error('unexpected: ' + JSON.stringify(r));
        times.push(performance.now() - t0);
    }
    return times;
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(pyodide_dir: Path, snapshot: bool):
    import gradio as gr

    cdn = f"http://127.0.0.1:{free_port()}/pyodide/v{{version}}/full/"  # closed port: offline
    with gr.Blocks(title="sandbox bench") as demo:
        gr.HTML(BLOCK)
    app, url, _ = demo.launch(
        prevent_thread_lock=True,
        server_name="127.0.0.1",
        server_port=free_port(),
        head=sandbox.head_html(cdn_url=cdn),
        quiet=True,
    )
    sandbox.mount(app, pyodide_dir=pyodide_dir, cdn_url=cdn, snapshot=snapshot)
    return demo, url


def open_page(browser, url: str):
    context = browser.new_context()
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("#bench .seedui-run")
    page.wait_for_function("window.seedui && window.seedui.run")
    return page


def first_runs(browser, url: str, n: int) -> list[float]:
    times = []
    for _ in range(n):
        page = open_page(browser, url)
        try:
            times.append(page.evaluate(MEASURE_CLICK))
        finally:
            page.context.close()
    return times


def describe(times: list[float]) -> str:
    ordered = sorted(times)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return (
        f"median {statistics.median(ordered):7.1f} ms  p90 {p90:7.1f} ms"
        f"  min {ordered[0]:7.1f}  max {ordered[-1]:7.1f}  (n={len(ordered)})"
    )


def warm_figures(browser, url: str, n: int) -> tuple[float, list[str]]:
    """Warm round trips on one page; returns the median API round trip and the printed rows."""
    page = open_page(browser, url)
    try:
        page.evaluate(MEASURE_CLICK)  # start Python
        warm = page.evaluate(WARM_API, [n, "python", "print(1)", 0])
        rows = [f"warm print(1), seedui.run round trip         {describe(warm)}"]
        javascript = page.evaluate(WARM_API, [n, "javascript", "console.log(1)", 300])
        rows.append(f"console.log(1), seedui.run, every 0.3 s      {describe(javascript)}")
        button = [page.evaluate(MEASURE_CLICK) for _ in range(min(20, n))]
        rows.append(f"warm print(1), click -> output in the panel  {describe(button)}")
        page.evaluate("window.seedui.run({language: 'python', code: 'while True: pass', timeoutMs: 300})")
        t0 = time.perf_counter()
        page.evaluate(
            "async () => { const r = await window.seedui.run({language: 'python', code: 'print(1)'});"
            " if (r.stdout !== '1\\n') throw new Error(JSON.stringify(r)); }"
        )
        after_kill = 1000 * (time.perf_counter() - t0)
        rows.append(f"print(1) right after a 0.3 s time-limit kill (new worker): {after_kill:7.1f} ms")
        return statistics.median(warm), rows
    finally:
        page.context.close()


def verdict(value: float, goal: float) -> str:
    return "meets the goal" if value <= goal else "MISSES the goal"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", type=int, default=3, help="fresh pages per first-run figure (default: %(default)s)")
    parser.add_argument("--warm", type=int, default=50, help="warm print(1) runs (default: %(default)s)")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)

    local = sandbox.local_pyodide(sandbox.VENDOR_PYODIDE_DIR)
    if local is None:
        print("No local Pyodide: run `python -m seedui.sandbox.fetch` first.", file=sys.stderr)
        return 1
    has_snapshot = sandbox.snapshot_jspi(local) is not None

    from playwright.sync_api import sync_playwright

    load_before = os.getloadavg()
    rows: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            variants = [("with start-up snapshot", True)] if has_snapshot else []
            variants.append(("without snapshot", False))
            first_median = warm_median = None
            for label, snapshot in variants:
                demo, url = launch(local, snapshot)
                try:
                    cold = first_runs(browser, url, args.cold)
                    rows.append(f"first run, click -> output, {label:23s} {describe(cold)}")
                    if first_median is None:  # the best set-up available: the one to judge
                        first_median = statistics.median(cold)
                        warm_median, warm_rows = warm_figures(browser, url, args.warm)
                        rows.extend(warm_rows)
                finally:
                    demo.close()
        finally:
            browser.close()

    load_after = os.getloadavg()
    print(f"SeedUI sandbox speed — Pyodide {sandbox.PYODIDE_VERSION}, local copy, headless Chromium, offline")
    print(f"machine: {os.cpu_count()} CPUs, load average {load_before[0]:.2f} before / {load_after[0]:.2f} after")
    for row in rows:
        print("  " + row)
    print(
        f"goal: first run output within {GOAL_FIRST_S} s of the click: {first_median / 1000:.2f} s median, "
        f"{verdict(first_median / 1000, GOAL_FIRST_S)}"
    )
    print(
        f"goal: warm print(1) round trip under {GOAL_WARM_MS:.0f} ms: {warm_median:.1f} ms median, "
        f"{verdict(warm_median, GOAL_WARM_MS)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
