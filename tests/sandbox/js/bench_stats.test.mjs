// The Bench's numbers (seedui/sandbox/static/page/bench_stats.mjs): the Wilson interval against values
// hand-checked in seedui/evals/scoring.py's tests (the browser test compares the two on a grid), scores, filters.
import assert from "node:assert/strict";
import { test } from "node:test";

import { kept, percent, score, wilson } from "../../../seedui/sandbox/static/page/bench_stats.mjs";

const Z = 1.959963984540054;
const close = (got, want) => got.forEach((x, i) => assert.ok(Math.abs(x - want[i]) < 1e-12, `${got} vs ${want}`));

test("the 95% Wilson interval at the edges and in the middle", () => {
  close(wilson(0, 10, Z), [0, 0.2775327998628892]);
  close(wilson(5, 10, Z), [0.236593090512564, 0.7634069094874361]);
  close(wilson(10, 10, Z), [0.7224672001371107, 0.9999999999999999]);
  close(wilson(161, 164, Z), [0.9476049010042733, 0.9937596528440829]);
  assert.deepEqual(wilson(0, 0, Z), [0, 1]);
});

test("a lane's score counts verdicts so far", () => {
  const s = score({ a: { verdict: "pass" }, b: { verdict: "fail" }, c: { verdict: "timeout" }, d: { verdict: "pass" } }, Z);
  assert.equal(s.passed, 2);
  assert.equal(s.total, 4);
  assert.equal(s.passAt1, 0.5);
  assert.deepEqual(score({}, Z), { passed: 0, total: 0, passAt1: 0, low: 0, high: 1 });
  assert.equal(percent(0.125), "12.5%");
});

test("solved by A, not by B", () => {
  const lanes = {
    a: { results: { t1: { verdict: "pass" }, t2: { verdict: "pass" }, t3: { verdict: "fail" } } },
    b: { results: { t1: { verdict: "pass" }, t2: { verdict: "error" } } },
  };
  const shown = (solvedBy, notBy) => ["t1", "t2", "t3"].filter((t) => kept(lanes, t, solvedBy, notBy));
  assert.deepEqual(shown("", ""), ["t1", "t2", "t3"]);
  assert.deepEqual(shown("a", ""), ["t1", "t2"]);
  assert.deepEqual(shown("a", "b"), ["t2"]);
  assert.deepEqual(shown("", "a"), ["t3"]); // no verdict yet counts as not solved
});
