// SeedUI Python worker: a Web Worker started from a blob: URL inside the
// sandboxed runner frame (opaque origin, strict CSP). It loads Pyodide once and
// then runs one piece of code at a time, each in a fresh module namespace.
//
// A classic worker, not a module worker: Chromium refuses `new Worker(blobUrl,
// {type: "module"})` in an opaque-origin document. It loads pyodide.mjs with a
// dynamic import(), and Pyodide takes its module-worker path (the CSP blocks the
// data: URL it probes classic workers with).
//
// The runner hands over a MessagePort in the very first message, before any
// user code exists; from then on everything goes through that port, which lives
// only in this closure. Code run here can call the global postMessage, but
// nobody listens there, so it cannot forge results or reach the page. It can
// call the output function the harness got (any Python code can reach it), so
// the limits on output are enforced here, in JavaScript, and again by the runner.
(function () {
"use strict";

const OUTPUT_KINDS = new Set(["stdout", "stderr", "image"]);
// Taken before any user code exists: a check's steps use only these after the answer has run.
const apply = Reflect.apply;
const promiseThen = Promise.prototype.then;
const parseJSON = JSON.parse;
const POSTS_PER_WINDOW = 200; // output messages sent at once per 10 ms; more are batched
const WINDOW_MS = 10;

self.onmessage = (event) => {
  self.onmessage = null;
  const port = event.ports && event.ports[0];
  if (!port) return;
  main(port, event.data.config);
};

function main(port, cfg) {
  // Bound now: a later change to MessagePort.prototype by user code changes nothing here.
  const send = MessagePort.prototype.postMessage.bind(port);
  const now = () => performance.now();
  const out = { pending: [], chars: 0, windowStart: 0, posts: 0, truncated: false, runId: null, images: 0, imageChars: 0, imagesDropped: false };
  const nested = watchWorkers(send, () => out.runId);
  let pyodide = null;
  let harness = null;
  let tools = null; // for checks: see takeTools()
  let busy = false;

  function flush() {
    if (out.pending.length === 0) return;
    send({ type: "output", runId: out.runId, chunks: out.pending });
    out.pending = [];
  }

  function emit(kind, text) {
    kind = String(kind);
    if (!OUTPUT_KINDS.has(kind) || out.runId === null) return;
    text = String(text);
    if (kind === "image") {
      flush();
      if (!/^[A-Za-z0-9+/=]+$/.test(text)) return;
      if (out.images >= cfg.maxImages || out.imageChars + text.length > cfg.maxImageChars) {
        if (!out.imagesDropped) {
          out.imagesDropped = true;
          send({ type: "notice", runId: out.runId, text: imagesDropped(cfg) });
        }
        return;
      }
      out.images += 1;
      out.imageChars += text.length;
      send({ type: "output", runId: out.runId, chunks: [[kind, text]] });
      return;
    }
    if (out.truncated) return;
    if (out.chars + text.length > cfg.maxOutputChars) {
      text = text.slice(0, Math.max(0, cfg.maxOutputChars - out.chars));
      out.truncated = true;
    }
    out.chars += text.length;
    const last = out.pending[out.pending.length - 1];
    if (last && last[0] === kind) last[1] += text;
    else out.pending.push([kind, text]);
    if (out.truncated) {
      flush();
      send({ type: "notice", runId: out.runId, text: `Output truncated after ${cfg.maxOutputChars} characters.` });
      return;
    }
    // Small outputs leave at once (so a print before an endless loop is seen);
    // floods are batched per time window.
    const t = now();
    if (t - out.windowStart >= WINDOW_MS) {
      out.windowStart = t;
      out.posts = 0;
    }
    if (out.posts < POSTS_PER_WINDOW) {
      out.posts += 1;
      flush();
    }
  }

  async function load(loadPyodide, snap) {
    const options = { indexURL: cfg.indexURL, packageBaseUrl: cfg.cdnUrl, env: { HOME: "/home/pyodide" } };
    if (snap) return loadPyodide(Object.assign({ _loadSnapshot: snap }, options));
    const py = await loadPyodide(Object.assign({ _makeSnapshot: Boolean(cfg.makeSnapshot) }, options));
    py.runPython(cfg.preload);
    if (cfg.makeSnapshot) {
      // Before any JS object is handed to Python: a snapshot can only hold Pyodide's own.
      try {
        const data = py.makeMemorySnapshot();
        send({ type: "snapshot", data }, [data.buffer]);
      } catch (err) {
        // no snapshot: later workers start the slow way
      }
    }
    return py;
  }

  // A restored interpreter must run Python and, where the browser has stack
  // switching, block on asyncio (what a snapshot made elsewhere can break).
  async function selfTest(py) {
    const ns = py.toPy({});
    try {
      const test = py.runPython(
        "def _t():\n    import asyncio\n    async def f():\n        return 2\n    return asyncio.run(f())\n_t",
        { globals: ns },
      );
      try {
        const value = "Suspending" in WebAssembly ? await test.callPromising() : 2;
        if (value !== 2) throw new Error(`snapshot self-test gave ${value}`);
      } finally {
        test.destroy();
      }
    } finally {
      ns.destroy();
    }
  }

  // The runner sends the snapshot (or null) right after the start message.
  let gotSnapshot;
  const snapshotArrived = new Promise((resolve) => {
    gotSnapshot = resolve;
  });

  async function boot() {
    const started = now();
    let fromSnapshot = false;
    try {
      const { loadPyodide } = await import(cfg.indexURL + "pyodide.mjs");
      const imported = now();
      let snap = await snapshotArrived;
      if (snap) {
        try {
          pyodide = await load(loadPyodide, snap);
          await selfTest(pyodide);
          fromSnapshot = true;
        } catch (err) {
          pyodide = null; // a snapshot that does not fit this browser: start normally
        }
      }
      if (!pyodide) pyodide = await load(loadPyodide, null);
      const loaded = now();
      const decoder = { stdout: new TextDecoder(), stderr: new TextDecoder() };
      // Writes that bypass sys.stdout (C extensions, os.write(1, ...)).
      pyodide.setStdout({ write: (buf) => (emit("stdout", decoder.stdout.decode(buf, { stream: true })), buf.length) });
      pyodide.setStderr({ write: (buf) => (emit("stderr", decoder.stderr.decode(buf, { stream: true })), buf.length) });
      pyodide.FS.mkdirTree("/seedui");
      pyodide.FS.writeFile("/seedui/_seedui_harness.py", cfg.harness);
      pyodide.runPython("import sys\nsys.path.insert(0, '/seedui')");
      harness = pyodide.pyimport("_seedui_harness");
      const importMap = {};
      for (const [name, pkg] of Object.entries(pyodide.lockfile.packages)) {
        for (const imp of pkg.imports || []) importMap[imp] = name;
      }
      // The harness gets emit as an argument: no importable module hands it out.
      harness.install(emit, JSON.stringify({ packages: cfg.packages, importMap, cdnUrl: cfg.cdnUrl, maxImages: cfg.maxImages }));
      tools = takeTools();
      snap = null;
      send({
        type: "ready",
        bootMs: now() - started,
        timings: { importMs: imported - started, loadMs: loaded - imported, setupMs: now() - loaded, fromSnapshot: fromSnapshot ? 1 : 0 },
      });
    } catch (err) {
      send({ type: "boot-error", message: describe(err) });
    }
  }

  async function run(msg) {
    out.runId = msg.runId;
    out.pending = [];
    out.chars = 0;
    out.truncated = false;
    out.images = 0;
    out.imageChars = 0;
    out.imagesDropped = false;
    const unavailable = {};
    try {
      const wanted = JSON.parse(harness.plan(msg.code, msg.tests || ""));
      if (wanted.length) {
        send({ type: "phase", runId: msg.runId, phase: "packages", packages: wanted });
        const errors = [];
        try {
          await pyodide.loadPackage(wanted, { messageCallback: () => {}, errorCallback: (m) => errors.push(String(m)) });
        } catch (err) {
          errors.push(describe(err));
        }
        for (const name of wanted) {
          if (!(name in pyodide.loadedPackages)) unavailable[name] = errors.map((e) => e.trim().replace(/[:;.]+$/, "")).join(": ") || "download failed";
        }
      }
      const prepared = msg.mode === "check" ? prepareCheck(msg) : null; // before the answer's code runs
      send({ type: "phase", runId: msg.runId, phase: "running" });
      const started = now();
      const result = prepared
        ? await check(msg, prepared, unavailable)
        : JSON.parse(await harness.run.callPromising(msg.code, "", msg.mode, JSON.stringify(unavailable)));
      const durationMs = now() - started;
      flush();
      send({ type: "done", runId: msg.runId, result, durationMs, unavailable });
    } catch (err) {
      flush();
      send({
        type: "done",
        runId: msg.runId,
        result: { ok: false, error: { type: "SandboxError", message: describe(err), traceback: "" } },
        durationMs: 0,
        unavailable,
      });
    } finally {
      out.runId = null;
      nested.endAll();
    }
  }

  // ---- checks ----------------------------------------------------------------------
  // The verdict is the runner's, from what this sends: the plan (before the answer's code
  // runs, in an interpreter no user code has touched: the runner gives checks a fresh one)
  // and each step's outcome (raised or not). A step is called through Python builtins taken
  // at start-up (builtin functions and types cannot be changed from Python, only the names
  // that point to them), and settled through JavaScript functions taken before any user
  // code, without await. Rewriting the harness, json, builtins, AssertionError or
  // JSON.parse leaves this path alone. What it cannot stop is written in docs/sandbox-security.md.
  function takeTools() {
    const taken = pyodide.runPython(
      "import builtins, operator, sys, types\n" +
        "(builtins.eval, builtins.getattr, builtins.setattr, builtins.type, dict.get, operator.is_, types.FunctionType," +
        " types.CoroutineType, sys, sys.settrace, sys.setprofile)",
    );
    const [evaluate, getattr, setattr, type, dictGet, is, FunctionType, CoroutineType, sys, settrace, setprofile] = taken.toJs({ depth: 1 });
    taken.destroy();
    return {
      ...{ evaluate, getattr, setattr, type, dictGet, is, FunctionType, CoroutineType, sys, settrace, setprofile },
      quiet: harness._quiet,
      callPromising: evaluate.callPromising,
      prepare: harness.prepare_check,
      runAnswer: harness.run_answer,
      drive: harness._drive,
      failureText: harness.failure_text,
    };
  }

  function prepareCheck(msg) {
    const T = tools;
    const prepared = T.prepare(msg.tests || "");
    const [planJson, namespace, testsCode, codeTuple] = prepared.toJs({ depth: 1 });
    const plan = parseJSON(planJson);
    send({ type: "check-plan", runId: msg.runId, error: plan.error, tests: plan.tests });
    const steps = [{ name: null }];
    plan.tests.forEach((name, i) => {
      const dot = name.indexOf(".");
      steps.push({ name, owner: dot < 0 ? null : name.slice(0, dot), attr: name.slice(dot + 1), code: codeTuple.get(i) });
    });
    return { plan, namespace, testsCode, steps };
  }

  // Resolves with the answer's outcome; the steps' outcomes are sent as they come.
  function check(msg, prepared, unavailable) {
    const T = tools;
    const { plan, namespace, testsCode, steps } = prepared;
    const runId = msg.runId;
    const call = (fn, args) => apply(T.callPromising, fn, args);
    const settle = (promise, next) => apply(promiseThen, promise, [(value) => next(true, value), (error) => next(false, error)]);
    const unavailableJson = JSON.stringify(unavailable);
    return new Promise((resolve) => {
      let index = 0;
      const report = (ok, detail) => {
        send({ type: "check-step", runId, index, ok, detail: String(detail) });
        index += 1;
        if ((!ok && index === 1) || index >= steps.length) resolve(outcome);
        else attempt();
      };
      const failed = (name, error, fromPython) => {
        let text = null;
        try {
          if (fromPython) text = T.failureText(name === null ? undefined : name);
        } catch (err) {
          text = null;
        }
        if (typeof text !== "string") text = (name ? name + ": " : "") + (fromPython ? describe(error) : String(error && error.message));
        report(false, text);
      };
      // The object in the namespace must still be the function tests.py defined there.
      const callable = (step) => {
        let owner = null;
        let fn;
        if (step.owner !== null) {
          owner = T.dictGet(namespace, step.owner);
          if (!T.is(T.type(owner), T.type)) throw new Error(`${step.name} is not the function tests.py defines: something replaced it`);
          fn = T.getattr(owner, step.attr, undefined);
        } else {
          fn = T.dictGet(namespace, step.name);
        }
        const genuine =
          fn !== undefined && T.is(T.type(fn), T.FunctionType) && T.is(T.getattr(fn, "__code__"), step.code) && T.is(T.getattr(fn, "__globals__"), namespace);
        if (!genuine) throw new Error(`${step.name} is not the function tests.py defines: something replaced it`);
        return [fn, owner === null ? [] : [owner()]];
      };
      const attempt = () => {
        const step = steps[index];
        let promise;
        try {
          T.settrace(undefined); // a trace function can jump over an assert
          T.setprofile(undefined);
          T.setattr(T.sys, "excepthook", T.quiet); // Pyodide prints an exception that reaches JS through it
          if (step.name === null) {
            promise = call(T.evaluate, [testsCode, namespace]);
          } else {
            const [fn, args] = callable(step);
            promise = call(fn, args);
          }
        } catch (err) {
          failed(step.name, err, Boolean(err && err.type));
          return;
        }
        settle(promise, (ok, value) => {
          if (!ok) return failed(step.name, value, true);
          if (value !== undefined && value !== null && T.is(T.type(value), T.CoroutineType)) {
            return settle(call(T.drive, [value]), (done, error) => (done ? report(true, "") : failed(step.name, error, true)));
          }
          report(true, "");
        });
      };
      let outcome;
      settle(call(T.runAnswer, [msg.code, namespace, unavailableJson]), (ok, value) => {
        try {
          outcome = ok ? parseJSON(value) : { ok: false, error: { type: "SandboxError", message: describe(value), traceback: "" } };
        } catch (err) {
          outcome = { ok: false, error: { type: "SandboxError", message: "The answer's outcome could not be read.", traceback: "" } };
        }
        if (plan.error === null && outcome && outcome.ok === true && outcome.ranToEnd === true) attempt();
        else resolve(outcome);
      });
    });
  }

  port.onmessage = (event) => {
    const msg = event.data;
    if (msg && msg.type === "snapshot") {
      cfg.makeSnapshot = Boolean(msg.makeSnapshot);
      gotSnapshot(msg.data instanceof Uint8Array ? msg.data : null);
      return;
    }
    if (!msg || msg.type !== "run" || busy || !harness) return;
    busy = true;
    run(msg).finally(() => {
      busy = false;
    });
  };
  boot();
}

function imagesDropped(cfg) {
  return `Images beyond ${cfg.maxImages} (or ${Math.round(cfg.maxImageChars / 1e6)} MB) in one run were dropped.`;
}

// Workers started by user code (js.Worker.new, js.eval("new Worker(...)"), ...) belong to this
// worker, which stays warm between runs: they would outlive the run. The constructors are
// replaced before any user code runs (the original is reachable from nowhere else: not
// through Worker.prototype.constructor either); each new worker is noted, ended when the
// run ends, and reported, so the runner replaces this interpreter after the run.
function watchWorkers(send, currentRun) {
  const apply = Reflect.apply;
  const construct = Reflect.construct;
  const started = [];
  for (const name of ["Worker", "SharedWorker"]) {
    const Original = self[name];
    if (typeof Original !== "function") continue;
    const terminate = Original.prototype.terminate; // a SharedWorker has none: its port is closed
    const Watched = new Proxy(Original, {
      construct(target, args, newTarget) {
        const worker = construct(target, args, newTarget === Watched ? target : newTarget);
        started.push({ worker, terminate });
        send({ type: "spawned", runId: currentRun() });
        return worker;
      },
    });
    Object.defineProperty(self, name, { value: Watched, writable: true, configurable: true, enumerable: false });
    Object.defineProperty(Original.prototype, "constructor", { value: Watched, writable: true, configurable: true, enumerable: false });
  }
  return {
    endAll() {
      for (const { worker, terminate } of started.splice(0)) {
        try {
          if (terminate) apply(terminate, worker, []);
        } catch (err) {
          // already gone
        }
      }
    },
  };
}

function describe(err) {
  if (err && typeof err === "object" && "message" in err) return `${err.name || "Error"}: ${err.message}`;
  return String(err);
}
})();
