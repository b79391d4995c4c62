"""The Bench endpoints: /bench_suite, /bench_generate, and (when saving is on) /save_bench, /load_bench,
/delete_bench. The browser drives a run through the first two and checks the answers itself
(seedui/bench_service.py); runs are kept like shares (seedui/bench_runs.py)."""

from __future__ import annotations

import gradio as gr

from seedui.bench_runs import BENCH_PARAM, BenchRuns
from seedui.bench_service import BenchService
from seedui.boundary import api_endpoint
from seedui.queues import BENCH, SHARES, group
from seedui.share_links import extract_share_id, share_url


def register_bench_api(bench: BenchService, runs: BenchRuns | None) -> None:
    """Declare the endpoints; call inside the app's `gr.Blocks` context."""
    service = bench.lanes

    @api_endpoint
    def bench_suite(suite: str, jsonl: str | None = None) -> dict:
        """A suite's problems: {"suite", "label", "problems": [{"task_id", "prompt", "entry_point", "tests"}]}.

        `suite` is "humaneval" (164 problems) or "humaneval-quick" (10); or, with `jsonl` (the text of a
        JSONL file in HumanEval's format or {"prompt", "tests"} per line), the name of that suite. A bad
        file is refused whole, with the line and field at fault.
        """
        return bench.suite(suite, jsonl)

    @api_endpoint
    async def bench_generate(
        problem: dict, lane: str, settings: dict | None = None, request: gr.Request = None
    ) -> dict:
        """One problem on one lane: {"task_id", "lane", "model", "text", "reasoning", "code", "tests", "stats",
        "error"}, where `code + "\\n" + tests` is the program to check.

        `problem` is {"suite", "task_id"} for a built-in suite's problem, or the problem itself as
        /bench_suite gives it. Answers are greedy unless `settings` say otherwise.
        """
        return await bench.generate(problem, lane, settings, service.client(request))

    gr.api(bench_suite, api_name="bench_suite", concurrency_limit=service.limits.concurrency)
    gr.api(bench_generate, api_name="bench_generate", **group(BENCH, service.limits))
    if runs is None:
        return

    @api_endpoint
    def save_bench(run: dict, request: gr.Request = None) -> dict:
        """Save a bench run (what window.seedui.bench.run resolves to); returns {"id", "url", "delete_token"}.

        The delete token is returned only this once: keep it to delete the run.
        """
        made = runs.save(run, service.client(request))
        return {**made, "url": share_url(request, made["id"], BENCH_PARAM)}

    @api_endpoint
    def load_bench(id: str) -> dict:
        """The saved bench run with this id (or its permalink, '…/?bench=ID')."""
        return runs.load(extract_share_id(id, BENCH_PARAM))

    @api_endpoint
    def delete_bench(id: str, delete_token: str) -> dict:
        """Delete a saved bench run with the token shown when it was saved; returns {"deleted": id}."""
        run_id = extract_share_id(id, BENCH_PARAM)
        runs.delete(run_id, delete_token)
        return {"deleted": run_id}

    gr.api(save_bench, api_name="save_bench", **group(SHARES, service.limits))
    gr.api(load_bench, api_name="load_bench", concurrency_limit=service.limits.concurrency)
    gr.api(delete_bench, api_name="delete_bench", **group(SHARES, service.limits))
