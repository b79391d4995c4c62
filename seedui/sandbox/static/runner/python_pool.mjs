// Python workers and their life-cycle: each PyWorker is one Pyodide interpreter in a Web Worker. One warm
// worker serves runs one after another; a run that needs a pristine interpreter (a check), or finds the warm
// one busy, gets one of its own. Any worker user code started workers in (or that ran a check) is
// "tainted": it is killed after its run and never runs anything else.
//
// A pool of several warm, pristine workers (many isolated checks at once) hooks in here: `acquire` picks
// the worker for a run, `release` takes it back, `retire` replaces one that must not run anything more.

import { readWorkerMessage, snapshotOffer } from "../shared/protocol.mjs";
import { cfg, cdnUrl, indexURL, loadFailure } from "./config.mjs";
import { startWorker } from "./workers.mjs";

// A memory snapshot of a started interpreter: from the server if it has one, else made by the first
// worker that starts, so later workers (after a kill, for checks) start in a fraction of the time.
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

const workerConfig = {
  indexURL,
  cdnUrl,
  packages: cfg.packages,
  maxOutputChars: cfg.maxOutputChars,
  maxImages: cfg.maxImages,
  maxImageChars: cfg.maxImageChars,
  maxDetailChars: cfg.maxDetailChars,
  harness: cfg.harness,
  preload: cfg.preload,
};

export class PyWorker {
  constructor() {
    this.pristine = true; // no user code has run in it
    this.busy = false;
    this.dead = false;
    this.tainted = false; // user code started workers in it: replaced after the run
    this.run = null; // the current run's handlers: {runId, handle(message), crash(text)}
    const { worker, port } = startWorker("worker/python.mjs", "seedui-python", workerConfig);
    this.worker = worker;
    this.port = port;
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
    snapshot.then((snap) => {
      if (!this.dead) this.port.postMessage(snapshotOffer(snap, !snap && !haveSnapshot));
    });
  }

  onMessage(data) {
    const message = readWorkerMessage(data);
    if (!message) return;
    if (message.type === "snapshot") {
      if (!haveSnapshot) {
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

/** The warm worker, started if there is none (a page's "warm" command, before the first run). */
export function warm() {
  if (!pool.warm || pool.warm.dead) pool.warm = new PyWorker();
  return pool.warm;
}

/** The worker for a run: the warm one if it is free (and pristine, when that is asked), else a new one. */
export function acquire(pristine) {
  const w = pool.warm;
  if (w && !w.dead && !w.busy && (w.pristine || !pristine)) return w;
  if (!w || w.dead) return warm();
  return new PyWorker(); // warm one is busy or used: a run of its own
}

/** An interpreter that must not run anything else (user code started workers in it): a fresh one replaces it. */
export function retire(w) {
  if (!w.dead) w.kill();
  if (pool.warm === w) {
    pool.warm = null;
    warm();
  }
}

/** A run has ended on ``w`` (``killed``: the runner terminated it, at the time limit or on Stop). */
export function release(w, killed) {
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
