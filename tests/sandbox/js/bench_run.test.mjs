// seedui.bench.run's orchestration (seedui/sandbox/static/page/bench_run.mjs) with its parts faked: the
// server calls, the checks and the view. What the real parts do is tested in tests/ui/test_bench_browser.py.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ApiError } from "../../../seedui/sandbox/static/page/bench_api.mjs";
import { makeBench, plan } from "../../../seedui/sandbox/static/page/bench_run.mjs";

const CONFIG = {
  lanes: {
    base: { display_name: "Base", role: "base", model: "m/b", engine: "e", in_flight: 1 },
    instruct: { display_name: "Instruct", role: "instruct", model: "m/i", engine: "e", in_flight: 4 },
  },
  maxInFlight: 6,
  timeLimitS: 10,
  z: 1.959963984540054,
  suites: { "humaneval-quick": "quick" },
};
const PROBLEMS = ["t/1", "t/2", "t/3", "t/4", "t/5"].map((task_id) => ({ task_id, prompt: `p ${task_id}`, entry_point: "f", tests: "T" }));
const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

/** A fake server: the suite, and per (task, lane) an answer; counts what is in flight per lane. */
function server({ answer = () => ({ code: "CODE", text: "A", error: null }), suite = PROBLEMS, refuse = null } = {}) {
  const calls = [];
  const inFlight = {};
  const peak = {};
  const call = async (name, data, signal) => {
    calls.push([name, data]);
    if (name === "bench_suite") {
      if (refuse) throw new ApiError(refuse);
      return { suite: data[0], label: "Label", problems: suite };
    }
    const [ref, lane] = data;
    inFlight[lane] = (inFlight[lane] || 0) + 1;
    peak[lane] = Math.max(peak[lane] || 0, inFlight[lane]);
    try {
      await tick();
      if (signal.aborted) throw new DOMException("aborted", "AbortError");
      const out = answer(ref.task_id, lane);
      if (out instanceof Error) throw out;
      return { task_id: ref.task_id, lane, model: "m", reasoning: "", tests: "T", stats: { completion_tokens: 3 }, ...out };
    } finally {
      inFlight[lane] -= 1;
    }
  };
  return { call, calls, peak };
}

function bench(srv, verdictFor = () => "pass", extra = {}) {
  const checks = { running: 0, peak: 0, count: 0 };
  const views = [];
  const warmed = [];
  const check = async ({ code, signal }) => {
    checks.running += 1;
    checks.peak = Math.max(checks.peak, checks.running);
    checks.count += 1;
    try {
      await tick();
      if (signal.aborted) return null;
      const verdict = verdictFor(code);
      if (verdict === "sandbox") return { sandboxError: "no runner" };
      return { verdict, error: verdict === "pass" ? null : "assert 1 == 2", check_ms: 5 };
    } finally {
      checks.running -= 1;
    }
  };
  const view = { update: (state) => views.push(state.finished), show: () => {} };
  const b = makeBench({ check, prewarm: (n) => warmed.push(n), view, call: srv.call, config: async () => CONFIG, ...extra });
  return { b, checks, views, warmed };
}

test("the plan: all lanes by default, their own in-flight counts, capped; an unknown lane is refused", () => {
  const p = plan({}, CONFIG, 2);
  assert.deepEqual(p.lanes, ["base", "instruct"]);
  assert.deepEqual(p.inFlight, { base: 1, instruct: 4 });
  assert.equal(p.suite, "humaneval-quick");
  assert.equal(p.timeoutMs, 10000);
  assert.equal(p.checks, 2);
  assert.deepEqual(plan({ inFlight: 5 }, CONFIG).inFlight, { base: 3, instruct: 3 }); // 10 asked, 6 allowed
  assert.deepEqual(plan({ inFlight: { instruct: 2 }, lanes: "instruct", limit: "3" }, CONFIG).inFlight, { instruct: 2 });
  assert.equal(plan({ limit: 0 }, CONFIG).limit, null);
  assert.throws(() => plan({ lanes: ["base", "nope"] }, CONFIG), /unknown lane 'nope'; lanes here: base, instruct/);
});

test("every problem on every lane, checked; verdicts, scores and the suite's problems come back", async () => {
  const srv = server({ answer: (task, lane) => ({ code: `${lane}:${task}`, text: "A", error: null }) });
  const { b, checks, views, warmed } = bench(srv, (code) => (code === "instruct:t/2" ? "fail" : "pass"));
  const run = await b.run({ suite: "humaneval-quick", settings: { temperature: 0.5 } });
  assert.equal(run.lanes.base.passed, 5);
  assert.equal(run.lanes.instruct.passed, 4);
  assert.equal(run.lanes.instruct.total, 5);
  assert.deepEqual(run.lanes.instruct.results["t/2"], {
    code: "instruct:t/2", answer: "A", reasoning: "", stats: { completion_tokens: 3 }, verdict: "fail", error: "assert 1 == 2", check_ms: 5,
  }); // prettier-ignore
  assert.equal(run.problems.length, 5);
  assert.equal(run.stopped, false);
  assert.equal(run.error, null);
  assert.equal(run.lanes.base.stats.tokens, 15);
  assert.equal(checks.count, 10);
  assert.ok(checks.peak <= 2);
  assert.deepEqual(warmed, [3, 0]); // pristine interpreters asked for while it runs, given back after
  assert.equal(views.at(-1), true);
  const generate = srv.calls.filter(([name]) => name === "bench_generate");
  assert.deepEqual(generate[0][1], [{ suite: "humaneval-quick", task_id: "t/1" }, generate[0][1][1], { temperature: 0.5 }]);
  assert.equal(srv.peak.base, 1); // the CPU lane: one at a time
  assert.ok(srv.peak.instruct > 1 && srv.peak.instruct <= 4);
});

test("a visitor's suite sends each problem itself; a limit takes the first ones", async () => {
  const srv = server();
  const { b } = bench(srv);
  const run = await b.run({ suite: { name: "mine.jsonl", jsonl: "..." }, lanes: ["base"], limit: 2 });
  assert.deepEqual(srv.calls[0], ["bench_suite", ["mine.jsonl", "..."]]);
  assert.deepEqual(srv.calls[1][1][0], PROBLEMS[0]);
  assert.deepEqual(Object.keys(run.lanes.base.results), ["t/1", "t/2"]);
});

test("a lane's failure on a problem, or an answer with no code, is that problem's error, unchecked", async () => {
  const srv = server({
    answer: (task, lane) =>
      lane === "base" && task === "t/1" ? { code: "", text: "", error: "the lane was stopped" } : { code: task === "t/3" ? "  " : "C", text: "prose", error: null },
  });
  const { b, checks } = bench(srv);
  const run = await b.run({ lanes: ["base"] });
  assert.equal(run.lanes.base.results["t/1"].verdict, "error");
  assert.equal(run.lanes.base.results["t/1"].error, "No answer: the lane was stopped");
  assert.equal(run.lanes.base.results["t/3"].error, "The answer has no Python code to check.");
  assert.equal(checks.count, 3);
  assert.equal(run.lanes.base.passed, 3);
});

test("a bad suite rejects before anything runs; a refused generation stops the run with its reason", async () => {
  const bad = server({ refuse: "line 2: field 'prompt' is missing" });
  const { b } = bench(bad);
  await assert.rejects(b.run({ suite: { name: "x", jsonl: "{}" } }), (err) => err instanceof ApiError && /line 2: field 'prompt'/.test(err.message));
  assert.equal(bad.calls.length, 1);
  assert.equal(b.running(), false);
  const limited = server({ answer: (task) => (task === "t/3" ? new ApiError("too many bench generations from this client: 2 per hour") : { code: "C", text: "", error: null }) });
  const run = await bench(limited).b.run({ lanes: ["base"] });
  assert.equal(run.stopped, true);
  assert.match(run.error, /2 per hour/);
  assert.ok(Object.keys(run.lanes.base.results).length < 5);
});

test("a full queue is asked again, not the end of the run", async () => {
  let refused = 0;
  const srv = server({ answer: (task) => (task === "t/2" && refused++ < 1 ? new ApiError("queue is full", true) : { code: "C", text: "", error: null }) });
  const run = await bench(srv).b.run({ lanes: ["base"] });
  assert.equal(run.error, null);
  assert.equal(run.lanes.base.passed, 5);
  assert.equal(refused, 2);
});

test("stop ends the run with what it has; a second run waits for the first to end", async () => {
  const srv = server();
  const { b } = bench(srv);
  const running = b.run({ lanes: ["base"] });
  await assert.rejects(b.run({}), /already in progress/);
  await tick();
  b.stop();
  const run = await running;
  assert.equal(run.stopped, true);
  assert.ok(Object.keys(run.lanes.base.results).length < 5);
  assert.equal(b.running(), false);
});

test("a sandbox that cannot check is tried twice, then stops the run", async () => {
  const { b, checks } = bench(server(), () => "sandbox");
  const run = await b.run({ lanes: ["base"], limit: 1 });
  assert.equal(checks.count, 2);
  assert.match(run.error, /could not check the answers: no runner/);
});
