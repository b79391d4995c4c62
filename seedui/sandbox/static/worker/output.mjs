// A worker's output function: what the harness (and any code that reaches it) or the JavaScript console
// calls with each piece of output. It applies the run's caps (shared/output_cap.mjs), keeps stdout and
// stderr in order, batches floods, and sends the held tail as it changes and at the run's end.
//
// Whatever is not yet sent when user code blocks the worker for good (a loop after a flood) is lost when the
// runner kills it: a flood's head goes at once and its tail at most TAIL_EVERY_MS late, so what can be
// missing is the last 0.1 s of a flood before such a loop.

import { OutputCap, TAIL_EVERY_MS } from "../shared/output_cap.mjs";
import { noticeEvent, outputEvent, readChunks, tailEvent, workerEvent } from "../shared/protocol.mjs";

const POSTS_PER_WINDOW = 200; // output messages sent at once per 10 ms; more are batched
const WINDOW_MS = 10;

/**
 * @param {(message: object) => void} send  the worker's port
 * @param {import("../shared/output_cap.mjs").OutputLimits} limits
 */
export function workerOutput(send, limits) {
  let runId = null;
  let cap = null;
  let pending = [];
  let windowStart = 0;
  let posts = 0;
  let tailSentAt = -Infinity;
  let tailTimer = null;

  function flush() {
    if (pending.length === 0 || runId === null) return;
    send(workerEvent(runId, outputEvent(pending)));
    pending = [];
  }

  function sendTail() {
    clearTimeout(tailTimer);
    tailTimer = null;
    if (runId === null || !cap.changed) return;
    flush();
    send(workerEvent(runId, tailEvent(cap.takeTail())));
    tailSentAt = performance.now();
  }

  // Now if the last tail went long enough ago; else once the worker is free again (a timer cannot fire
  // while user code runs without a break, hence the check on each write too).
  function tailSoon(t) {
    if (t - tailSentAt >= TAIL_EVERY_MS) sendTail();
    else if (tailTimer === null) tailTimer = setTimeout(sendTail, TAIL_EVERY_MS - (t - tailSentAt));
  }

  function image(text) {
    const { chunks, notices } = cap.add(readChunks([["image", text]]));
    flush();
    if (chunks.length) send(workerEvent(runId, outputEvent(chunks)));
    for (const notice of notices) send(workerEvent(runId, noticeEvent(notice)));
  }

  function emit(kind, text) {
    if (runId === null) return;
    kind = String(kind);
    text = String(text);
    if (kind === "image") {
      image(text);
      return;
    }
    if (kind !== "stdout" && kind !== "stderr") return;
    const head = cap.text(kind, text);
    if (head) {
      const last = pending[pending.length - 1];
      if (last && last[0] === kind) last[1] += head;
      else pending.push([kind, head]);
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
    if (cap.changed) tailSoon(t);
  }

  return {
    emit,
    /** Output counts from now on, for this run, under fresh caps. */
    begin(id) {
      runId = id;
      cap = new OutputCap(limits);
      pending = [];
      clearTimeout(tailTimer);
      tailTimer = null;
      tailSentAt = -Infinity;
    },
    /** Everything not yet sent goes, before the run's "done". */
    end() {
      flush();
      sendTail();
      runId = null;
    },
  };
}
