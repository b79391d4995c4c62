// SeedUI JavaScript worker: one per run, a classic Web Worker started from a
// blob: URL inside the sandboxed runner frame. It captures console output and
// runs the code as a classic script (indirect eval) or, when the code uses
// import/export/top-level await, as a module. The run ends when the code has
// finished and no timer is pending (like Node exiting), or on an uncaught error.
//
// As in the Python worker, results leave through a MessagePort kept in this
// closure; the global postMessage reaches nobody. No DOM here: code that needs
// one is what HTML previews are for.
(function () {
"use strict";

self.onmessage = (event) => {
  self.onmessage = null;
  const port = event.ports && event.ports[0];
  if (!port) return;
  main(port, event.data);
};

function main(port, msg) {
  const send = MessagePort.prototype.postMessage.bind(port);
  const maxChars = msg.maxOutputChars;
  const runId = msg.runId;
  let chars = 0;
  let truncated = false;
  let finished = false;
  let error = null;

  function write(kind, text) {
    if (finished || truncated) return;
    if (chars + text.length > maxChars) {
      text = text.slice(0, Math.max(0, maxChars - chars));
      truncated = true;
    }
    chars += text.length;
    send({ type: "output", runId, chunks: [[kind, text]] });
    if (truncated) send({ type: "notice", runId, text: `Output truncated after ${maxChars} characters.` });
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
    send({ type: "done", runId, result: { ok: error === null, error, exitCode: null }, durationMs: performance.now() - started });
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

  const code = String(msg.code);
  send({ type: "phase", runId, phase: "running" });
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

function describeError(err) {
  if (err instanceof Error) {
    // Keep the message and the frames in the user's code, not this worker's own.
    const head = `${err.name}: ${err.message}`;
    const frames = (typeof err.stack === "string" ? err.stack : "")
      .split("\n")
      .filter((line) => /^\s+at /.test(line) && /main\.m?js/.test(line))
      .map((line) => line.replace(/\beval \((main\.m?js:\d+:\d+)\)/, "$1"));
    return { type: err.name || "Error", message: err.message, traceback: [head, ...frames].join("\n") };
  }
  return { type: "Error", message: "Uncaught " + inspect(err, 0), traceback: "Uncaught " + inspect(err, 0) };
}

function formatArgs(args) {
  if (args.length === 0) return "";
  let first = args[0];
  let rest = args.slice(1);
  if (typeof first === "string" && /%[sdifoOjc%]/.test(first)) {
    first = first.replace(/%([sdifoOjc%])/g, (m, f) => {
      if (f === "%") return "%";
      if (rest.length === 0) return m;
      const v = rest.shift();
      switch (f) {
        case "s":
          return typeof v === "string" ? v : inspect(v, 1);
        case "d":
        case "i":
          return typeof v === "object" ? "NaN" : String(f === "i" ? parseInt(v, 10) : Number(v));
        case "f":
          return String(parseFloat(v));
        case "c":
          return "";
        default:
          return inspect(v, 0);
      }
    });
  }
  return [first, ...rest].map((v) => (typeof v === "string" ? v : inspect(v, 0))).join(" ");
}

// A small cousin of Node's util.inspect.
function inspect(value, depth, seen = new Set()) {
  const t = typeof value;
  if (value === null) return "null";
  if (t === "undefined") return "undefined";
  if (t === "string") return depth === 0 ? value : JSON.stringify(value).replace(/^"|"$/g, "'");
  if (t === "number") return Object.is(value, -0) ? "-0" : String(value);
  if (t === "bigint") return `${value}n`;
  if (t === "boolean") return String(value);
  if (t === "symbol") return value.toString();
  if (t === "function") return `[${/^class\s/.test(Function.prototype.toString.call(value)) ? "class" : "Function"}: ${value.name || "(anonymous)"}]`;
  if (value instanceof Error) return value.stack || `${value.name}: ${value.message}`;
  if (seen.has(value)) return "[Circular]";
  if (depth > 3) return Array.isArray(value) ? "[Array]" : "[Object]";
  seen.add(value);
  try {
    const sub = (v) => inspect(v, depth + 1, seen);
    if (Array.isArray(value)) {
      const items = value.slice(0, 100).map(sub);
      if (value.length > 100) items.push(`... ${value.length - 100} more items`);
      return items.length ? `[ ${items.join(", ")} ]` : "[]";
    }
    if (value instanceof Map) return `Map(${value.size}) { ${[...value].map(([k, v]) => `${sub(k)} => ${sub(v)}`).join(", ")} }`;
    if (value instanceof Set) return `Set(${value.size}) { ${[...value].map(sub).join(", ")} }`;
    if (value instanceof Date) return value.toISOString();
    if (value instanceof RegExp) return String(value);
    if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${value.length}) [ ${Array.from(value).slice(0, 100).join(", ")} ]`;
    if (value instanceof Promise) return "Promise { <pending> }";
    const keys = Object.keys(value);
    const name = value.constructor && value.constructor.name !== "Object" ? `${value.constructor.name} ` : "";
    if (!keys.length) return `${name}{}`;
    const props = keys.slice(0, 100).map((k) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${sub(value[k])}`);
    return `${name}{ ${props.join(", ")} }`;
  } finally {
    seen.delete(value);
  }
}
})();
