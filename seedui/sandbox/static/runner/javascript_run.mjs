// One JavaScript run in the runner frame: a worker of its own, ended (terminated) when the run ends, at the
// time limit or on Stop. A spare worker, loaded and waiting for its code, is kept ready for the next run:
// loading a worker's modules takes longer than most runs.

import { doneEvent, phaseEvent, readWorkerMessage, sandboxError, workerRun } from "../shared/protocol.mjs";
import { cfg, limits } from "./config.mjs";
import { relay } from "./relay.mjs";
import { startWorker } from "./workers.mjs";

const now = () => performance.now();
let spare = null;

// A worker that failed to load says so when its run takes it (its `error` event may come first).
function spawn() {
  const w = startWorker("worker/javascript.mjs", "seedui-javascript", { maxOutputChars: cfg.maxOutputChars });
  w.failure = null;
  w.worker.onerror = (event) => {
    if (event.preventDefault) event.preventDefault();
    w.failure = `The JavaScript worker failed: ${event.message || "unknown error"}`;
    if (w.onFailure) w.onFailure(w.failure);
  };
  return w;
}

function take() {
  const w = spare || spawn();
  spare = null;
  setTimeout(() => {
    spare = spare || spawn();
  }, 0);
  return w;
}

/**
 * @param {import("../shared/protocol.mjs").RunCommand} req
 * @param {(event: import("../shared/protocol.mjs").RunEvent) => void} emit  to the page
 * @param {Map<string, {stop(): void}>} runs  the runs in flight, by id (for Stop)
 */
export function runJavaScript(req, emit, runs) {
  const requested = now();
  const pass = relay(emit, limits);
  return new Promise((resolve) => {
    const w = take();
    const { worker, port } = w;
    let limitTimer = null;
    let startedAt = null;
    let ended = false;
    const elapsed = () => (startedAt === null ? 0 : now() - startedAt);
    const end = (fields) => {
      if (ended) return;
      ended = true;
      clearTimeout(limitTimer);
      clearTimeout(bootTimer);
      worker.terminate();
      port.close();
      runs.delete(req.runId);
      pass.flush();
      emit(doneEvent(Object.assign({ totalMs: now() - requested }, fields)));
      resolve();
    };
    const crash = (text) => end({ result: sandboxError(text), durationMs: elapsed() });
    const bootTimer = setTimeout(() => crash("The JavaScript worker did not start."), cfg.loadTimeoutMs);
    w.onFailure = crash;
    port.onmessage = (e) => {
      const message = readWorkerMessage(e.data);
      if (!message || message.type !== "event" || message.runId !== req.runId) return;
      const event = message.event;
      if (event.kind === "phase") {
        if (event.phase !== "running" || startedAt !== null) return;
        clearTimeout(bootTimer);
        startedAt = now();
        pass(phaseEvent("running"));
        limitTimer = setTimeout(() => end({ timedOut: true, durationMs: elapsed() }), req.timeoutMs);
      } else if (event.kind === "done") {
        end({ result: event.result || sandboxError("The run ended without an outcome."), durationMs: event.durationMs });
      } else {
        pass(event);
      }
    };
    runs.set(req.runId, { stop: () => end({ stopped: true, durationMs: elapsed() }) });
    emit(phaseEvent("queued")); // at once: the page's sign that the run arrived (see runner_client.mjs)
    if (w.failure) crash(w.failure);
    else port.postMessage(workerRun(req.runId, req.code, "", "run"));
  });
}
