// SeedUI Python worker: loads Pyodide once, then runs one piece of code at a time, each in a fresh module
// namespace. Started by the runner frame (runner/workers.mjs) inside the sandboxed, opaque-origin runner.
//
// The runner hands over a MessagePort in the very first message, before any user code exists; from then on
// everything goes through that port, which lives only in this module's closures. Code run here can call the
// global postMessage, but nobody listens there, so it cannot forge results or reach the page. It can call
// the output function the harness got (any Python code can reach it), so the limits on output are enforced
// in that function (output.mjs), in JavaScript, and again by the runner.

import * as msg from "../shared/protocol.mjs";
import { describe, prepareCheck, runCheck, takeTools } from "./python_check.mjs";
import { keepState, watchImports } from "./python_reset.mjs";
import { workerOutput } from "./output.mjs";
import { watchWorkers } from "./watch_workers.mjs";
import { startOnce } from "./start.mjs";

/** Called by the bootstrap (runner/workers.mjs) with the runner's port and its start message. */
export const start = startOnce(main);

function main(port, cfg) {
  // Bound now: a later change to MessagePort.prototype by user code changes nothing here.
  const send = MessagePort.prototype.postMessage.bind(port);
  const now = () => performance.now();
  const output = workerOutput(send, { maxChars: cfg.maxOutputChars, maxImages: cfg.maxImages, maxImageChars: cfg.maxImageChars });
  const nested = watchWorkers(() => send(msg.spawned()));
  let pyodide = null;
  let harness = null;
  let tools = null; // for checks: see takeTools()
  let busy = false;
  let watch = null; // the interpreter's imports, watched (see python_reset.mjs)
  let reset = null; // puts the interpreter back as it was before the first check, or says it cannot

  async function load(loadPyodide, offer, snap, makeSnapshot) {
    const options = { indexURL: cfg.indexURL, packageBaseUrl: cfg.cdnUrl, env: { HOME: "/home/pyodide" } };
    if (offer.lock) options.lockFileContents = offer.lock;
    if (snap) return withModule(offer.wasm, () => loadPyodide(Object.assign({ _loadSnapshot: snap }, options)));
    const py = await loadPyodide(Object.assign({ _makeSnapshot: makeSnapshot }, options));
    py.runPython(cfg.preload);
    if (makeSnapshot) {
      // Before any JS object is handed to Python: a snapshot can only hold Pyodide's own.
      try {
        const data = py.makeMemorySnapshot();
        send(msg.snapshotMade(data), [data.buffer]);
      } catch (err) {
        // no snapshot: later workers start the slow way
      }
    }
    return py;
  }

  // Pyodide compiles its WebAssembly itself (instantiateStreaming on a fetch); with the module the runner
  // compiled once, it only instantiates it, with its imports watched. Before any user code, and put back after.
  async function withModule(wasm, loadIt) {
    if (!wasm) return loadIt();
    const { instantiateStreaming } = WebAssembly;
    const ownFetch = self.fetch;
    WebAssembly.instantiateStreaming = async (_response, imports) => {
      watch = watchImports(imports);
      return { instance: await WebAssembly.instantiate(wasm, watch.imports), module: wasm };
    };
    self.fetch = (url, init) => (String(url).endsWith("/pyodide.asm.wasm") ? Promise.resolve(new Response(null)) : ownFetch(url, init));
    try {
      return await loadIt();
    } finally {
      WebAssembly.instantiateStreaming = instantiateStreaming;
      self.fetch = ownFetch;
    }
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
    const t0 = now();
    let fromSnapshot = false;
    try {
      const { loadPyodide } = await import(cfg.indexURL + "pyodide.mjs");
      const imported = now();
      const offer = await snapshotArrived;
      let { data: snap } = offer;
      if (snap) {
        try {
          pyodide = await load(loadPyodide, offer, snap, false);
          await selfTest(pyodide);
          fromSnapshot = true;
        } catch (err) {
          pyodide = null; // a snapshot that does not fit this browser: start normally
        }
      }
      if (!pyodide) pyodide = await load(loadPyodide, offer, null, offer.makeSnapshot);
      const loaded = now();
      const decoder = { stdout: new TextDecoder(), stderr: new TextDecoder() };
      // Writes that bypass sys.stdout (C extensions, os.write(1, ...)).
      pyodide.setStdout({ write: (buf) => (output.emit("stdout", decoder.stdout.decode(buf, { stream: true })), buf.length) });
      pyodide.setStderr({ write: (buf) => (output.emit("stderr", decoder.stderr.decode(buf, { stream: true })), buf.length) });
      pyodide.FS.mkdirTree("/seedui");
      for (const [name, source] of Object.entries(cfg.harness)) pyodide.FS.writeFile(`/seedui/${name}.py`, source);
      pyodide.runPython("import sys\nsys.path.insert(0, '/seedui')");
      harness = pyodide.pyimport("_seedui_harness");
      const importMap = {};
      for (const [name, pkg] of Object.entries(pyodide.lockfile.packages)) {
        for (const imp of pkg.imports || []) importMap[imp] = name;
      }
      // The harness gets emit as an argument: no importable module hands it out.
      harness.install(output.emit, JSON.stringify({ packages: cfg.packages, importMap, cdnUrl: cfg.cdnUrl, maxImages: cfg.maxImages }));
      tools = takeTools(pyodide, harness, pyodide.pyimport("_seedui_check"));
      if (watch && fromSnapshot) {
        pyodide.runPython("import gc\ngc.collect()");
        // The last thing before any user code. After a fatal error Pyodide replaces its API's functions.
        const { runPython } = pyodide;
        const healthy = () => pyodide.runPython === runPython;
        reset = keepState(pyodide._module, watch, { trusted: [output.emit], healthy });
      }
      snap = null;
      offer.data = null; // the snapshot is in the interpreter now: let its bytes go
      const timings = { importMs: imported - t0, loadMs: loaded - imported, setupMs: now() - loaded, fromSnapshot: fromSnapshot ? 1 : 0 };
      send(msg.workerReady(now() - t0, timings));
    } catch (err) {
      send(msg.bootError(describe(err)));
    }
  }

  async function run(command) {
    const { runId } = command;
    const event = (e) => send(msg.workerEvent(runId, e));
    output.begin(runId);
    const unavailable = {};
    let resettable = command.mode === "check" && reset !== null;
    try {
      const wanted = JSON.parse(tools.plan(command.code, command.tests));
      if (wanted.length) {
        resettable = false; // new files and libraries: a fresh interpreter next time
        event(msg.phaseEvent("packages", wanted));
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
      const prepared = command.mode === "check" ? prepareCheck(tools, command, send, cfg.maxDetailChars) : null; // before the answer's code runs
      event(msg.phaseEvent("running"));
      const t0 = now();
      const result = prepared
        ? await runCheck(tools, command, prepared, unavailable)
        : JSON.parse(await harness.run.callPromising(command.code, JSON.stringify(unavailable)));
      const durationMs = now() - t0;
      output.end();
      if (resettable && reset()) send(msg.workerReset(runId)); // before "done": the runner may reuse it then
      event(msg.doneEvent({ result, durationMs, unavailable }));
    } catch (err) {
      output.end();
      event(msg.doneEvent({ result: msg.sandboxError(describe(err)), unavailable }));
    } finally {
      nested.endAll();
    }
  }

  port.onmessage = (e) => {
    const command = msg.readWorkerCommand(e.data);
    if (!command) return;
    if (command.type === "snapshot") {
      gotSnapshot(command);
      return;
    }
    if (busy || !harness) return;
    busy = true;
    run(command).finally(() => {
      busy = false;
    });
  };
  boot();
}
