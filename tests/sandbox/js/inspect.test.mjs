// How the JavaScript worker's console words values and errors (seedui/sandbox/static/worker/inspect.mjs).
import assert from "node:assert/strict";
import { test } from "node:test";

import { describeError, formatArgs, inspect } from "../../../seedui/sandbox/static/worker/inspect.mjs";

test("values print as Node's console prints them", () => {
  assert.equal(formatArgs(["hello from js", 2]), "hello from js 2");
  assert.equal(inspect({ a: [1, "x"], b: new Map([[1, 2]]) }, 0), "{ a: [ 1, 'x' ], b: Map(1) { 1 => 2 } }");
  assert.equal(inspect(-0, 0), "-0");
  assert.equal(inspect(10n, 0), "10n");
  const loop = { name: "loop" };
  loop.self = loop;
  assert.equal(inspect(loop, 0), "{ name: 'loop', self: [Circular] }");
  assert.equal(inspect(class Foo {}, 0), "[class: Foo]");
});

test("format directives", () => {
  assert.equal(formatArgs(["%s is %d years, %i%%", "Ada", 36.6, 7.9]), "Ada is 36.6 years, 7%");
  assert.equal(formatArgs(["%o", { a: 1 }]), "{ a: 1 }");
  assert.equal(formatArgs(["%s"]), "%s");
});

test("an error keeps its message and the user's frames only", () => {
  const err = new TypeError("x is not a function");
  err.stack = "TypeError: x is not a function\n    at f (main.js:3:5)\n    at start (blob:null/abc:10:1)\n    at eval (main.js:7:1)";
  assert.deepEqual(describeError(err), {
    type: "TypeError",
    message: "x is not a function",
    traceback: "TypeError: x is not a function\n    at f (main.js:3:5)\n    at main.js:7:1",
  });
  assert.equal(describeError("boom").message, "Uncaught boom");
});
