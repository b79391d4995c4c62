// The check's verdict (seedui/sandbox/static/runner/verdict.mjs), decided in the runner frame from the plan
// and the steps' reports: "pass" needs every planned step, each reported passed.
import assert from "node:assert/strict";
import { test } from "node:test";

import { verdict } from "../../../seedui/sandbox/static/runner/verdict.mjs";

const ran = { ok: true, error: null, exitCode: null, ranToEnd: true };
const plan = { error: null, tests: ["test_a", "TestB.test_c"] };
const ok = { ok: true, detail: "" };

test("every planned step passed: pass, with the count of test functions", () => {
  assert.deepEqual(verdict(plan, [ok, ok, ok], ran, 2000), { status: "pass", detail: "2 test functions passed", passed: 2, failed: 0 });
  assert.deepEqual(verdict({ error: null, tests: [] }, [ok], ran, 2000), { status: "pass", detail: "all assertions passed", passed: 0, failed: 0 });
});

test("a failed step fails the check and is named", () => {
  const failed = verdict(plan, [ok, ok, { ok: false, detail: "TestB.test_c: assert 1 == 2" }], ran, 2000);
  assert.deepEqual(failed, { status: "fail", detail: "1 of 2 tests failed\nTestB.test_c: assert 1 == 2", passed: 1, failed: 1 });
  const module = verdict(plan, [{ ok: false, detail: "assert f() == 3" }], ran, 2000);
  assert.deepEqual(module, { status: "fail", detail: "assert f() == 3", passed: 0, failed: 1 });
  const one = verdict({ error: null, tests: ["test_a"] }, [ok, { ok: false, detail: "test_a: boom" }], ran, 2000);
  assert.equal(one.detail, "test_a: boom");
});

test("missing steps are never a pass", () => {
  assert.equal(verdict(plan, [ok, ok], ran, 2000).status, "error"); // a planned test never reported
  assert.equal(verdict(null, [ok], ran, 2000).status, "error"); // no plan
  assert.equal(verdict(plan, [], ran, 2000).detail, "The tests did not run.");
});

test("the answer's failure, an exit or tests that do not compile are errors", () => {
  const broken = { ok: false, error: { type: "SyntaxError", message: "bad", traceback: "SyntaxError: bad" }, exitCode: null, ranToEnd: false };
  assert.deepEqual(verdict(plan, [], broken, 2000), { status: "error", detail: "The answer's code failed before the tests ran:\nSyntaxError: bad" });
  assert.match(verdict(plan, [], { ...ran, ranToEnd: false }, 2000).detail, /sys\.exit\(\)/);
  assert.deepEqual(verdict({ error: "The test code does not compile", tests: [] }, [], ran, 2000), { status: "error", detail: "The test code does not compile" });
});

test("the detail is capped", () => {
  const long = "x".repeat(5000);
  const failed = verdict(plan, [{ ok: false, detail: long }], ran, 100);
  assert.ok(failed.detail.length < 200, failed.detail.length);
});
