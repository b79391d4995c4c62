// A run's events on their way from its worker to the page. The output limits are applied again here,
// where no user code reaches (the worker applies them first; this holds if user code subverted the
// worker's copy of the rule): the head passes, the tail is held here and sent on as it changes, at most
// every TAIL_EVERY_MS, and before the run's "done" (`flush`). The runner outlives a worker it kills, so the
// last tail a worker sent is still shown after a time-out or Stop.

import { OutputCap, TAIL_EVERY_MS } from "../shared/output_cap.mjs";
import { noticeEvent, outputEvent, tailEvent } from "../shared/protocol.mjs";

/**
 * @param {(event: import("../shared/protocol.mjs").RunEvent) => void} emit  to the page
 * @param {import("../shared/output_cap.mjs").OutputLimits} limits
 * @returns {((event: import("../shared/protocol.mjs").RunEvent) => void) & {flush(): void}}
 */
export function relay(emit, limits) {
  const cap = new OutputCap(limits);
  let sentAt = -Infinity;
  let timer = null;
  const sendTail = () => {
    clearTimeout(timer);
    timer = null;
    if (!cap.changed) return;
    sentAt = performance.now();
    emit(tailEvent(cap.takeTail()));
  };
  const pass = (event) => {
    if (event.kind === "output") {
      const { chunks, notices } = cap.add(event.chunks);
      if (chunks.length) emit(outputEvent(chunks));
      for (const notice of notices) emit(noticeEvent(notice));
    } else if (event.kind === "tail") {
      cap.setTail(event);
    } else {
      emit(event);
      return;
    }
    if (!cap.changed || timer !== null) return;
    const wait = TAIL_EVERY_MS - (performance.now() - sentAt);
    if (wait <= 0) sendTail();
    else timer = setTimeout(sendTail, wait);
  };
  pass.flush = sendTail;
  return pass;
}
