// seedui.bench.run: a suite across the lanes, every answer checked in this browser.
//
//   seedui.bench.run({suite, limit, lanes, settings, inFlight, timeoutMs, checks})
//     -> Promise<{suite, label, problems, settings, meta, stopped, error,
//                 lanes: {lane: {model, display_name, role, engine, passed, total, stats,
//                                results: {task_id: {verdict, code, error, answer, reasoning, stats, check_ms}}}}}>
//   seedui.bench.stop()       stops the run in progress (it resolves with what it has, `stopped: true`)
//   seedui.bench.show(run)    draws a saved run
//
// The server gives the problems (/bench_suite) and, per problem and lane, the answer and the program to
// check (/bench_generate, `inFlight` requests at once per lane). Each program is checked with the
// problem's tests in a pristine interpreter (`checks` at once), never on the server; `verdict` is
// pass, fail (`error` holds the failing assertion), error or timeout. `code + "\n" + tests` is what ran.
// A request the server refuses (a bad suite file, an unknown lane, a rate limit) rejects the run before
// it starts, or stops it after (`error`); a lane that fails on one problem is that problem's error.

import { ApiError, callApi } from "./bench_api.mjs";
import { score } from "./bench_stats.mjs";
import { laneResult } from "./checks.mjs";

const NO_CODE = "The answer has no Python code to check.";
const BUSY_RETRIES = 8; // a full queue is asked again after 1, 2, ... 8 s (36 s in all) before the run stops
const CONFIG_WAIT_MS = 15000;
export const DEFAULT_SUITE = "humaneval-quick";

/** The server's Bench config (seedui/ui/bench_tab.py page_config), once the page has rendered it. */
export async function benchConfig(waitMs = CONFIG_WAIT_MS) {
  const started = performance.now();
  for (;;) {
    const node = document.getElementById("seedui-bench-config");
    if (node) return JSON.parse(node.getAttribute("data-config") || "{}");
    if (performance.now() - started > waitMs) throw new Error("This page has no Bench (its config is missing).");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The run's plan from the caller's options and the server's config; throws on an unknown lane. */
export function plan(options, config, cores = (globalThis.navigator && navigator.hardwareConcurrency) || 2) {
  const known = Object.keys(config.lanes || {});
  let lanes = options.lanes == null || options.lanes.length === 0 ? known : [].concat(options.lanes).map(String);
  const unknown = lanes.filter((name) => !known.includes(name));
  if (unknown.length) throw new Error(`unknown lane '${unknown[0]}'; lanes here: ${known.join(", ")}`);
  lanes = Array.from(new Set(lanes));
  const max = Math.max(1, Number(config.maxInFlight) || 1);
  const asked = (name) => {
    const given = options.inFlight && typeof options.inFlight === "object" ? options.inFlight[name] : options.inFlight;
    const n = Math.floor(Number(given) || Number(config.lanes[name].in_flight) || 1);
    return Math.min(max, Math.max(1, n));
  };
  const inFlight = Object.fromEntries(lanes.map((name) => [name, asked(name)]));
  const sum = Object.values(inFlight).reduce((a, b) => a + b, 0);
  if (sum > max) for (const name of lanes) inFlight[name] = Math.max(1, Math.floor((inFlight[name] * max) / sum));
  const limit = Math.floor(Number(options.limit));
  return {
    suite: options.suite == null || options.suite === "" ? DEFAULT_SUITE : options.suite,
    lanes,
    inFlight,
    limit: limit > 0 ? limit : null,
    settings: options.settings && typeof options.settings === "object" ? options.settings : {},
    timeoutMs: Number(options.timeoutMs) > 0 ? Number(options.timeoutMs) : Number(config.timeLimitS) * 1000,
    checks: Math.max(1, Math.floor(Number(options.checks) || Math.min(4, Math.max(2, cores)))),
  };
}

const now = () => performance.now();
const seconds = (ms) => Math.round(ms) / 1000;
const message = (err) => String(err && err.message ? err.message : err);

/**
 * @param {{check: (job: {code: string, tests: string, timeoutMs: number, signal: AbortSignal}) =>
 *           Promise<{verdict: string, error: string | null, check_ms: number} | null>,
 *         prewarm: (n: number) => void, view: {update(state: object): void, show(run: object, z: number): void},
 *         call?: typeof callApi, config?: typeof benchConfig}} parts
 */
export function makeBench({ check, prewarm, view, call = callApi, config = benchConfig }) {
  let current = null; // {controller, state} of the run in progress

  async function run(options = {}) {
    if (current) throw new Error("A bench run is already in progress: stop it first.");
    const controller = new AbortController();
    const signal = controller.signal;
    current = { controller };
    let p;
    let cfg;
    try {
      cfg = await config();
      p = plan(options || {}, cfg);
    } catch (err) {
      current = null;
      throw err;
    }
    const state = newState(p, cfg);
    view.update(state);
    try {
      const suite = await call("bench_suite", typeof p.suite === "string" ? [p.suite, null] : [p.suite.name || "upload", p.suite.jsonl], signal);
      state.suite = suite.suite;
      state.label = suite.label;
      state.problems = p.limit ? suite.problems.slice(0, p.limit) : suite.problems;
      state.builtIn = typeof p.suite === "string";
    } catch (err) {
      current = null;
      state.error = signal.aborted ? "Stopped before it started." : message(err);
      state.finished = true;
      view.update(state);
      throw err instanceof ApiError ? err : new Error(state.error);
    }
    prewarm(p.checks + 1);
    state.t0 = now();
    view.update(state);
    try {
      const checks = new CheckQueue(p.checks, check, signal);
      const stopWith = (why) => {
        if (!state.error) state.error = why;
        controller.abort();
      };
      await Promise.all(p.lanes.map((lane) => generateLane(state, lane, p, call, checks, signal, stopWith, view)));
      await checks.drained();
    } finally {
      prewarm(0);
      state.finished = true;
      state.stopped = signal.aborted;
      state.t1 = now();
      current = null;
      view.update(state);
    }
    return result(state);
  }

  function stop() {
    if (current) current.controller.abort();
  }

  /** Draw a saved run (as /load_bench gives it). */
  async function show(saved) {
    view.show(saved, Number((await config()).z));
  }

  return { run, stop, show, running: () => current !== null };
}

function newState(p, cfg) {
  const lanes = {};
  for (const name of p.lanes) {
    const info = cfg.lanes[name];
    lanes[name] = {
      model: info.model, display_name: info.display_name, role: info.role, engine: info.engine,
      results: {}, busy: {}, tokens: 0, first: null, last: null, genMs: 0, checkMs: 0,
    }; // prettier-ignore
  }
  return {
    suite: typeof p.suite === "string" ? p.suite : p.suite.name || "upload",
    label: "",
    problems: [],
    settings: p.settings,
    plan: p,
    z: Number(cfg.z),
    lanes,
    t0: null,
    t1: null,
    lastAnswer: null,
    stopped: false,
    finished: false,
    error: null,
  };
}

async function generateLane(state, lane, p, call, checks, signal, stopWith, view) {
  const own = state.lanes[lane];
  let next = 0;
  const worker = async () => {
    while (!signal.aborted && next < state.problems.length) {
      const problem = state.problems[next++];
      const ref = state.builtIn ? { suite: state.suite, task_id: problem.task_id } : problem;
      own.busy[problem.task_id] = "generating";
      own.first = own.first === null ? now() : own.first;
      view.update(state);
      const asked = now();
      let answer;
      try {
        answer = await patiently(() => call("bench_generate", [ref, lane, p.settings], signal), signal);
      } catch (err) {
        delete own.busy[problem.task_id];
        if (!signal.aborted) stopWith(err instanceof ApiError ? message(err) : `The server could not be reached: ${message(err)}`);
        return;
      }
      own.last = state.lastAnswer = now();
      own.genMs += own.last - asked;
      own.tokens += Number((answer.stats || {}).completion_tokens) || 0;
      const record = { code: answer.code || "", answer: answer.text || "", reasoning: answer.reasoning || "", stats: answer.stats || {} };
      if (answer.error) {
        delete own.busy[problem.task_id];
        own.results[problem.task_id] = { ...record, verdict: "error", error: `No answer: ${answer.error}`, check_ms: null };
        view.update(state);
        continue;
      }
      if (!record.code.trim()) {
        delete own.busy[problem.task_id];
        own.results[problem.task_id] = { ...record, verdict: "error", error: NO_CODE, check_ms: null };
        view.update(state);
        continue;
      }
      own.busy[problem.task_id] = "checking";
      view.update(state);
      checks.add({ code: record.code, tests: answer.tests, timeoutMs: p.timeoutMs }).then((outcome) => {
        delete own.busy[problem.task_id];
        if (outcome && outcome.failed) return stopWith(outcome.failed);
        if (!outcome) return; // stopped
        own.checkMs += outcome.wallMs;
        own.results[problem.task_id] = { ...record, verdict: outcome.verdict, error: outcome.error, check_ms: outcome.check_ms };
        view.update(state);
      });
    }
  };
  await Promise.all(Array.from({ length: p.inFlight[lane] }, worker));
}

/** ``ask()``, asked again while the server's queue is full (other visitors' runs), a little later each time. */
async function patiently(ask, signal) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ask();
    } catch (err) {
      if (!(err instanceof ApiError && err.busy) || attempt > BUSY_RETRIES || signal.aborted) throw err;
      await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
    }
  }
}

/** Checks, at most ``limit`` at once; each resolves with its outcome, null when stopped, or {failed}. */
class CheckQueue {
  constructor(limit, check, signal) {
    Object.assign(this, { limit, check, signal, running: 0, waiting: [], all: [] });
    signal.addEventListener("abort", () => this.waiting.splice(0).forEach((job) => job.resolve(null)), { once: true });
  }

  add(job) {
    const done = new Promise((resolve) => this.waiting.push({ ...job, resolve }));
    this.all.push(done);
    this.pump();
    return done;
  }

  pump() {
    while (this.running < this.limit && this.waiting.length && !this.signal.aborted) {
      const job = this.waiting.shift();
      this.running += 1;
      this.once(job)
        .then(job.resolve)
        .finally(() => {
          this.running -= 1;
          this.pump();
        });
    }
  }

  // A check the sandbox could not run (it did not start) is tried once more; twice is the run's error.
  async once(job) {
    for (let attempt = 0; attempt < 2; attempt++) {
      const started = now();
      const outcome = await this.check({ code: job.code, tests: job.tests, timeoutMs: job.timeoutMs, signal: this.signal });
      if (outcome === null || this.signal.aborted) return null;
      if (!outcome.sandboxError) return { ...outcome, wallMs: now() - started };
      if (attempt === 1) return { failed: `The browser sandbox could not check the answers: ${outcome.sandboxError}` };
    }
    return null;
  }

  async drained() {
    let seen = 0;
    while (seen < this.all.length) {
      seen = this.all.length;
      await Promise.all(this.all);
    }
  }
}

/**
 * A bench check through seedui.run: a pristine interpreter, the problem's tests after the program. Resolves
 * with the verdict, null when stopped, or {sandboxError} when the sandbox could not run it at all.
 */
export function checker(run) {
  return async ({ code, tests, timeoutMs, signal }) => {
    const res = await run({ language: "python", code, tests, mode: "check", pristine: true, timeoutMs, signal });
    if (res.stopped) return null;
    if (!res.check && !res.timedOut) return { sandboxError: res.error || "the check did not run" };
    const r = laneResult(res);
    return { verdict: r.status, error: r.status === "pass" ? null : r.detail, check_ms: r.durationMs };
  };
}

/** What bench.run resolves to (and what the Bench tab saves): the run without its bookkeeping. */
export function result(state) {
  const lanes = {};
  for (const [name, lane] of Object.entries(state.lanes)) {
    const s = score(lane.results, state.z);
    const genS = lane.first === null || lane.last === null ? 0 : seconds(lane.last - lane.first);
    lanes[name] = {
      model: lane.model,
      display_name: lane.display_name,
      role: lane.role,
      engine: lane.engine,
      passed: s.passed,
      total: s.total,
      stats: {
        pass_at_1: s.passAt1, ci_low: s.low, ci_high: s.high, tokens: lane.tokens,
        tokens_per_s: genS > 0 ? Math.round((10 * lane.tokens) / genS) / 10 : null,
        generation_s: genS, generation_busy_s: seconds(lane.genMs), checking_busy_s: seconds(lane.checkMs),
      }, // prettier-ignore
      results: lane.results,
    };
  }
  const end = state.t1 || now();
  return {
    suite: state.suite,
    label: state.label,
    problems: state.problems,
    settings: state.settings,
    meta: {
      in_flight: state.plan.inFlight,
      checks_at_once: state.plan.checks,
      time_limit_s: state.plan.timeoutMs / 1000,
      wall_s: state.t0 === null ? 0 : seconds(end - state.t0),
      answers_s: state.t0 === null || state.lastAnswer === null ? 0 : seconds(state.lastAnswer - state.t0),
      checking_tail_s: state.lastAnswer === null ? 0 : seconds(Math.max(0, end - state.lastAnswer)),
    },
    lanes,
    stopped: state.stopped,
    error: state.error,
  };
}
