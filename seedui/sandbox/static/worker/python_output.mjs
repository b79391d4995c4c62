// The Python worker's output function: what the harness (and any code that reaches it) calls with each
// piece of output. It applies the run's caps, keeps stdout/stderr in order, and batches floods.

import { OutputCap } from "../shared/output_cap.mjs";
import { noticeEvent, outputEvent, readChunks, workerEvent } from "../shared/protocol.mjs";

const POSTS_PER_WINDOW = 200; // output messages sent at once per 10 ms; more are batched
const WINDOW_MS = 10;

/**
 * @param {(message: object) => void} send  the worker's port
 * @param {import("../shared/output_cap.mjs").OutputLimits} limits
 */
export function pythonOutput(send, limits) {
  let runId = null;
  let cap = null;
  let pending = [];
  let windowStart = 0;
  let posts = 0;

  function flush() {
    if (pending.length === 0 || runId === null) return;
    send(workerEvent(runId, outputEvent(pending)));
    pending = [];
  }

  function emit(kind, text) {
    if (runId === null) return;
    const chunks = readChunks([[String(kind), String(text)]]);
    if (chunks.length === 0) return;
    const { chunks: kept, notices } = cap.add(chunks);
    for (const [k, t] of kept) {
      if (k === "image") {
        flush();
        send(workerEvent(runId, outputEvent([[k, t]])));
        continue;
      }
      const last = pending[pending.length - 1];
      if (last && last[0] === k) last[1] += t;
      else pending.push([k, t]);
    }
    if (notices.length) {
      flush();
      for (const notice of notices) send(workerEvent(runId, noticeEvent(notice)));
      return;
    }
    // Small outputs leave at once (so a print before an endless loop is seen); floods are batched per time window.
    const t = performance.now();
    if (t - windowStart >= WINDOW_MS) {
      windowStart = t;
      posts = 0;
    }
    if (posts < POSTS_PER_WINDOW) {
      posts += 1;
      flush();
    }
  }

  return {
    emit,
    flush,
    /** Output counts from now on, for this run, under fresh caps. */
    begin(id) {
      runId = id;
      cap = new OutputCap(limits);
      pending = [];
    },
    end() {
      flush();
      runId = null;
    },
  };
}
