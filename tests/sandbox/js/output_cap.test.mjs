// The one rule for what a run may show (seedui/sandbox/static/shared/output_cap.mjs), used by the worker,
// the runner frame and the page alike: over the cap, the head and the tail are kept, and what was cut
// between them is counted.
import assert from "node:assert/strict";
import { test } from "node:test";

import { OutputCap, clip, describeCut, measure } from "../../../seedui/sandbox/static/shared/output_cap.mjs";

const limits = { maxChars: 10, maxImages: 2, maxImageChars: 8 };
const text = (chunks) => chunks.map(([, t]) => t).join("");

test("text under the cap passes at once, up to the head; the rest is held as the tail", () => {
  const cap = new OutputCap(limits);
  assert.deepEqual(cap.add([["stdout", "abc"], ["stderr", "de"]]), { chunks: [["stdout", "abc"], ["stderr", "de"]], notices: [] });
  assert.equal(cap.changed, false);
  assert.deepEqual(cap.add([["stdout", "fgh"]]).chunks, []); // beyond the head (5): held
  assert.equal(cap.changed, true);
  assert.deepEqual(cap.takeTail(), { chunks: [["stdout", "fgh"]], cut: { chars: 0, bytes: 0, lines: 0 } });
  assert.equal(cap.changed, false);
});

test("over the cap: the head, the last characters, and the count of what was cut", () => {
  const lines = Array.from({ length: 10 }, (_, i) => `${i}\n`); // 20 characters
  const cap = new OutputCap(limits);
  const passed = [];
  for (const line of lines) passed.push(...cap.add([["stdout", line]]).chunks);
  const all = lines.join("");
  assert.equal(text(passed), all.slice(0, 5));
  const tail = cap.takeTail();
  assert.equal(text(tail.chunks), all.slice(-5));
  assert.deepEqual(tail.cut, measure(all.slice(5, -5)));
  assert.deepEqual(tail.cut, { chars: 10, bytes: 10, lines: 5 });
});

test("the tail keeps stdout and stderr apart and in order", () => {
  const cap = new OutputCap({ ...limits, maxChars: 4 });
  cap.add([["stdout", "ab"], ["stdout", "cd"], ["stderr", "E"], ["stdout", "f"]]);
  assert.deepEqual(cap.takeTail().chunks, [["stderr", "E"], ["stdout", "f"]]);
});

test("a downstream cap takes an upstream's tail in place of its own, and caps it again", () => {
  const upstream = { chunks: [["stdout", "0123456789"]], cut: { chars: 100, bytes: 120, lines: 7 } };
  const cap = new OutputCap(limits);
  cap.add([["stdout", "head!"]]);
  cap.setTail(upstream);
  assert.deepEqual(cap.takeTail(), { chunks: [["stdout", "56789"]], cut: { chars: 105, bytes: 125, lines: 7 } });
  assert.deepEqual(cap.add([["stdout", "x"]]).chunks, []); // the head has ended: later text joins the tail
});

test("UTF-8 bytes and line breaks are counted, and no surrogate pair is split", () => {
  assert.deepEqual(measure("aé€😀\n"), { chars: 6, bytes: 1 + 2 + 3 + 4 + 1, lines: 1 });
  assert.equal(measure("\ud800").bytes, 3); // a lone surrogate is written as U+FFFD
  const cap = new OutputCap({ ...limits, maxChars: 4 });
  const head = cap.add([["stdout", "a😀😀b😀"]]).chunks; // head 2: "a" and half a pair -> "a" only
  assert.equal(text(head), "a");
  const tail = cap.takeTail();
  assert.equal(text(tail.chunks), "😀"); // tail 2: the last pair, whole
  assert.deepEqual(tail.cut, measure("😀😀b"));
});

test("images beyond the count or the size are dropped, with one notice", () => {
  const cap = new OutputCap(limits);
  const out = cap.add([["image", "AAAA"], ["image", "BBBBBB"], ["image", "CC"], ["image", "DD"]]);
  assert.deepEqual(out.chunks, [["image", "AAAA"], ["image", "CC"]]);
  assert.equal(out.notices.length, 1);
  assert.match(out.notices[0], /Images beyond 2/);
});

test("clip keeps a text's ends around the marker; the marker counts lines and bytes", () => {
  assert.equal(clip("short", 10), "short");
  const long = "head\n" + "x\n".repeat(50) + "tail";
  const clipped = clip(long, 10);
  assert.ok(clipped.startsWith("head\n") && clipped.endsWith("\ntail"), clipped);
  assert.equal(clipped, `head\n\n${describeCut(measure(long.slice(5, -5)))}\n\ntail`);
  assert.equal(describeCut({ chars: 1800008, bytes: 1800008, lines: 18000 }), "… 18,000 lines (1,800,008 bytes) cut here …");
  assert.equal(describeCut({ chars: 1, bytes: 1, lines: 1 }), "… 1 line (1 byte) cut here …");
});
