// Every message is made by one builder and read by one reader (seedui/sandbox/static/shared/protocol.mjs):
// what a builder makes, its reader accepts unchanged; what is malformed, its reader refuses.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import * as p from "../../../seedui/sandbox/static/shared/protocol.mjs";

const outcome = { ok: false, error: { type: "ValueError", message: "bad", traceback: "Traceback..." }, exitCode: 3, ranToEnd: false };
const done = p.doneEvent({ result: outcome, durationMs: 12.5, totalMs: 40, unavailable: { numpy: "offline" }, boot: { bootMs: 900 } });
const events = [
  p.phaseEvent("starting"),
  p.phaseEvent("packages", ["numpy", "pandas"]),
  p.outputEvent([["stdout", "a\n"], ["stderr", "b"], ["image", "iVBORw0KGgo="]]),
  p.noticeEvent("Images beyond 20 were dropped."),
  p.tailEvent({ chunks: [["stderr", "warning\n"], ["stdout", "THE END\n"]], cut: { chars: 1800008, bytes: 1800010, lines: 18000 } }),
  done,
  p.doneEvent({ timedOut: true, durationMs: 10000 }),
  p.doneEvent({ stopped: true }),
];
const EMPTY_WASM = new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
const run = p.runCommand({ runId: "r1", nonce: "n1", language: "python", code: "print(1)", tests: "assert 1", mode: "check", pristine: true, timeoutMs: 1500 });

test("each builder's message passes its reader unchanged", () => {
  const pairs = [
    [p.readRunnerHello, p.runnerHello("s3cret", "314.0.7", true, 10000)],
    [p.readRunnerCommand, p.ping("id1")],
    [p.readRunnerCommand, p.warm()],
    [p.readRunnerCommand, p.warm(3)],
    [p.readRunnerCommand, p.stop("r1")],
    [p.readRunnerCommand, run],
    [p.readRunnerCommand, p.runCommand({ runId: "r2", nonce: "n2", language: "javascript", code: "", timeoutMs: 1 })],
    [p.readRunnerReply, p.pong("id1")],
    ...events.map((event) => [p.readRunnerReply, p.runEvent("r1", "n1", event)]),
    ...events.map((event) => [p.readRunEvent, event]),
    [p.readWorkerStart, p.workerStart({ indexURL: "x/" })],
    [p.readWorkerCommand, p.snapshotOffer(new Uint8Array([1, 2]), false)],
    [p.readWorkerCommand, p.snapshotOffer(null, true)],
    [p.readWorkerCommand, p.snapshotOffer(new Uint8Array([1]), false, EMPTY_WASM, { packages: {} })],
    [p.readWorkerCommand, p.workerRun("r1", "print(1)", "", "run")],
    [p.readWorkerMessage, p.workerReady(812.5, { importMs: 3, fromSnapshot: 1 })],
    [p.readWorkerMessage, p.bootError("TypeError: no")],
    [p.readWorkerMessage, p.snapshotMade(new Uint8Array([1]))],
    [p.readWorkerMessage, p.spawned()],
    ...events.map((event) => [p.readWorkerMessage, p.workerEvent("r1", event)]),
    [p.readWorkerMessage, p.checkPlan("r1", null, ["test_a", "TestB.test_c"])],
    [p.readWorkerMessage, p.checkPlan("r1", "The test code does not compile", [])],
    [p.readWorkerMessage, p.checkStep("r1", 0, true, "")],
    [p.readWorkerMessage, p.checkStep("r1", 2, false, "test_a: assert 1 == 2")],
    [p.readOutcome, outcome],
    [p.readOutcome, { ok: true, error: null, exitCode: null, ranToEnd: true, check: { status: "pass", detail: "2 test functions passed", passed: 2, failed: 0 } }],
    [p.readOutcome, p.sandboxError("no worker")],
  ];
  for (const [read, message] of pairs) {
    assert.deepEqual(read(structuredClone(message)), message, JSON.stringify(message));
  }
});

test("a page asks for at most MAX_WARM_CHECKS pristine interpreters; a snapshot offer drops what is not a module", () => {
  assert.deepEqual(p.readRunnerCommand(p.warm(100)), p.warm(p.MAX_WARM_CHECKS));
  const offer = p.readWorkerCommand({ type: "snapshot", data: null, makeSnapshot: false, wasm: "code", lock: [1] });
  assert.deepEqual(offer, p.snapshotOffer(null, false));
});

test("a reader returns a copy with only the fields it knows", () => {
  const read = p.readRunnerCommand({ ...run, extra: "x", __proto__: { injected: true } });
  assert.deepEqual(read, run);
  assert.equal(Object.getPrototypeOf(read), Object.prototype);
  const reply = p.readRunnerReply(p.runEvent("r1", "n1", { ...p.noticeEvent("hi"), html: "<b>" }));
  assert.deepEqual(reply.event, p.noticeEvent("hi"));
});

test("malformed messages are refused", () => {
  const refused = [
    [p.readRunnerHello, { type: "seedui-runner-hello" }], // the forged hello of the attack tests
    [p.readRunnerHello, { type: "seedui-runner-hello", secret: 1, version: "x", local: true, timeoutMs: 1 }],
    [p.readRunnerHello, { ...p.runnerHello("s", "v", true, 1), timeoutMs: "1" }],
    [p.readRunnerCommand, null],
    [p.readRunnerCommand, "run"],
    [p.readRunnerCommand, { type: "eval", code: "1" }],
    [p.readRunnerCommand, { type: "ping" }],
    [p.readRunnerCommand, { type: "warm" }],
    [p.readRunnerCommand, { type: "warm", checks: -1 }],
    [p.readRunnerCommand, { ...run, language: "ruby" }],
    [p.readRunnerCommand, { ...run, language: "html" }],
    [p.readRunnerCommand, { ...run, mode: "verdict" }],
    [p.readRunnerCommand, { ...run, timeoutMs: 0 }],
    [p.readRunnerCommand, { ...run, timeoutMs: Infinity }],
    [p.readRunnerCommand, { ...run, code: null }],
    [p.readRunnerCommand, { ...run, pristine: "yes" }],
    [p.readRunnerReply, { type: "seedui-run-event", runId: "r1", event: p.noticeEvent("x") }], // no nonce
    [p.readRunnerReply, p.runEvent("r1", "n1", { kind: "exec", code: "x" })],
    [p.readRunnerReply, { type: "seedui-runner-ready", nonce: "guess" }],
    [p.readRunEvent, { kind: "phase", phase: "hacking" }],
    [p.readRunEvent, { kind: "output", chunks: "text" }],
    [p.readRunEvent, { kind: "notice", text: 5 }],
    [p.readRunEvent, []],
    [p.readRunEvent, { kind: "tail", chunks: [], cut: { chars: -1, bytes: 0, lines: 0 } }],
    [p.readRunEvent, { kind: "tail", chunks: [], cut: { chars: 1.5, bytes: 0, lines: 0 } }],
    [p.readRunEvent, { kind: "tail", chunks: [] }],
    [p.readWorkerStart, { type: "start" }],
    [p.readWorkerCommand, { type: "run", runId: "r", code: "x", tests: "", mode: "check-and-pass" }],
    [p.readWorkerMessage, { type: "check-step", runId: "r", index: -1, ok: true, detail: "" }],
    [p.readWorkerMessage, { type: "check-step", runId: "r", index: 0, ok: "true", detail: "" }],
    [p.readWorkerMessage, { type: "check-step", runId: "r", index: 0.5, ok: true, detail: "" }],
    [p.readWorkerMessage, { type: "check-plan", runId: "r", error: null, tests: [1] }],
    [p.readWorkerMessage, { type: "ready", bootMs: -1 }],
    [p.readWorkerMessage, { type: "snapshot", data: [1, 2] }],
    [p.readWorkerMessage, { type: "done", runId: "r", result: { ok: true } }], // not an event: unknown
    [p.readPreviewHello, { type: "seedui-preview-hello" }],
    [p.readPreviewReply, { type: "refused" }],
    [p.readPreviewReply, { type: "html", html: "<p>" }],
  ];
  for (const [read, message] of refused) assert.equal(read(message), null, JSON.stringify(message));
});

test("output chunks of unknown kinds, and images that are not base64, are dropped", () => {
  const chunks = [["stdout", "a"], ["script", "alert(1)"], ["image", 'x" onerror="alert(1)'], ["image", "QUJD"], ["stderr", 5], "x"];
  assert.deepEqual(p.readChunks(chunks), [["stdout", "a"], ["image", "QUJD"]]);
});

test("an outcome's verdict and fields are read strictly, a malformed one reads as failed", () => {
  const forged = p.readOutcome({ ok: "yes", error: null, check: { status: "passed", detail: "forged" } });
  assert.equal(forged.ok, false);
  assert.equal(forged.check, undefined);
  assert.equal(p.readOutcome(null).ok, false);
  assert.equal(p.readOutcome({ ok: true, error: { type: "X", message: "m", traceback: "" } }).error, null);
});

test("a tail carries text only", () => {
  const tail = p.readRunEvent({ kind: "tail", chunks: [["stdout", "a"], ["image", "QUJD"]], cut: { chars: 0, bytes: 0, lines: 0 } });
  assert.deepEqual(tail.chunks, [["stdout", "a"]]);
});

test("a window message claims to be ours only with a seedui- type", () => {
  assert.equal(p.claimsSeedui({ type: "seedui-run-event" }), true);
  assert.equal(p.claimsSeedui({ type: "rendered" }), false);
  assert.equal(p.claimsSeedui("seedui-x"), false);
});

test("the messages preview.html writes as literals pass the readers", () => {
  const html = readFileSync(new URL("../../../seedui/sandbox/static/preview.html", import.meta.url), "utf8");
  const literals = Array.from(html.matchAll(/(?:say|postMessage)\((\{ type: "[^}]*\})/g), (m) => m[1]);
  assert.equal(literals.length, 4, literals.join("\n"));
  for (const literal of literals) {
    // The literals' free variables (secret, the refusal's reason) as the preview has them.
    const message = new Function("secret", `return ${literal};`)("s3cret");
    const read = message.type === "seedui-preview-hello" ? p.readPreviewHello(message) : p.readPreviewReply(message);
    assert.deepEqual(read, message, literal);
  }
});
