// SeedUI JavaScript worker: one per run, started by the runner frame (runner/workers.mjs) before the run
// (javascript_run.mjs keeps one spare, loaded and waiting for its code). It captures console output and runs
// the code as a classic script (indirect eval) or, when the code uses import/export/top-level await, as a
// module. The run ends when the code has finished and no timer is pending (like Node exiting), or on an
// uncaught error.
//
// As in the Python worker, results leave through a MessagePort kept in this module's closures; the global
// postMessage reaches nobody. No DOM here: code that needs one is what HTML previews are for.

import * as msg from "../shared/protocol.mjs";
import { describeError, formatArgs, inspect } from "./inspect.mjs";
import { workerOutput } from "./output.mjs";
import { startOnce } from "./start.mjs";

/** Called by the bootstrap (runner/workers.mjs) with the runner's port and its start message. */
export const start = startOnce(main);

function main(port, cfg) {
  port.onmessage = (event) => {
    const command = msg.readWorkerCommand(event.data);
    if (!command || command.type !== "run") return;
    port.onmessage = null; // one run per worker
    run(port, cfg, command);
  };
}

function run(port, cfg, command) {
  const send = MessagePort.prototype.postMessage.bind(port);
  const runId = command.runId;
  const tell = (e) => send(msg.workerEvent(runId, e));
  const output = workerOutput(send, { maxChars: cfg.maxOutputChars, maxImages: 0, maxImageChars: 0 });
  output.begin(runId);
  let finished = false;
  let error = null;

  function write(kind, text) {
    if (!finished) output.emit(kind, text);
  }

  // ---- console -------------------------------------------------------------
  let indent = "";
  const counts = new Map();
  const timers = new Map();
  const line = (kind) => (...args) => write(kind, indent + formatArgs(args).split("\n").join("\n" + indent) + "\n");
  const con = {
    log: line("stdout"),
    info: line("stdout"),
    debug: line("stdout"),
    trace: line("stderr"),
    warn: line("stderr"),
    error: line("stderr"),
    dir: (value) => write("stdout", indent + inspect(value, 0) + "\n"),
    table: (value) => write("stdout", indent + inspect(value, 0) + "\n"),
    assert: (cond, ...args) => {
      if (!cond) line("stderr")("Assertion failed" + (args.length ? ":" : ""), ...args);
    },
    count: (label = "default") => {
      counts.set(label, (counts.get(label) || 0) + 1);
      line("stdout")(`${label}: ${counts.get(label)}`);
    },
    countReset: (label = "default") => counts.delete(label),
    time: (label = "default") => timers.set(label, performance.now()),
    timeLog: (label = "default", ...args) => {
      if (timers.has(label)) line("stdout")(`${label}: ${(performance.now() - timers.get(label)).toFixed(3)}ms`, ...args);
    },
    timeEnd: (label = "default") => {
      if (!timers.has(label)) return;
      line("stdout")(`${label}: ${(performance.now() - timers.get(label)).toFixed(3)}ms`);
      timers.delete(label);
    },
    group: (...args) => {
      if (args.length) line("stdout")(...args);
      indent += "  ";
    },
    groupEnd: () => {
      indent = indent.slice(2);
    },
    clear: () => {},
  };
  con.groupCollapsed = con.group;
  self.console = con;

  // ---- completion: code done and no pending timers --------------------------
  const active = new Set();
  const realSetTimeout = self.setTimeout.bind(self);
  const realClearTimeout = self.clearTimeout.bind(self);
  const realSetInterval = self.setInterval.bind(self);
  const realClearInterval = self.clearInterval.bind(self);
  let codeDone = false;
  self.setTimeout = (fn, ms, ...args) => {
    const id = realSetTimeout(() => {
      active.delete(id);
      try {
        if (typeof fn === "function") fn(...args);
      } finally {
        maybeFinish();
      }
    }, ms);
    active.add(id);
    return id;
  };
  self.clearTimeout = (id) => {
    realClearTimeout(id);
    active.delete(id);
    maybeFinish();
  };
  self.setInterval = (fn, ms, ...args) => {
    const id = realSetInterval(() => {
      if (typeof fn === "function") fn(...args);
    }, ms);
    active.add(id);
    return id;
  };
  self.clearInterval = (id) => {
    realClearInterval(id);
    active.delete(id);
    maybeFinish();
  };

  function finish() {
    if (finished) return;
    finished = true;
    output.end();
    tell(msg.doneEvent({ result: { ok: error === null, error, exitCode: null }, durationMs: performance.now() - started }));
  }

  function maybeFinish() {
    if (!codeDone || finished) return;
    // Let pending promise callbacks and unhandled-rejection events run before deciding.
    realSetTimeout(() => {
      realSetTimeout(() => {
        if (active.size === 0) finish();
      }, 0);
    }, 0);
  }

  function fail(err) {
    if (finished) return;
    error = describeError(err);
    finish();
  }

  self.addEventListener("error", (event) => {
    event.preventDefault();
    fail(event.error !== undefined ? event.error : event.message);
  });
  self.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    fail(event.reason);
  });

  const code = command.code;
  tell(msg.phaseEvent("running"));
  const started = performance.now();
  let asModule = false;
  try {
    new Function(code); // parse only
  } catch (err) {
    asModule = err instanceof SyntaxError && /\b(import|export|await)\b/.test(String(err.message));
    if (!asModule) {
      fail(err);
      return;
    }
  }
  if (asModule) {
    const url = URL.createObjectURL(new Blob([code + "\n//# sourceURL=main.mjs"], { type: "text/javascript" }));
    import(url).then(
      () => {
        codeDone = true;
        maybeFinish();
      },
      (err) => fail(err),
    );
  } else {
    try {
      (0, eval)(code + "\n//# sourceURL=main.js");
      codeDone = true;
      maybeFinish();
    } catch (err) {
      fail(err);
    }
  }
}
