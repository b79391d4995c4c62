// The messages between the page, the runner frame, its workers and the HTML preview frames. Each message
// is made by one builder here and read by one reader here; nothing else writes or reads one.
//
//   page  --window--> nothing, ever: after the hello, everything goes through the frame's MessagePort
//   runner frame --window--> page   runnerHello (with the port)      read by readRunnerHello
//   page --port--> runner           ping, warm, stop, run            read by readRunnerCommand
//   runner --port--> page           pong, runEvent(RunEvent)         read by readRunnerReply
//   runner --global--> worker       workerStart (with the port)      read by readWorkerStart
//   runner --port--> Python worker  snapshotOffer, workerRun         read by readWorkerCommand
//   worker --port--> runner         ready, boot-error, snapshot,     read by readWorkerMessage
//                                   spawned, workerEvent(RunEvent),
//                                   check-plan, check-step
//   preview --window--> page        seedui-preview-hello (port)      read by readPreviewHello
//   page --port--> preview          previewHtml                      read inline in preview.html
//   preview --port--> page          rendered, nested-frame, refused  read by readPreviewReply
//
// preview.html is the one exception to "built here": its script must be inline and self-contained (its CSP
// loads no script URL, and everything it uses is captured before the previewed page runs), so it writes its
// four messages as literals; tests/sandbox/js/protocol.test.mjs checks each against the reader here.
//
// A reader returns a fresh object holding only the fields it knows, each of the right type, or null: what
// another frame or a worker sends is untrusted (a worker runs user code, a frame can be navigated).
// Builders make plain object literals and call no global with the message itself: a worker uses them after
// user code, which can replace globals there, has run.

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
const isString = (value) => typeof value === "string";
const isCount = (value) => typeof value === "number" && Number.isFinite(value) && value >= 0;
const BASE64 = /^[A-Za-z0-9+/=]+$/;

/** @typedef {"stdout" | "stderr" | "image"} ChunkKind */
/** @typedef {[ChunkKind, string]} Chunk  an image is base64 PNG data */
/** @typedef {{type: string, message: string, traceback: string}} RunError */
/** @typedef {{status: "pass" | "fail" | "error", detail: string, passed?: number, failed?: number}} Verdict */
/**
 * What the code did, from the worker (a check's verdict is added by the runner).
 * @typedef {{ok: boolean, error: RunError | null, exitCode: number | null, ranToEnd: boolean, check?: Verdict}} Outcome
 */
/**
 * One step of a run, from the worker to the runner and from the runner to the page.
 * "output" adds to what was shown; "tail" replaces the output held beyond the head (shared/output_cap.mjs).
 * @typedef {{kind: "phase", phase: string, packages: string[]}
 *   | {kind: "output", chunks: Chunk[]}
 *   | {kind: "tail", chunks: Chunk[], cut: {chars: number, bytes: number, lines: number}}
 *   | {kind: "notice", text: string}
 *   | {kind: "done", result: Outcome | null, durationMs: number, totalMs: number, timedOut: boolean,
 *      stopped: boolean, unavailable: Object<string, string>, boot: Object<string, number> | null}} RunEvent
 */

export const PHASES = Object.freeze(["starting", "queued", "packages", "running"]);
/** The most pristine interpreters a page may ask the runner to keep booted (each holds ~50 MB). */
export const MAX_WARM_CHECKS = 8;
export const LANGUAGES = Object.freeze(["python", "javascript"]);

/** Whether a window message claims to be one of ours (what the page counts as rejected when it is not). */
export function claimsSeedui(data) {
  return isObject(data) && isString(data.type) && data.type.startsWith("seedui-");
}

// ---- the runner frame's hello (window message, with the port) ------------------------------------------

/** @typedef {{type: "seedui-runner-hello", secret: string, version: string, local: boolean, timeoutMs: number}} RunnerHello */

/** @returns {RunnerHello} */
export function runnerHello(secret, version, local, timeoutMs) {
  return { type: "seedui-runner-hello", secret: String(secret), version: String(version), local: local === true, timeoutMs: Number(timeoutMs) };
}

/** @returns {RunnerHello | null} */
export function readRunnerHello(data) {
  if (!isObject(data) || data.type !== "seedui-runner-hello" || !isString(data.secret)) return null;
  if (!isString(data.version) || typeof data.local !== "boolean" || !isCount(data.timeoutMs)) return null;
  return runnerHello(data.secret, data.version, data.local, data.timeoutMs);
}

// ---- page -> runner ---------------------------------------------------------------------------------------

/**
 * @typedef {{type: "run", runId: string, nonce: string, language: "python" | "javascript", code: string,
 *   tests: string, mode: "run" | "check", pristine: boolean, timeoutMs: number}} RunCommand
 * @typedef {{type: "ping", id: string} | {type: "warm", checks: number} | {type: "stop", runId: string} | RunCommand} RunnerCommand
 */

export const ping = (id) => ({ type: "ping", id: String(id) });
/** Start Python before the first run; keep ``checks`` pristine interpreters booted for checks (0: none). */
export const warm = (checks = 0) => ({ type: "warm", checks: Math.max(0, Math.floor(Number(checks) || 0)) });
export const stop = (runId) => ({ type: "stop", runId: String(runId) });

/** @returns {RunCommand} */
export function runCommand({ runId, nonce, language, code, tests = "", mode = "run", pristine = false, timeoutMs }) {
  return {
    type: "run",
    runId: String(runId),
    nonce: String(nonce),
    language,
    code: String(code),
    tests: String(tests),
    mode: mode === "check" ? "check" : "run",
    pristine: pristine === true,
    timeoutMs: Number(timeoutMs),
  };
}

/** @returns {RunnerCommand | null} */
export function readRunnerCommand(data) {
  if (!isObject(data)) return null;
  if (data.type === "ping") return isString(data.id) ? ping(data.id) : null;
  if (data.type === "warm") return isCount(data.checks) ? warm(Math.min(data.checks, MAX_WARM_CHECKS)) : null;
  if (data.type === "stop") return isString(data.runId) ? stop(data.runId) : null;
  if (data.type !== "run") return null;
  const { runId, nonce, language, code, tests, mode, pristine, timeoutMs } = data;
  if (!isString(runId) || !isString(nonce) || !LANGUAGES.includes(language) || !isString(code) || !isString(tests)) return null;
  if ((mode !== "run" && mode !== "check") || typeof pristine !== "boolean" || !(isCount(timeoutMs) && timeoutMs > 0)) return null;
  return runCommand(data);
}

// ---- runner -> page ---------------------------------------------------------------------------------------

/** @typedef {{type: "seedui-runner-pong", id: string} | {type: "seedui-run-event", runId: string, nonce: string, event: RunEvent}} RunnerReply */

export const pong = (id) => ({ type: "seedui-runner-pong", id: String(id) });
export const runEvent = (runId, nonce, event) => ({ type: "seedui-run-event", runId: String(runId), nonce: String(nonce), event });

/** @returns {RunnerReply | null} */
export function readRunnerReply(data) {
  if (!isObject(data)) return null;
  if (data.type === "seedui-runner-pong") return isString(data.id) ? pong(data.id) : null;
  if (data.type !== "seedui-run-event" || !isString(data.runId) || !isString(data.nonce)) return null;
  const event = readRunEvent(data.event);
  return event && runEvent(data.runId, data.nonce, event);
}

// ---- run events (worker -> runner -> page) ------------------------------------------------------------------

export const phaseEvent = (phase, packages = []) => ({ kind: "phase", phase: String(phase), packages });
export const outputEvent = (chunks) => ({ kind: "output", chunks });
export const noticeEvent = (text) => ({ kind: "notice", text: String(text) });
/** @param {import("./output_cap.mjs").Tail} tail */
export const tailEvent = (tail) => ({ kind: "tail", chunks: tail.chunks, cut: { chars: tail.cut.chars, bytes: tail.cut.bytes, lines: tail.cut.lines } });

/** A run that ended: ``result`` is the worker's outcome (null when it was stopped or timed out). */
export function doneEvent({ result = null, durationMs = 0, totalMs = 0, timedOut = false, stopped = false, unavailable = {}, boot = null }) {
  return { kind: "done", result, durationMs, totalMs, timedOut: timedOut === true, stopped: stopped === true, unavailable, boot };
}

/** An outcome that says the sandbox itself failed (a worker that did not start, packages that did not load). */
export const sandboxError = (message) => ({ ok: false, error: { type: "SandboxError", message: String(message), traceback: "" }, exitCode: null, ranToEnd: false });

/** @returns {Chunk[]} the well-formed chunks of ``chunks`` (the rest is dropped) */
export function readChunks(chunks) {
  if (!Array.isArray(chunks)) return [];
  const kept = [];
  for (const chunk of chunks) {
    if (!Array.isArray(chunk) || !isString(chunk[1])) continue;
    const [kind, text] = chunk;
    if (kind === "stdout" || kind === "stderr" || (kind === "image" && BASE64.test(text))) kept.push([kind, text]);
  }
  return kept;
}

/** @returns {RunEvent | null} */
export function readRunEvent(event) {
  if (!isObject(event)) return null;
  if (event.kind === "phase") {
    if (!PHASES.includes(event.phase)) return null;
    return phaseEvent(event.phase, Array.isArray(event.packages) ? event.packages.filter(isString) : []);
  }
  if (event.kind === "output") return Array.isArray(event.chunks) ? outputEvent(readChunks(event.chunks)) : null;
  if (event.kind === "tail") {
    const cut = event.cut;
    if (!Array.isArray(event.chunks) || !isObject(cut) || ![cut.chars, cut.bytes, cut.lines].every(Number.isSafeInteger)) return null;
    if (cut.chars < 0 || cut.bytes < 0 || cut.lines < 0) return null;
    return tailEvent({ chunks: readChunks(event.chunks).filter(([kind]) => kind !== "image"), cut });
  }
  if (event.kind === "notice") return isString(event.text) ? noticeEvent(event.text) : null;
  if (event.kind !== "done") return null;
  const unavailable = {};
  if (isObject(event.unavailable)) {
    for (const [name, why] of Object.entries(event.unavailable)) if (isString(why)) unavailable[name] = why;
  }
  let boot = null;
  if (isObject(event.boot)) {
    boot = {};
    for (const [name, value] of Object.entries(event.boot)) if (isCount(value)) boot[name] = value;
  }
  return doneEvent({
    result: event.result == null ? null : readOutcome(event.result),
    durationMs: isCount(event.durationMs) ? event.durationMs : 0,
    totalMs: isCount(event.totalMs) ? event.totalMs : 0,
    timedOut: event.timedOut === true,
    stopped: event.stopped === true,
    unavailable,
    boot,
  });
}

/** @returns {Outcome} a malformed outcome reads as a failed run */
export function readOutcome(result) {
  if (!isObject(result)) return sandboxError("The run's outcome could not be read.");
  const e = result.error;
  const error = isObject(e) ? { type: String(e.type || "Error"), message: String(e.message || ""), traceback: String(e.traceback || "") } : null;
  const outcome = {
    ok: result.ok === true,
    error: result.ok === true ? null : error,
    exitCode: typeof result.exitCode === "number" && Number.isFinite(result.exitCode) ? result.exitCode : null,
    ranToEnd: result.ranToEnd === true,
  };
  const c = result.check;
  if (isObject(c) && ["pass", "fail", "error"].includes(c.status)) {
    outcome.check = { status: c.status, detail: String(c.detail || "") };
    if (isCount(c.passed)) outcome.check.passed = c.passed;
    if (isCount(c.failed)) outcome.check.failed = c.failed;
  }
  return outcome;
}

// ---- runner <-> workers ---------------------------------------------------------------------------------

/** The first message a worker gets (on its global scope, with its port): what it needs to start. */
export const workerStart = (config) => ({ type: "start", config });

export function readWorkerStart(data) {
  return isObject(data) && data.type === "start" && isObject(data.config) ? workerStart(data.config) : null;
}

/**
 * The start-up snapshot for a Python worker (or null: none yet; `makeSnapshot`: this worker makes it), with
 * what the runner loaded once for every worker: Pyodide's compiled WebAssembly module and its lock file (or null).
 */
export const snapshotOffer = (data, makeSnapshot, wasm = null, lock = null) => ({
  type: "snapshot",
  data: data instanceof Uint8Array ? data : null,
  makeSnapshot: makeSnapshot === true,
  wasm: wasm instanceof WebAssembly.Module ? wasm : null,
  lock: isObject(lock) ? lock : null,
});
/** @returns {{type: "run", runId: string, code: string, tests: string, mode: "run" | "check"}} */
export const workerRun = (runId, code, tests, mode) => ({ type: "run", runId: String(runId), code: String(code), tests: String(tests), mode: mode === "check" ? "check" : "run" });

export function readWorkerCommand(data) {
  if (!isObject(data)) return null;
  if (data.type === "snapshot") return snapshotOffer(data.data, data.makeSnapshot, data.wasm, data.lock);
  if (data.type !== "run" || !isString(data.runId) || !isString(data.code) || !isString(data.tests)) return null;
  return data.mode === "run" || data.mode === "check" ? workerRun(data.runId, data.code, data.tests, data.mode) : null;
}

export const workerReady = (bootMs, timings) => ({ type: "ready", bootMs: Number(bootMs), timings });
export const bootError = (message) => ({ type: "boot-error", message: String(message) });
export const snapshotMade = (data) => ({ type: "snapshot", data });
/** After a check: the interpreter is back as it was before any check (worker/python_reset.mjs), fit for another. */
export const workerReset = (runId) => ({ type: "reset", runId: String(runId) });
/** User code started workers in this one: the runner replaces it after the run. */
export const spawned = () => ({ type: "spawned" });
export const workerEvent = (runId, event) => ({ type: "event", runId: String(runId), event });
/** Sent before the answer's code runs: the steps a check will take (`error`: the tests do not compile). */
export const checkPlan = (runId, error, tests) => ({ type: "check-plan", runId: String(runId), error: error == null ? null : String(error), tests });
/** One step's outcome, in plan order (step 0 is the test module; then each planned test). */
export const checkStep = (runId, index, ok, detail) => ({ type: "check-step", runId: String(runId), index: Number(index), ok: ok === true, detail: String(detail) });

/**
 * @typedef {{type: "ready", bootMs: number, timings: Object<string, number>} | {type: "boot-error", message: string}
 *   | {type: "snapshot", data: Uint8Array} | {type: "spawned"} | {type: "reset", runId: string}
 *   | {type: "event", runId: string, event: RunEvent}
 *   | {type: "check-plan", runId: string, error: string | null, tests: string[]}
 *   | {type: "check-step", runId: string, index: number, ok: boolean, detail: string}} WorkerMessage
 * @returns {WorkerMessage | null}
 */
export function readWorkerMessage(data) {
  if (!isObject(data)) return null;
  switch (data.type) {
    case "ready": {
      const timings = {};
      if (isObject(data.timings)) for (const [name, value] of Object.entries(data.timings)) if (isCount(value)) timings[name] = value;
      return isCount(data.bootMs) ? workerReady(data.bootMs, timings) : null;
    }
    case "boot-error":
      return bootError(isString(data.message) ? data.message : "the worker failed to start");
    case "snapshot":
      return data.data instanceof Uint8Array ? snapshotMade(data.data) : null;
    case "spawned":
      return spawned();
    case "reset":
      return isString(data.runId) ? workerReset(data.runId) : null;
    case "event": {
      const event = isString(data.runId) ? readRunEvent(data.event) : null;
      return event && workerEvent(data.runId, event);
    }
    case "check-plan":
      if (!isString(data.runId) || !(data.error === null || isString(data.error)) || !Array.isArray(data.tests)) return null;
      return data.tests.every(isString) ? checkPlan(data.runId, data.error, data.tests.slice()) : null;
    case "check-step":
      if (!isString(data.runId) || !Number.isInteger(data.index) || data.index < 0 || typeof data.ok !== "boolean") return null;
      return checkStep(data.runId, data.index, data.ok, isString(data.detail) ? data.detail : "");
    default:
      return null;
  }
}

// ---- page <-> HTML preview --------------------------------------------------------------------------------

/** The HTML a preview frame writes into itself (sent once, through its port). */
export const previewHtml = (html) => ({ type: "html", html: String(html) });

/** @returns {{type: "seedui-preview-hello", secret: string} | null} */
export function readPreviewHello(data) {
  return isObject(data) && data.type === "seedui-preview-hello" && isString(data.secret) ? { type: data.type, secret: data.secret } : null;
}

/** @returns {{type: "rendered"} | {type: "nested-frame"} | {type: "refused", reason: string} | null} */
export function readPreviewReply(data) {
  if (!isObject(data)) return null;
  if (data.type === "rendered" || data.type === "nested-frame") return { type: data.type };
  if (data.type === "refused" && isString(data.reason)) return { type: "refused", reason: data.reason };
  return null;
}
