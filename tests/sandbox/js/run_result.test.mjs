// What a run's events add up to on the page (seedui/sandbox/static/page/run_result.mjs), and how a check's
// result becomes a lane's row (page/checks.mjs).
import assert from "node:assert/strict";
import { test } from "node:test";

import { laneResult } from "../../../seedui/sandbox/static/page/checks.mjs";
import { RunAccumulator, formatMs, newResult } from "../../../seedui/sandbox/static/page/run_result.mjs";
import * as p from "../../../seedui/sandbox/static/shared/protocol.mjs";

const limits = { maxChars: 100, maxImages: 1, maxImageChars: 100 };

test("output, images and notices reach the result and onEvent in order", () => {
  const acc = new RunAccumulator(newResult("python"), limits, 10000);
  const said = [
    ...acc.apply(p.phaseEvent("running")),
    ...acc.apply(p.outputEvent([["stdout", "a"], ["stderr", "b"], ["image", "QUJD"], ["image", "REVG"]])),
    ...acc.apply(p.noticeEvent("hello")),
  ];
  assert.deepEqual(said.map((e) => e.type), ["phase", "stdout", "stderr", "image", "notice", "notice"]);
  assert.equal(said[3].url, "data:image/png;base64,QUJD");
  const { result } = acc;
  assert.equal(result.stdout, "a");
  assert.equal(result.stderr, "b");
  assert.deepEqual(result.images, ["data:image/png;base64,QUJD"]); // the page's own cap: one image
  assert.equal(result.notices.length, 2);
});

test("done: the outcome, the error text, the check", () => {
  const acc = new RunAccumulator(newResult("python"), limits, 10000);
  const outcome = { ok: false, error: { type: "ValueError", message: "bad", traceback: "" }, exitCode: 3, ranToEnd: false };
  const [done] = acc.apply(p.doneEvent({ result: outcome, durationMs: 5, unavailable: { numpy: "offline" } }));
  assert.equal(done.type, "done");
  assert.equal(done.result.error, "ValueError: bad");
  assert.equal(done.result.exitCode, 3);
  assert.deepEqual(done.result.unavailablePackages, ["numpy"]);
  const check = new RunAccumulator(newResult("python"), limits, 10000);
  const verdict = { status: "pass", detail: "1 test functions passed", passed: 1, failed: 0 };
  check.apply(p.doneEvent({ result: { ok: true, error: null, exitCode: null, ranToEnd: true, check: verdict } }));
  assert.deepEqual(check.result.check, { status: "pass", detail: "1 test functions passed" });
  assert.equal(check.result.ok, true);
  assert.equal(check.result.error, null);
});

test("a time-out and a stop say so", () => {
  const timedOut = new RunAccumulator(newResult("python"), limits, 1500);
  timedOut.apply(p.doneEvent({ timedOut: true, durationMs: 1500 }));
  assert.equal(timedOut.result.error, "TimeoutError: stopped at the time limit of 1.50 s.");
  assert.equal(laneResult(timedOut.result).status, "timeout");
  const stopped = new RunAccumulator(newResult("javascript"), limits, 1500);
  stopped.apply(p.doneEvent({ stopped: true }));
  assert.equal(stopped.result.error, "Stopped.");
  assert.deepEqual(laneResult(stopped.result), { status: "error", detail: "Stopped.", durationMs: 0 });
});

test("a tail follows the head in the result and replaces the one before", () => {
  const acc = new RunAccumulator(newResult("python"), { maxChars: 10, maxImages: 0, maxImageChars: 0 }, 10000);
  acc.apply(p.outputEvent([["stdout", "01234"]]));
  const first = acc.apply(p.tailEvent({ chunks: [["stdout", "abc"]], cut: { chars: 0, bytes: 0, lines: 0 } }));
  assert.deepEqual(first, [{ type: "tail", chunks: [["stdout", "abc"]], cut: { chars: 0, bytes: 0, lines: 0 } }]);
  assert.equal(acc.result.cut, undefined);
  const cut = { chars: 900, bytes: 950, lines: 90 };
  const second = acc.apply(p.tailEvent({ chunks: [["stderr", "!"], ["stdout", "wxyz"]], cut }));
  assert.deepEqual(second, [{ type: "tail", chunks: [["stderr", "!"], ["stdout", "wxyz"]], cut }]);
  assert.equal(acc.result.stdout, "01234wxyz");
  assert.equal(acc.result.stderr, "!");
  assert.deepEqual(acc.result.cut, cut);
});

test("output beyond the page's own cap becomes its tail", () => {
  const acc = new RunAccumulator(newResult("javascript"), { maxChars: 4, maxImages: 0, maxImageChars: 0 }, 10000);
  const said = acc.apply(p.outputEvent([["stdout", "abcdefgh"]]));
  assert.deepEqual(said.map((e) => e.type), ["stdout", "tail"]);
  assert.equal(acc.result.stdout, "abgh");
  assert.deepEqual(acc.result.cut, { chars: 4, bytes: 4, lines: 0 });
});

test("durations read as people write them", () => {
  assert.equal(formatMs(12.4), "12 ms");
  assert.equal(formatMs(2345), "2.35 s");
});
