// seedui.run: one piece of code to the runner frame (Python, JavaScript) or to a preview frame (HTML), and
// the result its events add up to.

import { runCommand } from "../shared/protocol.mjs";
import { randomId } from "./frames.mjs";
import { RunAccumulator, newResult } from "./run_result.mjs";

// The runner enforces the time limit; this only catches a runner that stopped answering.
const WATCHDOG_EXTRA_MS = 180000;

/**
 * @param {{config: object, languageOf: (name: string) => string | undefined, limits: object,
 *   runner: import("./runner_client.mjs").RunnerClient, previews: import("./previews.mjs").Previews,
 *   stats: {runs: number}}} page
 * @returns {(options: object) => Promise<import("./run_result.mjs").RunResult>}
 */
export function makeRun({ config, languageOf, limits, runner, previews, stats }) {
  return function run(options) {
    const opts = options || {};
    const language = languageOf(opts.language);
    const code = String(opts.code == null ? "" : opts.code);
    const timeoutMs = Number(opts.timeoutMs) > 0 ? Number(opts.timeoutMs) : config.timeoutMs;
    const notify = typeof opts.onEvent === "function" ? opts.onEvent : () => {};
    stats.runs += 1;
    if (language === "html") return previews.render(code, opts, notify);
    const result = newResult(language || String(opts.language));
    if (!language) {
      result.error = `Cannot run ${String(opts.language)} code: only Python, JavaScript and HTML run here.`;
      return Promise.resolve(result);
    }
    const runId = randomId();
    const started = performance.now();
    const accumulator = new RunAccumulator(result, limits, timeoutMs);
    return new Promise((resolve) => {
      let done = false;
      let watchdog = null;
      const finish = () => {
        done = true;
        clearTimeout(watchdog);
        runner.active.delete(runId);
        result.totalMs = performance.now() - started;
        resolve(result);
      };
      /** @type {import("./runner_client.mjs").RunRecord} */
      const record = {
        nonce: randomId(),
        sentTo: null, // the runner the run went to
        fail(message) {
          if (done) return;
          result.error = message;
          notify({ type: "done", result });
          finish();
        },
        onEvent(ev) {
          if (done) return;
          for (const said of accumulator.apply(ev)) notify(said);
          if (ev.kind === "done") finish();
        },
      };
      if (opts.signal) {
        if (opts.signal.aborted) {
          result.stopped = true;
          result.error = "Stopped before it started.";
          finish();
          return;
        }
        opts.signal.addEventListener("abort", () => !done && runner.stop(record, runId), { once: true });
      }
      runner.active.set(runId, record);
      watchdog = setTimeout(() => {
        if (done) return;
        result.error = "The code runner stopped answering.";
        finish();
      }, timeoutMs + WATCHDOG_EXTRA_MS);
      runner.live().then(
        (r) => {
          if (done) return;
          if (opts.signal && opts.signal.aborted) {
            result.stopped = true;
            result.error = "Stopped.";
            finish();
            return;
          }
          const tests = opts.tests == null ? "" : String(opts.tests);
          const mode = opts.mode === "check" ? "check" : "run";
          runner.send(r, record, runCommand({ runId, nonce: record.nonce, language, code, tests, mode, pristine: Boolean(opts.pristine), timeoutMs }));
        },
        (err) => {
          if (done) return;
          result.error = String(err && err.message ? err.message : err);
          finish();
        },
      );
    });
  };
}
