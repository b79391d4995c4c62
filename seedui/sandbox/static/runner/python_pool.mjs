// Python workers and their life-cycle: each PyWorker is one Pyodide interpreter in a Web Worker. One warm
// worker serves runs one after another; a run that needs a pristine interpreter (a check), or finds the warm
// one busy, gets one of its own. Any worker user code started workers in (or that ran a check and could
// not reset) is "tainted": it is killed after its run and never runs anything else.
//
// Checks in bulk (a bench run) ask for `warmChecks(n)`: n pristine workers are kept ready, so a check
// finds one instead of waiting for a start. Starting
// one costs ~0.3 s of CPU, most of it Pyodide's own set-up, so at most BOOTS_AT_ONCE start at a time (more
// would only share the cores), and what every start would repeat is done once here: the WebAssembly
// module is compiled once and handed to each worker, with the lock file, and the snapshot is transferred.
//
// A worker whose check left the interpreter as the snapshot saw it resets it (worker/python_reset.mjs: a few
// ms instead of a boot) and says so; it then goes back among the pristine ones, so checks in bulk boot a
// worker only after an answer that reached JavaScript, the files or a package.
//
// `acquire` picks the worker for a run, `release` takes it back, `retire` replaces one that must not run
// anything more.

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
// Compiled once; null where it cannot be (the worker then loads it itself).
const shared = Promise.all([
  WebAssembly.compileStreaming(fetch(indexURL + "pyodide.asm.wasm")).catch(() => null),
  fetch(indexURL + "pyodide-lock.json")
    .then((r) => (r.ok ? r.json() : null))
    .catch(() => null),
]);
const BOOTS_AT_ONCE = Math.max(1, Math.min(2, navigator.hardwareConcurrency || 1));

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
    this.tainted = false; // user code started workers in it, or ran a check not reset: replaced after the run
    this.spawned = false; // user code started workers in it
    this.resets = 0; // checks after which its interpreter was put back as it was
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
    // The worker starts loading Pyodide at once; the snapshot follows when it is here (a copy of its own,
    // transferred: the worker's Pyodide copies it again into its memory).
    Promise.all([snapshot, shared]).then(([snap, [wasm, lock]]) => {
      if (this.dead) return;
      const own = snap ? snap.slice() : null;
      this.port.postMessage(snapshotOffer(own, !snap && !haveSnapshot, wasm, lock), own ? [own.buffer] : []);
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
      this.booted = true;
      this.resolveReady();
      refill();
    } else if (message.type === "boot-error") {
      this.fail(loadFailure(message.message));
    } else if (message.type === "spawned") {
      this.spawned = true;
      this.tainted = true;
      if (!this.busy) retire(this); // started by a callback after its run ended
    } else if (this.run && message.runId === this.run.runId) {
      this.run.handle(message);
    }
  }

  fail(message) {
    if (this.dead) return;
    this.kill();
    refill();
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
// Pristine workers for checks: booted (or booting) and never used, or reset; `target` is how many to keep.
// `lent`: spares out on a check, which may come back reset (so no new one boots for them meanwhile).
const pristine = { target: 0, spare: [], lent: new Set() };

/** The warm worker, started if there is none (a page's "warm" command, before the first run). */
export function warm() {
  if (!pool.warm || pool.warm.dead) pool.warm = new PyWorker();
  return pool.warm;
}

/** Keep ``n`` pristine workers booted for checks (0: stop keeping them, and end the spare ones). */
export function warmChecks(n) {
  pristine.target = n;
  while (pristine.spare.length > n) pristine.spare.pop().kill();
  refill();
}

// Start spare workers up to the target, at most BOOTS_AT_ONCE starting at a time.
function refill() {
  pristine.spare = pristine.spare.filter((w) => !w.dead);
  let starting = pristine.spare.filter((w) => !w.booted).length;
  while (pristine.spare.length + pristine.lent.size < pristine.target && starting < BOOTS_AT_ONCE) {
    pristine.spare.push(new PyWorker());
    starting += 1;
  }
}

/** The worker for a run: the warm one if it is free (and pristine, when that is asked), else a new one. */
export function acquire(wantPristine) {
  if (wantPristine && pristine.spare.length) {
    // A booted spare first, else the one that started first.
    const spare = pristine.spare;
    const i = Math.max(0, spare.findIndex((w) => w.booted));
    const [w] = spare.splice(i, 1);
    if (!w.dead) pristine.lent.add(w);
    refill();
    if (!w.dead) return w;
  }
  const w = pool.warm;
  if (w && !w.dead && !w.busy && (w.pristine || !wantPristine)) return w;
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
  const lent = pristine.lent.delete(w);
  settle(w, killed);
  if (lent) refill(); // in case it did not come back
}

function settle(w, killed) {
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
  if (w.pristine) {
    // reset after a check: pristine again (one is kept even when no bulk checks asked for spares)
    pristine.spare = pristine.spare.filter((s) => !s.dead);
    if (pristine.spare.length < Math.max(1, pristine.target)) {
      pristine.spare.unshift(w);
      return;
    }
  }
  if (!pool.warm || pool.warm.dead) pool.warm = w;
  else w.kill();
}
