// Reading Gradio's event stream for the Bench's API calls (seedui/sandbox/static/page/bench_api.mjs).
import assert from "node:assert/strict";
import { test } from "node:test";

import { ApiError, readEvents } from "../../../seedui/sandbox/static/page/bench_api.mjs";

test("the complete message's first value, after heartbeats", () => {
  const text = 'event: heartbeat\ndata: null\n\nevent: complete\ndata: [{"code": "x", "error": null}]\n\n';
  assert.deepEqual(readEvents(text), { code: "x", error: null });
});

test("an error message is an ApiError with the server's words", () => {
  const said = 'event: error\ndata: "line 2: field \'prompt\' is missing"\n\n';
  assert.throws(() => readEvents(said), (err) => err instanceof ApiError && err.message === "line 2: field 'prompt' is missing");
  assert.throws(() => readEvents("event: error\ndata: null\n\n"), /gave no reason/);
  assert.throws(() => readEvents('event: error\ndata: {"error": "too many"}\n\n'), /^ApiError: too many$|too many/);
});

test("a stream that ends before its result says so", () => {
  assert.throws(() => readEvents("event: heartbeat\ndata: null\n\n"), /ended before its result/);
  assert.throws(() => readEvents(""), ApiError);
});
