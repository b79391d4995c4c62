// A worker's output function (seedui/sandbox/static/worker/output.mjs): caps, order, batching, the tail.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as p from "../../../seedui/sandbox/static/shared/protocol.mjs";
import { workerOutput } from "../../../seedui/sandbox/static/worker/output.mjs";

const limits = { maxChars: 20, maxImages: 1, maxImageChars: 100 };

function capture() {
  const sent = [];
  const output = workerOutput((message) => sent.push(p.readWorkerMessage(message)), limits);
  return { sent, output, events: () => sent.map((m) => m.event) };
}

test("output before a run starts, and unknown kinds, go nowhere", () => {
  const { sent, output } = capture();
  output.emit("stdout", "early");
  output.begin("r1");
  output.emit("script", "alert(1)");
  output.emit("image", "not base64!");
  output.end();
  assert.deepEqual(sent, []);
});

test("each message carries the run's id; stdout and stderr keep their order", () => {
  const { sent, output, events } = capture();
  output.begin("r1");
  output.emit("stdout", "a");
  output.emit("stderr", "b");
  output.emit("image", "QUJD");
  output.end();
  assert.ok(sent.every((m) => m.type === "event" && m.runId === "r1"));
  assert.deepEqual(events().flatMap((e) => e.chunks), [["stdout", "a"], ["stderr", "b"], ["image", "QUJD"]]);
});

test("a flood is batched, its head sent at once and its tail at the end, with the cut counted", () => {
  const { sent, output, events } = capture();
  output.begin("r1");
  for (let i = 0; i < 1000; i += 1) output.emit("stdout", `${i % 10}`);
  output.emit("stdout", "END");
  output.end();
  const all = Array.from({ length: 1000 }, (_, i) => `${i % 10}`).join("") + "END";
  const head = events().filter((e) => e.kind === "output").flatMap((e) => e.chunks).map((c) => c[1]).join("");
  assert.equal(head, all.slice(0, 10));
  const last = events().at(-1);
  assert.equal(last.kind, "tail");
  assert.deepEqual(last.chunks, [["stdout", all.slice(-10)]]);
  assert.deepEqual(last.cut, { chars: all.length - 20, bytes: all.length - 20, lines: 0 });
  assert.ok(sent.length < 100, sent.length); // not a message a write
});

test("a new run starts with fresh caps", () => {
  const { output, events } = capture();
  output.begin("r1");
  output.emit("stdout", "y".repeat(30));
  output.end();
  output.begin("r2");
  output.emit("stdout", "z");
  output.end();
  assert.deepEqual(events().at(-1), p.outputEvent([["stdout", "z"]]));
});
