// One Python run (or check) in the runner frame: a worker from the pool, the time limits (enforced here by
// terminating the worker), and the run's events on their way to the page.

import { doneEvent, phaseEvent, sandboxError, workerRun } from "../shared/protocol.mjs";
import { cdnUrl, cfg, limits } from "./config.mjs";
import { acquire, release } from "./python_pool.mjs";
import { relay } from "./relay.mjs";
import { verdict } from "./verdict.mjs";

const now = () => performance.now();

/**
 * @param {import("../shared/protocol.mjs").RunCommand} req
 * @param {(event: import("../shared/protocol.mjs").RunEvent) => void} emit  to the page
 * @param {Map<string, {stop(): void}>} runs  the runs in flight, by id (for Stop)
 */
export function runPython(req, emit, runs) {
  const checking = req.mode === "check";
  // A check gets an interpreter no user code has touched, and no other run gets it after, unless the worker
  // says it put the interpreter back as it was before any check (worker/python_reset.mjs).
  const w = acquire(req.pristine || checking);
  w.busy = true;
  if (checking) w.tainted = true;
  let reset = false;
  const requested = now();
  const cold = w.bootMs === undefined;
  const pass = relay(emit, limits);
  const check = checking ? { plan: null, steps: [] } : null;
  return new Promise((resolve) => {
    let limitTimer = null;
    let loadTimer = null;
    let startedAt = null;
    let ended = false;
    const elapsed = () => (startedAt === null ? 0 : now() - startedAt);
    const end = (fields, killed) => {
      if (ended) return;
      ended = true;
      clearTimeout(limitTimer);
      clearTimeout(loadTimer);
      runs.delete(req.runId);
      // how the interpreter came to be: booted for this run, or reset after `resets` checks
      const boot = cold && w.timings ? Object.assign({ bootMs: w.bootMs }, w.timings) : w.resets ? { resets: w.resets } : null;
      pass.flush();
      if (reset && !killed && !w.spawned) {
        w.tainted = false;
        w.pristine = true;
        w.resets += 1;
      }
      emit(doneEvent(Object.assign({ totalMs: now() - requested, boot }, fields)));
      release(w, killed);
      resolve();
    };
    const kill = (fields) => {
      w.kill();
      end(fields, true);
    };
    const onEvent = (event) => {
      if (event.kind === "phase" && event.phase === "packages") {
        pass(event);
        loadTimer = setTimeout(() => {
          const text = `Packages did not load within ${Math.round(cfg.loadTimeoutMs / 1000)} s from ${cdnUrl}.`;
          kill({ result: sandboxError(text) });
        }, cfg.loadTimeoutMs);
      } else if (event.kind === "phase" && event.phase === "running") {
        pass(event);
        clearTimeout(loadTimer);
        startedAt = now();
        limitTimer = setTimeout(() => kill({ timedOut: true, durationMs: elapsed() }), req.timeoutMs);
      } else if (event.kind === "done") {
        const result = event.result || sandboxError("The run ended without an outcome.");
        if (check) result.check = verdict(check.plan, check.steps, result, cfg.maxDetailChars); // never the worker's word for it
        end({ result, durationMs: event.durationMs || elapsed(), unavailable: event.unavailable }, false);
      } else if (event.kind !== "phase") {
        pass(event);
      }
    };
    const handlers = {
      runId: req.runId,
      handle(message) {
        if (message.type === "event") {
          onEvent(message.event);
        } else if (message.type === "check-plan" && check && !check.plan) {
          check.plan = { error: message.error, tests: message.tests };
        } else if (message.type === "check-step" && check && check.plan && message.index === check.steps.length) {
          check.steps.push({ ok: message.ok, detail: message.detail });
        } else if (message.type === "reset" && check) {
          reset = true;
        }
      },
      crash(text) {
        end({ result: sandboxError(text), durationMs: elapsed() }, false);
      },
    };
    runs.set(req.runId, { stop: () => kill({ stopped: true, durationMs: elapsed() }) });
    emit(phaseEvent(cold ? "starting" : "queued")); // at once: the page's sign that the run arrived
    w.ready.then(
      () => {
        if (ended) return;
        w.pristine = false;
        w.run = handlers;
        w.port.postMessage(workerRun(req.runId, req.code, req.tests, req.mode));
      },
      (err) => handlers.crash(err.message),
    );
  });
}
