// SeedUI runner: the script of runner.html, a hidden <iframe sandbox="allow-scripts">
// of the app page (opaque origin, CSP from the server). No user code ever runs in
// this document: Python runs in Pyodide workers, JavaScript in throwaway workers,
// both started from blob: URLs made here. Time limits are enforced here by
// terminating the worker.
//
// Talks to the page through one MessagePort, made here and handed to window.parent
// in the first message with the secret the page put in this frame's URL fragment
// (how the page knows this document is the runner it made). Commands come only
// through that port; run events carry the per-run nonce the page chose.
(function () {
  "use strict";

  const cfg = JSON.parse(document.getElementById("seedui-runner-config").textContent);
  const indexURL = new URL(cfg.indexURL, location.href).href;
  const cdnUrl = new URL(cfg.cdnUrl, location.href).href;
  const blobUrl = (source) => URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  const pyWorkerUrl = blobUrl(cfg.pyWorker);
  const jsWorkerUrl = blobUrl(cfg.jsWorker);
  const workerConfig = {
    indexURL,
    cdnUrl,
    packages: cfg.packages,
    maxOutputChars: cfg.maxOutputChars,
    maxImages: cfg.maxImages,
    maxImageChars: cfg.maxImageChars,
    harness: cfg.harness,
    preload: cfg.preload,
  };
  const OUTPUT_KINDS = new Set(["stdout", "stderr", "image"]);
  const now = () => performance.now();

  // A memory snapshot of a started interpreter: from the server if it has one,
  // else made by the first worker that starts, so later workers (after a kill,
  // for checks) start in a fraction of the time.
  // The server's is used only where stack switching (JSPI) is as in the browser that made it.
  const serverSnapshot = cfg.snapshot && cfg.snapshot.jspi === ("Suspending" in WebAssembly) ? cfg.snapshot.url : null;
  let snapshot = serverSnapshot
    ? fetch(new URL(serverSnapshot, location.href).href)
        .then((r) => (r.ok ? r.arrayBuffer() : null))
        .then((b) => (b ? new Uint8Array(b) : null))
        .catch(() => null)
    : Promise.resolve(null);
  let haveSnapshot = false;
  snapshot.then((s) => {
    if (s) haveSnapshot = true;
  });

  const runs = new Map(); // runId -> {stop()}
  const channel = new MessageChannel();
  const port = channel.port1;

  function toParent(message) {
    port.postMessage(message);
  }

  function loadFailure(detail) {
    const where = cfg.local ? "this server" : indexURL;
    let text = `Could not load Python (Pyodide ${cfg.version}) from ${where}: ${detail}.`;
    if (!cfg.local) {
      text +=
        " This server has no local copy of Pyodide, so the browser needs the Pyodide CDN, which it could not reach" +
        " (offline?). The server's admin can run `python -m seedui.sandbox.fetch` to serve a local copy.";
    }
    return text;
  }

  // ---- Python workers ---------------------------------------------------------
  class PyWorker {
    constructor() {
      this.pristine = true; // no user code has run in it
      this.busy = false;
      this.dead = false;
      this.tainted = false; // user code started workers in it: replaced after the run
      this.run = null; // the current run's handlers
      this.worker = new Worker(pyWorkerUrl, { name: "seedui-python" });
      const channel = new MessageChannel();
      this.port = channel.port1;
      this.ready = new Promise((resolve, reject) => {
        this.resolveReady = resolve;
        this.rejectReady = reject;
      });
      this.ready.catch(() => {});
      this.port.onmessage = (event) => this.onMessage(event.data);
      this.worker.onerror = (event) => {
        if (event.preventDefault) event.preventDefault();
        this.fail(loadFailure(event.message || "the worker failed to start"));
      };
      this.bootTimer = setTimeout(
        () => this.fail(loadFailure(`no answer within ${Math.round(cfg.loadTimeoutMs / 1000)} s`)),
        cfg.loadTimeoutMs,
      );
      // The worker starts loading Pyodide at once; the snapshot follows when it is here.
      this.worker.postMessage({ config: Object.assign({ snapshotPending: true }, workerConfig) }, [channel.port2]);
      snapshot.then((snap) => {
        if (!this.dead) this.port.postMessage({ type: "snapshot", data: snap, makeSnapshot: !snap && !haveSnapshot });
      });
    }

    onMessage(message) {
      if (!message || typeof message !== "object") return;
      if (message.type === "snapshot") {
        if (!haveSnapshot && message.data instanceof Uint8Array) {
          haveSnapshot = true;
          snapshot = Promise.resolve(message.data);
        }
      } else if (message.type === "ready") {
        clearTimeout(this.bootTimer);
        this.bootMs = message.bootMs;
        this.timings = message.timings;
        this.resolveReady();
      } else if (message.type === "boot-error") {
        this.fail(loadFailure(message.message));
      } else if (message.type === "spawned") {
        this.tainted = true;
        if (!this.busy) retire(this); // started by a callback after its run ended
      } else if (this.run && message.runId === this.run.runId) {
        this.run.handle(message);
      }
    }

    fail(message) {
      if (this.dead) return;
      this.kill();
      this.rejectReady(new Error(message));
      if (this.run) this.run.crash(message);
    }

    kill() {
      this.dead = true;
      clearTimeout(this.bootTimer);
      this.worker.terminate();
      this.port.close();
    }
  }

  const pool = { warm: null };

  function warm() {
    if (!pool.warm || pool.warm.dead) pool.warm = new PyWorker();
    return pool.warm;
  }

  function acquire(pristine) {
    const w = pool.warm;
    if (w && !w.dead && !w.busy && (w.pristine || !pristine)) return w;
    if (!w || w.dead) return warm();
    return new PyWorker(); // warm one is busy or used: a run of its own
  }

  // An interpreter that must not run anything else (user code started workers in it): a fresh one replaces it.
  function retire(w) {
    if (!w.dead) w.kill();
    if (pool.warm === w) {
      pool.warm = null;
      warm();
    }
  }

  function release(w, killed) {
    w.busy = false;
    w.run = null;
    if (w.tainted) {
      retire(w);
      return;
    }
    if (w.dead) {
      if (pool.warm === w) {
        pool.warm = null;
        if (killed) warm(); // a fresh one for the next run
      }
      return;
    }
    if (w === pool.warm) return;
    if (!pool.warm || pool.warm.dead) pool.warm = w;
    else w.kill();
  }

  function runPython(req, emit) {
    const checking = req.mode === "check";
    // A check gets an interpreter no user code has touched, and no other run gets it after.
    const w = acquire(Boolean(req.pristine) || checking);
    w.busy = true;
    if (checking) w.tainted = true;
    const requested = now();
    const cold = w.bootMs === undefined;
    const limit = outputLimits(emit);
    const check = checking ? { plan: null, steps: [] } : null;
    return new Promise((resolve) => {
      let limitTimer = null;
      let loadTimer = null;
      let startedAt = null;
      let ended = false;
      const end = (event, killed) => {
        if (ended) return;
        ended = true;
        clearTimeout(limitTimer);
        clearTimeout(loadTimer);
        runs.delete(req.runId);
        event.totalMs = now() - requested;
        if (cold && w.timings) event.boot = Object.assign({ bootMs: w.bootMs }, w.timings);
        emit(event);
        release(w, killed);
        resolve();
      };
      const elapsed = () => (startedAt === null ? 0 : now() - startedAt);
      const handlers = {
        runId: req.runId,
        handle(message) {
          if (message.type === "phase") {
            emit({ kind: "phase", phase: String(message.phase), packages: (message.packages || []).map(String) });
            if (message.phase === "packages") {
              loadTimer = setTimeout(() => {
                w.kill();
                const text = `Packages did not load within ${Math.round(cfg.loadTimeoutMs / 1000)} s from ${cdnUrl}.`;
                end({ kind: "done", result: { ok: false, error: { type: "SandboxError", message: text, traceback: "" } }, durationMs: 0 }, true);
              }, cfg.loadTimeoutMs);
            } else if (message.phase === "running") {
              clearTimeout(loadTimer);
              startedAt = now();
              limitTimer = setTimeout(() => {
                w.kill();
                end({ kind: "done", timedOut: true, durationMs: elapsed() }, true);
              }, req.timeoutMs);
            }
          } else if (message.type === "output") {
            emit({ kind: "output", chunks: limit(cleanChunks(message.chunks)) });
          } else if (message.type === "notice") {
            emit({ kind: "notice", text: String(message.text) });
          } else if (message.type === "check-plan" && check && !check.plan) {
            check.plan = { error: message.error == null ? null : String(message.error), tests: Array.isArray(message.tests) ? message.tests.map(String) : [] };
          } else if (message.type === "check-step" && check && check.plan && message.index === check.steps.length) {
            check.steps.push({ ok: message.ok === true, detail: String(message.detail || "") });
          } else if (message.type === "done") {
            const durationMs = typeof message.durationMs === "number" ? message.durationMs : elapsed();
            const result = message.result && typeof message.result === "object" ? message.result : {};
            if (check) result.check = verdict(check, result); // never the worker's word for it
            end({ kind: "done", result, durationMs, unavailable: message.unavailable || {} }, false);
          }
        },
        crash(text) {
          end({ kind: "done", result: { ok: false, error: { type: "SandboxError", message: text, traceback: "" } }, durationMs: elapsed() }, false);
        },
      };
      runs.set(req.runId, {
        stop() {
          w.kill();
          end({ kind: "done", stopped: true, durationMs: elapsed() }, true);
        },
      });
      emit({ kind: "phase", phase: cold ? "starting" : "queued", packages: [] });
      w.ready.then(
        () => {
          if (ended) return;
          w.pristine = false;
          w.run = handlers;
          w.port.postMessage({ type: "run", runId: req.runId, code: req.code, tests: req.tests || "", mode: req.mode });
        },
        (err) => handlers.crash(err.message),
      );
    });
  }

  // ---- the verdict of a check -----------------------------------------------------
  // Decided here, where no user code reaches, from the plan the worker sent before the
  // answer's code ran and the outcome of each step (harness.py's verdict() says the same
  // in Python, for its own tests). "pass" needs every planned step, each reported passed.
  const MAX_DETAIL_CHARS = 2000;
  const tail = (text) => (text.length <= MAX_DETAIL_CHARS ? text : "..." + text.slice(-MAX_DETAIL_CHARS));

  function verdict(check, result) {
    const plan = check.plan;
    if (!plan) return { status: "error", detail: "The check did not start." };
    if (plan.error !== null) return { status: "error", detail: tail(plan.error) };
    if (check.steps.length === 0) {
      if (result.ok !== true) {
        const error = result.error && typeof result.error === "object" ? result.error : {};
        const text = String(error.traceback || error.message || "");
        return { status: "error", detail: tail("The answer's code failed before the tests ran:\n" + text) };
      }
      if (result.ranToEnd !== true) return { status: "error", detail: "The answer's code called sys.exit() before the tests ran." };
      return { status: "error", detail: "The tests did not run." };
    }
    const [module, ...tests] = check.steps;
    if (!module.ok) return { status: "fail", detail: tail(module.detail), passed: 0, failed: 1 };
    if (tests.length < plan.tests.length) return { status: "error", detail: "The check stopped before all tests ran." };
    const failures = tests.filter((step) => !step.ok).map((step) => step.detail);
    const passed = tests.length - failures.length;
    if (failures.length) {
      const head = tests.length > 1 ? `${failures.length} of ${tests.length} tests failed\n` : "";
      return { status: "fail", detail: tail(head + failures.join("\n")), passed, failed: failures.length };
    }
    return { status: "pass", detail: tests.length ? `${passed} test functions passed` : "all assertions passed", passed, failed: 0 };
  }

  // ---- JavaScript: one worker per run --------------------------------------------
  function runJavaScript(req, emit) {
    const requested = now();
    const limit = outputLimits(emit);
    return new Promise((resolve) => {
      const worker = new Worker(jsWorkerUrl, { name: "seedui-javascript" });
      const channel = new MessageChannel();
      let limitTimer = null;
      let startedAt = null;
      let ended = false;
      const elapsed = () => (startedAt === null ? 0 : now() - startedAt);
      const end = (event) => {
        if (ended) return;
        ended = true;
        clearTimeout(limitTimer);
        clearTimeout(bootTimer);
        worker.terminate();
        channel.port1.close();
        runs.delete(req.runId);
        event.totalMs = now() - requested;
        emit(event);
        resolve();
      };
      const crash = (text) =>
        end({ kind: "done", result: { ok: false, error: { type: "SandboxError", message: text, traceback: "" } }, durationMs: elapsed() });
      const bootTimer = setTimeout(() => crash("The JavaScript worker did not start."), cfg.loadTimeoutMs);
      worker.onerror = (event) => {
        if (event.preventDefault) event.preventDefault();
        crash(`The JavaScript worker failed: ${event.message || "unknown error"}`);
      };
      channel.port1.onmessage = (event) => {
        const message = event.data;
        if (!message || message.runId !== req.runId) return;
        if (message.type === "phase" && message.phase === "running" && startedAt === null) {
          clearTimeout(bootTimer);
          startedAt = now();
          emit({ kind: "phase", phase: "running", packages: [] });
          limitTimer = setTimeout(() => end({ kind: "done", timedOut: true, durationMs: elapsed() }), req.timeoutMs);
        } else if (message.type === "output") {
          emit({ kind: "output", chunks: limit(cleanChunks(message.chunks)) });
        } else if (message.type === "notice") {
          emit({ kind: "notice", text: String(message.text) });
        } else if (message.type === "done") {
          end({ kind: "done", result: message.result, durationMs: message.durationMs });
        }
      };
      runs.set(req.runId, { stop: () => end({ kind: "done", stopped: true, durationMs: elapsed() }) });
      worker.postMessage({ runId: req.runId, code: req.code, maxOutputChars: cfg.maxOutputChars }, [channel.port2]);
    });
  }

  // The limits again, per run, where no user code can reach: what a worker sends beyond them is
  // dropped, with one notice (the worker enforces them first; this holds if it did not).
  function outputLimits(emit) {
    let chars = 0;
    let images = 0;
    let imageChars = 0;
    let textCut = false;
    let imagesCut = false;
    return (chunks) => {
      const kept = [];
      for (const [kind, text] of chunks) {
        if (kind === "image") {
          if (images < cfg.maxImages && imageChars + text.length <= cfg.maxImageChars) {
            images += 1;
            imageChars += text.length;
            kept.push([kind, text]);
          } else if (!imagesCut) {
            imagesCut = true;
            emit({ kind: "notice", text: `Images beyond ${cfg.maxImages} (or ${Math.round(cfg.maxImageChars / 1e6)} MB) in one run were dropped.` });
          }
        } else if (chars < cfg.maxOutputChars) {
          const part = text.slice(0, cfg.maxOutputChars - chars);
          chars += part.length;
          kept.push([kind, part]);
        } else if (!textCut) {
          textCut = true;
          emit({ kind: "notice", text: `Output truncated after ${cfg.maxOutputChars} characters.` });
        }
      }
      return kept;
    };
  }

  function cleanChunks(chunks) {
    if (!Array.isArray(chunks)) return [];
    return chunks
      .filter((c) => Array.isArray(c) && OUTPUT_KINDS.has(c[0]) && typeof c[1] === "string")
      .map((c) => [c[0], c[1]]);
  }

  // ---- the page -----------------------------------------------------------------
  // Window messages (from siblings, or anyone) are never read: commands come through the port.
  port.onmessage = (event) => {
    const msg = event.data;
    if (!msg || typeof msg !== "object") return;
    if (msg.type === "ping") {
      toParent({ type: "seedui-runner-pong", id: String(msg.id) });
    } else if (msg.type === "warm") {
      warm();
    } else if (msg.type === "stop") {
      const run = runs.get(String(msg.runId));
      if (run) run.stop();
    } else if (msg.type === "run") {
      const req = {
        runId: String(msg.runId),
        nonce: String(msg.nonce),
        language: String(msg.language),
        code: String(msg.code),
        tests: msg.tests == null ? "" : String(msg.tests),
        mode: msg.mode === "check" ? "check" : "run",
        pristine: Boolean(msg.pristine),
        timeoutMs: Number(msg.timeoutMs) > 0 ? Number(msg.timeoutMs) : cfg.timeoutMs,
      };
      if (runs.has(req.runId)) return;
      const emit = (event) => toParent({ type: "seedui-run-event", runId: req.runId, nonce: req.nonce, event });
      if (req.language === "python") runPython(req, emit);
      else if (req.language === "javascript") runJavaScript(req, emit);
      else emit({ kind: "done", result: { ok: false, error: { type: "SandboxError", message: `Cannot run ${req.language} here.`, traceback: "" } }, durationMs: 0 });
    }
  };

  // The parent cannot change (only the page that made this frame gets this); the port is the way back.
  // (No pagehide/unload handlers in here: they stop Chromium from killing this frame's process when
  // a looping preview in the same process hangs it, and the page's restart would hang too.)
  const hello = { type: "seedui-runner-hello", secret: location.hash.slice(1), version: cfg.version, local: cfg.local, timeoutMs: cfg.timeoutMs };
  try {
    history.replaceState(null, "", location.pathname + location.search); // the secret is needed only once
  } catch (err) {
    // an old browser that refuses this in an opaque origin: the URL keeps it, no harm
  }
  window.parent.postMessage(hello, "*", [channel.port2]);
})();
