// A run's events on their way from its worker to the page. The output limits are applied again here,
// where no user code reaches: what a worker sends beyond them is dropped, with one notice (the worker
// enforces them first; this holds if user code subverted the worker's copy of the rule).

import { OutputCap } from "../shared/output_cap.mjs";
import { noticeEvent, outputEvent } from "../shared/protocol.mjs";

/**
 * @param {(event: import("../shared/protocol.mjs").RunEvent) => void} emit  to the page
 * @param {import("../shared/output_cap.mjs").OutputLimits} limits
 */
export function relay(emit, limits) {
  const cap = new OutputCap(limits);
  return (event) => {
    if (event.kind !== "output") {
      emit(event);
      return;
    }
    const { chunks, notices } = cap.add(event.chunks);
    if (chunks.length) emit(outputEvent(chunks));
    for (const notice of notices) emit(noticeEvent(notice));
  };
}
