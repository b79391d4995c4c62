// The Bench view in #seedui-bench-view (the Bench tab): a progress bar; per lane pass@1 with its 95%
// Wilson interval (a bar with whiskers), tokens/s and times; a problems x lanes grid whose cells open the
// prompt, the answer, the code that was checked and the verdict; a "solved by A, not by B" filter.
// Model output is untrusted: everything is inserted as text. The tab is drawn lazily by Gradio, so the
// view draws the last state again when its container appears.

import { el } from "./blocks.mjs";
import { kept, percent, score } from "./bench_stats.mjs";

const CONTAINER = "seedui-bench-view";
const FRAME_MS = 200; // at most ~5 redraws a second while a run streams in
const MARK = { pass: "✓", fail: "✗", error: "!", timeout: "⏱", generating: "…", checking: "▹" };
const WORD = { pass: "passed", fail: "failed", error: "error", timeout: "timed out", generating: "generating", checking: "checking", "": "waiting" };

export class BenchView {
  constructor() {
    this.state = null; // a live run's state, or a saved run (bench.show)
    this.parts = null; // the drawn skeleton: {root, head, bar, note, lanes, filters, grid, detail, cells}
    this.selected = null; // [task_id, lane] open in the detail panel
    this.filter = { solvedBy: "", notBy: "" };
    this.timer = null;
    new MutationObserver(() => {
      const box = document.getElementById(CONTAINER);
      if (box && this.state && !(this.parts && box.contains(this.parts.root))) this.draw();
    }).observe(document.documentElement, { childList: true, subtree: true });
  }

  /** A live run changed: redraw soon (at once when it has finished). */
  update(state) {
    this.state = state;
    if (state.finished) {
      clearTimeout(this.timer);
      this.timer = null;
      this.draw();
    } else if (this.timer === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.draw();
      }, FRAME_MS);
    }
  }

  /** A saved run (what bench.run resolved to, as /load_bench gives it back); ``z`` for its intervals. */
  show(run, z) {
    const lanes = {};
    for (const [name, lane] of Object.entries(run.lanes || {})) lanes[name] = { ...lane, busy: {} };
    this.parts = null;
    this.selected = null;
    this.update({ ...run, lanes, finished: true, saved: true, z });
  }

  draw() {
    const box = document.getElementById(CONTAINER);
    const state = this.state;
    if (!box || !state) return;
    const p0 = this.parts;
    if (!p0 || !box.contains(p0.root) || p0.problemsRef !== state.problems || p0.lanesRef !== state.lanes) {
      this.parts = skeleton(state, this);
      box.replaceChildren(this.parts.root);
    }
    const p = this.parts;
    const names = Object.keys(state.lanes);
    const total = state.problems.length * names.length;
    const done = names.reduce((n, name) => n + Object.keys(state.lanes[name].results).length, 0);
    p.bar.max = Math.max(1, total);
    p.bar.value = done;
    p.bar.setAttribute("aria-valuetext", `${done} of ${total} answers checked`);
    p.note.textContent = headline(state, done, total);
    p.root.setAttribute("data-state", state.error ? "error" : state.finished ? (state.stopped ? "stopped" : "done") : "running");
    for (const part of [p.lanesTable, p.filters, p.grid]) part.hidden = state.problems.length === 0; // nothing to show yet
    drawLanes(p.lanesTable, state);
    for (const problem of state.problems) {
      const row = p.rows.get(problem.task_id);
      row.hidden = !kept(state.lanes, problem.task_id, this.filter.solvedBy, this.filter.notBy);
      for (const name of names) drawCell(p.cells.get(`${problem.task_id}\n${name}`), state.lanes[name], problem.task_id);
    }
    if (this.selected) this.openDetail(...this.selected);
  }

  openDetail(taskId, lane) {
    this.selected = [taskId, lane];
    const state = this.state;
    const problem = state.problems.find((x) => x.task_id === taskId);
    const own = state.lanes[lane];
    if (!problem || !own) return;
    const r = own.results[taskId];
    const verdict = r ? r.verdict : own.busy[taskId] || "";
    const detail = this.parts.detail;
    detail.replaceChildren(
      el("h4", "", `${taskId} · ${own.display_name || lane}: ${WORD[verdict]}`),
      section("Prompt", problem.prompt),
      ...(r && r.reasoning ? [folded("Thinking (never checked)", r.reasoning)] : []),
      section("Answer", r ? r.answer : ""),
      section("Code that was checked (the tests ran after it)", r ? r.code : ""),
      section(r && r.verdict === "fail" ? "Failing assertion" : "Verdict detail", r ? r.error || WORD[r.verdict] : ""),
    );
    detail.hidden = false;
    for (const cell of this.parts.cells.values()) cell.setAttribute("aria-pressed", String(cell.dataset.task === taskId && cell.dataset.lane === lane));
  }
}

function headline(state, done, total) {
  if (state.error) return `Stopped: ${state.error}`;
  const what = state.label || state.suite;
  if (!state.finished) return state.problems.length ? `${what}: ${done} of ${total} checked` : `${what}: loading the problems…`;
  const wall = state.meta && state.meta.wall_s ? ` in ${state.meta.wall_s.toFixed(1)} s` : state.t0 && state.t1 ? ` in ${((state.t1 - state.t0) / 1000).toFixed(1)} s` : "";
  return `${what}: ${state.stopped ? "stopped" : state.saved ? "saved run" : "finished"}, ${done} of ${total} checked${wall}`;
}

function skeleton(state, view) {
  const names = Object.keys(state.lanes);
  const root = el("div", "seedui-bench");
  const head = el("div", "seedui-bench-head");
  const bar = el("progress", "seedui-bench-progress");
  bar.setAttribute("aria-label", "Bench progress");
  const note = el("span", "seedui-bench-note");
  note.setAttribute("role", "status");
  head.append(bar, note);
  const lanes = el("table", "seedui-bench-lanes");
  const filters = el("div", "seedui-bench-filters");
  const choose = (label, key, first) => {
    const select = el("select", "seedui-bench-filter");
    select.setAttribute("aria-label", label);
    select.dataset.filter = key;
    select.append(new Option(first, ""));
    for (const name of names) select.append(new Option(state.lanes[name].display_name || name, name));
    select.value = view.filter[key];
    select.addEventListener("change", () => {
      view.filter[key] = select.value;
      view.draw();
    });
    return select;
  };
  filters.append(el("span", "", "Show problems solved by "), choose("Solved by", "solvedBy", "any lane or none"));
  filters.append(el("span", "", " and not by "), choose("Not solved by", "notBy", "(no condition)"));
  const grid = el("table", "seedui-bench-grid");
  const headRow = el("tr");
  headRow.append(el("th", "", "Problem"));
  for (const name of names) headRow.append(el("th", "", state.lanes[name].display_name || name));
  grid.append(headRow);
  const rows = new Map();
  const cells = new Map();
  for (const problem of state.problems) {
    const row = el("tr", "seedui-bench-row");
    row.dataset.task = problem.task_id;
    row.append(el("th", "seedui-bench-task", problem.task_id));
    for (const name of names) {
      const td = el("td");
      const cell = el("button", "seedui-bench-cell");
      cell.type = "button";
      cell.dataset.task = problem.task_id;
      cell.dataset.lane = name;
      cell.addEventListener("click", () => view.openDetail(problem.task_id, name));
      td.append(cell);
      row.append(td);
      cells.set(`${problem.task_id}\n${name}`, cell);
    }
    rows.set(problem.task_id, row);
    grid.append(row);
  }
  const detail = el("div", "seedui-bench-detail");
  detail.hidden = true;
  root.append(head, lanes, filters, grid, detail);
  return { root, bar, note, lanesTable: lanes, filters, grid, detail, rows, cells, problemsRef: state.problems, lanesRef: state.lanes };
}

function drawLanes(table, state) {
  const head = el("tr");
  for (const title of ["Lane", "pass@1 (95% interval)", "Chart", "Passed", "tokens/s", "Generation", "Checking"]) head.append(el("th", "", title));
  const rows = [head];
  for (const [name, lane] of Object.entries(state.lanes)) {
    const s = score(lane.results, state.z);
    const stats = lane.stats || {};
    const genS = stats.generation_s ?? (lane.first != null && lane.last != null ? (lane.last - lane.first) / 1000 : null);
    const tokens = stats.tokens ?? lane.tokens;
    const row = el("tr", "seedui-bench-lane");
    row.dataset.lane = name;
    row.append(
      el("th", "", lane.display_name || name),
      el("td", "seedui-bench-score", s.total ? `${percent(s.passAt1)} (${percent(s.low)}–${percent(s.high)})` : "—"),
      chart(s),
      el("td", "", `${s.passed} / ${s.total}`),
      el("td", "", genS > 0 && tokens ? (tokens / genS).toFixed(1) : "—"),
      el("td", "", genS != null ? `${genS.toFixed(1)} s` : "—"),
      el("td", "", `${(((stats.checking_busy_s ?? lane.checkMs / 1000) || 0)).toFixed(1)} s`),
    );
    rows.push(row);
  }
  table.replaceChildren(...rows);
}

// pass@1 as a bar on a 0-100% track, the interval as a whisker over it.
function chart(s) {
  const td = el("td", "seedui-bench-chart");
  const track = el("div", "seedui-bench-track");
  track.setAttribute("role", "img");
  track.setAttribute("aria-label", s.total ? `pass@1 ${percent(s.passAt1)}, 95% interval ${percent(s.low)} to ${percent(s.high)}` : "no verdicts yet");
  const fill = el("div", "seedui-bench-bar");
  fill.style.width = `${100 * s.passAt1}%`;
  const whisker = el("div", "seedui-bench-whisker");
  whisker.style.left = `${100 * s.low}%`;
  whisker.style.width = `${100 * (s.high - s.low)}%`;
  whisker.hidden = s.total === 0;
  track.append(fill, whisker);
  td.append(track);
  return td;
}

function drawCell(cell, lane, taskId) {
  const r = lane.results[taskId];
  const state = r ? r.verdict : lane.busy[taskId] || "";
  if (cell.dataset.verdict === state) return;
  cell.dataset.verdict = state;
  cell.textContent = MARK[state] || "·";
  cell.setAttribute("aria-label", `${taskId}, ${lane.display_name}: ${WORD[state]}`);
  cell.title = WORD[state];
}

function section(title, text) {
  const part = el("div", "seedui-bench-part");
  part.append(el("div", "seedui-bench-part-title", title), el("pre", "seedui-bench-text", text || "(empty)"));
  return part;
}

function folded(title, text) {
  const part = el("details", "seedui-bench-part");
  part.append(el("summary", "", title), el("pre", "seedui-bench-text", text));
  return part;
}
