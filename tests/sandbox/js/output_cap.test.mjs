// The one rule for what a run may show (seedui/sandbox/static/shared/output_cap.mjs), used by the worker,
// the runner frame and the page alike.
import assert from "node:assert/strict";
import { test } from "node:test";

import { OutputCap, keepEnd } from "../../../seedui/sandbox/static/shared/output_cap.mjs";

const limits = { maxChars: 10, maxImages: 2, maxImageChars: 8 };

test("text under the cap passes as it is", () => {
  const cap = new OutputCap(limits);
  assert.deepEqual(cap.add([["stdout", "abc"], ["stderr", "de"]]), { chunks: [["stdout", "abc"], ["stderr", "de"]], notices: [] });
});

test("text over the cap is cut, with one notice", () => {
  const cap = new OutputCap(limits);
  const first = cap.add([["stdout", "0123456"], ["stderr", "789abc"]]);
  assert.deepEqual(first.chunks, [["stdout", "0123456"], ["stderr", "789"]]);
  assert.equal(first.notices.length, 1);
  assert.deepEqual(cap.add([["stdout", "more"]]), { chunks: [], notices: [] });
});

test("images beyond the count or the size are dropped, with one notice", () => {
  const cap = new OutputCap(limits);
  const out = cap.add([["image", "AAAA"], ["image", "BBBBBB"], ["image", "CC"], ["image", "DD"]]);
  assert.deepEqual(out.chunks, [["image", "AAAA"], ["image", "CC"]]);
  assert.equal(out.notices.length, 1);
  assert.match(out.notices[0], /Images beyond 2/);
});

test("keepEnd keeps the last characters", () => {
  assert.equal(keepEnd("short", 10), "short");
  assert.equal(keepEnd("0123456789abc", 3), "...abc");
});
