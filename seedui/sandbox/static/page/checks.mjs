// "Check the answers": each lane's last Python block, checked against the visitor's tests, each in a
// pristine interpreter of its own; the results as data (seedui.checkLanes) and as a table.
//
// Which lanes: the Compare tab's (`[data-seedui-lane]`, results in #seedui-check-results) unless the caller
// names others: the Battle tab checks its two sides (`data-seedui-battle-side`) into its own table, with
// titles ("Model A") in place of the lanes' names.

import { blockCode, el } from "./blocks.mjs";
import { formatMs } from "./run_result.mjs";

/** A check's run result as a lane's row. @returns {{status: string, detail: string, durationMs: number}} */
export function laneResult(res) {
  const durationMs = Math.round(res.durationMs || 0);
  if (res.timedOut) return { status: "timeout", detail: res.error, durationMs };
  if (res.check) return { status: res.check.status, detail: res.check.detail, durationMs };
  return { status: "error", detail: res.error || "The run failed.", durationMs };
}

/** @param {Object<string, string>} [titles] a lane's name as shown (the name itself when absent) */
export function renderCheckResults(target, results, titles = {}) {
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
    row.append(el("td", "seedui-check-lane", titles[lane] || lane), cell, el("td", "", r.status === "running" ? "" : formatMs(r.durationMs)), detail);
    table.append(row);
  }
  target.replaceChildren(table);
}

/**
 * @param {{languageOf: (name: string) => string | undefined, run: Function}} page
 * @returns {(testCode: string, timeoutMs?: number, where?: {attribute?: string, target?: string, titles?: Object<string, string>})
 *   => Promise<Object<string, {status: string, detail: string, durationMs: number}>>}
 */
export function makeCheckLanes({ languageOf, run }) {
  // lane name -> the code of its last Python block (null: it has none)
  const laneAnswers = (attribute) => {
    const lanes = new Map();
    for (const lane of document.querySelectorAll(`[${CSS.escape(attribute)}]`)) {
      const blocks = Array.from(lane.querySelectorAll(".seedui-code")).filter((b) => languageOf(b.getAttribute("data-lang")) === "python");
      lanes.set(lane.getAttribute(attribute), blocks.length ? blockCode(blocks[blocks.length - 1]) : null);
    }
    return lanes;
  };

  return async function checkLanes(testCode, timeoutMs, where = {}) {
    const { attribute = "data-seedui-lane", target: targetId = "seedui-check-results", titles = {} } = where;
    const tests = String(testCode == null ? "" : testCode);
    const lanes = laneAnswers(attribute);
    const target = document.getElementById(targetId);
    const show = () => target && renderCheckResults(target, results, titles);
    const results = {};
    for (const name of lanes.keys()) results[name] = { status: "running", detail: "", durationMs: 0 };
    show();
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
        show();
      }),
    );
    return results;
  };
}
