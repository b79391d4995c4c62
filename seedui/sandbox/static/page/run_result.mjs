// What a run's events add up to: the result `seedui.run` resolves with, and what its onEvent hears. The
// page applies the output caps once more here, as the last line, whatever the runner frame sends. Output
// beyond the cap keeps its ends (shared/output_cap.mjs): `stdout`/`stderr` hold the head and the tail, and
// `cut` says what was cut between them.

import { OutputCap } from "../shared/output_cap.mjs";

export function formatMs(ms) {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

function errorText(error) {
  if (!error) return null;
  return error.traceback.trim() || `${error.type}: ${error.message}`;
}

/**
 * @typedef {{ok: boolean, stdout: string, stderr: string, error: string | null, timedOut: boolean,
 *   stopped: boolean, durationMs: number, totalMs: number, images: string[], notices: string[], language: string,
 *   exitCode?: number, check?: {status: string, detail: string}, boot?: Object<string, number>,
 *   unavailablePackages?: string[], cut?: import("../shared/output_cap.mjs").Cut}} RunResult
 * @typedef {{type: "phase", phase: string, packages: string[]} | {type: "stdout" | "stderr" | "notice", text: string}
 *   | {type: "image", url: string} | ({type: "tail"} & import("../shared/output_cap.mjs").Tail)
 *   | {type: "done", result: RunResult}} PageEvent  what onEvent hears; a "tail" replaces the one before
 */

/** @returns {RunResult} */
export function newResult(language) {
  return { ok: false, stdout: "", stderr: "", error: null, timedOut: false, stopped: false, durationMs: 0, totalMs: 0, images: [], notices: [], language };
}

/** Folds one run's events (already read by the protocol's reader) into its result. */
export class RunAccumulator {
  /**
   * @param {RunResult} result
   * @param {import("../shared/output_cap.mjs").OutputLimits} limits
   * @param {number} timeoutMs  the run's time limit (for the message when it is reached)
   */
  constructor(result, limits, timeoutMs) {
    this.result = result;
    this.cap = new OutputCap(limits);
    this.timeoutMs = timeoutMs;
    this.head = { stdout: "", stderr: "" };
  }

  /**
   * @param {import("../shared/protocol.mjs").RunEvent} ev
   * @returns {PageEvent[]} what to tell onEvent, in order (the last is "done" when the run has ended)
   */
  apply(ev) {
    const result = this.result;
    const said = [];
    const notice = (text) => {
      result.notices.push(text);
      said.push({ type: "notice", text });
    };
    if (ev.kind === "phase") {
      said.push({ type: "phase", phase: ev.phase, packages: ev.packages });
    } else if (ev.kind === "output") {
      const { chunks, notices } = this.cap.add(ev.chunks);
      for (const [kind, text] of chunks) {
        if (kind === "image") {
          const url = "data:image/png;base64," + text;
          result.images.push(url);
          said.push({ type: "image", url });
        } else {
          this.head[kind] += text;
          result[kind] += text;
          said.push({ type: kind, text });
        }
      }
      for (const text of notices) if (!result.notices.includes(text)) notice(text);
    } else if (ev.kind === "tail") {
      this.cap.setTail(ev);
    } else if (ev.kind === "notice") {
      notice(ev.text);
    }
    if (this.cap.changed) said.push(this.tail());
    if (ev.kind === "done") {
      this.finish(ev);
      said.push({ type: "done", result });
    }
    return said;
  }

  // The held tail, as the result's text after the head and as what onEvent hears.
  tail() {
    const result = this.result;
    const tail = this.cap.takeTail();
    const text = { stdout: "", stderr: "" };
    for (const [kind, part] of tail.chunks) text[kind] += part;
    result.stdout = this.head.stdout + text.stdout;
    result.stderr = this.head.stderr + text.stderr;
    if (tail.cut.chars > 0) result.cut = tail.cut;
    return { type: "tail", chunks: tail.chunks, cut: tail.cut };
  }

  finish(ev) {
    const result = this.result;
    result.durationMs = ev.durationMs;
    result.timedOut = ev.timedOut;
    result.stopped = ev.stopped;
    if (result.timedOut) {
      result.error = `TimeoutError: stopped at the time limit of ${formatMs(this.timeoutMs)}.`;
    } else if (result.stopped) {
      result.error = "Stopped.";
    } else {
      const outcome = ev.result;
      result.ok = Boolean(outcome && outcome.ok);
      result.error = result.ok ? null : (outcome && errorText(outcome.error)) || "The run failed.";
      if (outcome && outcome.exitCode !== null) result.exitCode = outcome.exitCode;
      if (outcome && outcome.check) result.check = { status: outcome.check.status, detail: outcome.check.detail };
    }
    if (ev.boot) result.boot = Object.assign({}, ev.boot);
    result.unavailablePackages = Object.keys(ev.unavailable);
  }
}
