// "Check the answers": each lane's last Python block, checked against the visitor's tests, each in a
// pristine interpreter of its own; the results as data (seedui.checkLanes) and as a table.

import { blockCode, el } from "./blocks.mjs";
import { formatMs } from "./run_result.mjs";

/** A check's run result as a lane's row. @returns {{status: string, detail: string, durationMs: number}} */
export function laneResult(res) {
  const durationMs = Math.round(res.durationMs || 0);
  if (res.timedOut) return { status: "timeout", detail: res.error, durationMs };
  if (res.check) return { status: res.check.status, detail: res.check.detail, durationMs };
  return { status: "error", detail: res.error || "The run failed.", durationMs };
}

export function renderCheckResults(target, results) {
  const table = el("table", "seedui-check-table");
  const head = el("tr");
  for (const title of ["Lane", "Result", "Time", "Detail"]) head.append(el("th", "", title));
  table.append(head);
  for (const [lane, r] of Object.entries(results)) {
    const row = el("tr", "seedui-check-row");
    row.setAttribute("data-lane", lane);
    row.setAttribute("data-status", r.status);
    const badge = el("span", `seedui-badge seedui-badge-${r.status}`, r.status);
    const cell = el("td");
    cell.append(badge);
    const detail = el("td");
    detail.append(el("pre", "seedui-check-detail", r.detail || ""));
    row.append(el("td", "seedui-check-lane", lane), cell, el("td", "", r.status === "running" ? "" : formatMs(r.durationMs)), detail);
    table.append(row);
  }
  target.replaceChildren(table);
}

/**
 * @param {{languageOf: (name: string) => string | undefined, run: Function}} page
 * @returns {(testCode: string, timeoutMs?: number) => Promise<Object<string, {status: string, detail: string, durationMs: number}>>}
 */
export function makeCheckLanes({ languageOf, run }) {
  // lane name -> the code of its last Python block (null: it has none)
  const laneAnswers = () => {
    const lanes = new Map();
    for (const lane of document.querySelectorAll("[data-seedui-lane]")) {
      const blocks = Array.from(lane.querySelectorAll(".seedui-code")).filter((b) => languageOf(b.getAttribute("data-lang")) === "python");
      lanes.set(lane.getAttribute("data-seedui-lane"), blocks.length ? blockCode(blocks[blocks.length - 1]) : null);
    }
    return lanes;
  };

  return async function checkLanes(testCode, timeoutMs) {
    const tests = String(testCode == null ? "" : testCode);
    const lanes = laneAnswers();
    const target = document.getElementById("seedui-check-results");
    const results = {};
    for (const name of lanes.keys()) results[name] = { status: "running", detail: "", durationMs: 0 };
    if (target) renderCheckResults(target, results);
    await Promise.all(
      Array.from(lanes, async ([name, code]) => {
        if (code === null || !code.trim()) {
          results[name] = { status: "error", detail: "This answer has no Python code block to run.", durationMs: 0 };
        } else if (!tests.trim()) {
          results[name] = { status: "error", detail: "There is no test code: write asserts or test_* functions.", durationMs: 0 };
        } else {
          const res = await run({ language: "python", code, tests, mode: "check", pristine: true, timeoutMs });
          results[name] = laneResult(res);
        }
        if (target) renderCheckResults(target, results);
      }),
    );
    return results;
  };
}
