// A check, driven from the Python worker: the verdict is the runner's (runner/verdict.mjs), from what this
// sends: the plan (before the answer's code runs, in an interpreter no user code has touched: the runner
// gives checks a fresh one) and each step's outcome (raised or not). A step is called through Python
// builtins taken at start-up (builtin functions and types cannot be changed from Python, only the names
// that point to them), and settled through JavaScript functions taken before any user code, without
// await. Rewriting the harness, json, builtins, AssertionError or JSON.parse leaves this path alone. What
// it cannot stop is written in docs/sandbox-security.md.

import { clip } from "../shared/output_cap.mjs";
import { checkPlan, checkStep, sandboxError } from "../shared/protocol.mjs";

// Taken when this module is evaluated, before any user code exists.
const apply = Reflect.apply;
const promiseThen = Promise.prototype.then;
const parseJSON = JSON.parse;

export function describe(err) {
  if (err && typeof err === "object" && "message" in err) return `${err.name || "Error"}: ${err.message}`;
  return String(err);
}

/** The Python functions a check uses, taken once the interpreter is up and before any user code runs. */
export function takeTools(pyodide, harness, check) {
  const taken = pyodide.runPython(
    "import builtins, operator, sys, types\n" +
      "(builtins.eval, builtins.getattr, builtins.setattr, builtins.type, dict.get, operator.is_, types.FunctionType," +
      " types.CoroutineType, sys, sys.settrace, sys.setprofile)",
  );
  const [evaluate, getattr, setattr, type, dictGet, is, FunctionType, CoroutineType, sys, settrace, setprofile] = taken.toJs({ depth: 1 });
  taken.destroy();
  return {
    ...{ evaluate, getattr, setattr, type, dictGet, is, FunctionType, CoroutineType, sys, settrace, setprofile },
    quiet: check._quiet,
    callPromising: evaluate.callPromising,
    prepare: check.prepare_check,
    failureText: check.failure_text,
    plan: harness.plan, // taken here, not per run: a PyProxy caches what JS reads from it (python_reset.mjs)
    runAnswer: harness.run_answer,
    drive: harness._drive,
  };
}

/** Compile the tests and plan the steps, and send the plan, before the answer's code runs. */
export function prepareCheck(T, command, send, maxDetailChars) {
  const prepared = T.prepare(command.tests);
  // item by item, not toJs(): a conversion fills JS caches that would keep the worker from being reset
  const [planJson, namespace, testsCode, codeTuple] = [0, 1, 2, 3].map((i) => prepared.get(i));
  const plan = parseJSON(planJson);
  send(checkPlan(command.runId, plan.error, plan.tests));
  const steps = [{ name: null }];
  plan.tests.forEach((name, i) => {
    const dot = name.indexOf(".");
    steps.push({ name, owner: dot < 0 ? null : name.slice(0, dot), attr: name.slice(dot + 1), code: codeTuple.get(i) });
  });
  return { plan, namespace, testsCode, steps, send, maxDetailChars };
}

/** Resolves with the answer's outcome; the steps' outcomes are sent as they come. */
export function runCheck(T, command, prepared, unavailable) {
  const { plan, namespace, testsCode, steps, send, maxDetailChars } = prepared;
  const runId = command.runId;
  const call = (fn, args) => apply(T.callPromising, fn, args);
  const settle = (promise, next) => apply(promiseThen, promise, [(value) => next(true, value), (error) => next(false, error)]);
  const unavailableJson = JSON.stringify(unavailable);
  return new Promise((resolve) => {
    let index = 0;
    const report = (ok, detail) => {
      send(checkStep(runId, index, ok, clip(String(detail), maxDetailChars)));
      index += 1;
      if ((!ok && index === 1) || index >= steps.length) resolve(outcome);
      else attempt();
    };
    const failed = (name, error, fromPython) => {
      let text = null;
      try {
        if (fromPython) text = T.failureText(name === null ? undefined : name);
      } catch (err) {
        text = null;
      }
      if (typeof text !== "string") text = (name ? name + ": " : "") + (fromPython ? describe(error) : String(error && error.message));
      report(false, text);
    };
    // The object in the namespace must still be the function tests.py defined there.
    const callable = (step) => {
      let owner = null;
      let fn;
      if (step.owner !== null) {
        owner = T.dictGet(namespace, step.owner);
        if (!T.is(T.type(owner), T.type)) throw new Error(`${step.name} is not the function tests.py defines: something replaced it`);
        fn = T.getattr(owner, step.attr, undefined);
      } else {
        fn = T.dictGet(namespace, step.name);
      }
      const genuine =
        fn !== undefined && T.is(T.type(fn), T.FunctionType) && T.is(T.getattr(fn, "__code__"), step.code) && T.is(T.getattr(fn, "__globals__"), namespace);
      if (!genuine) throw new Error(`${step.name} is not the function tests.py defines: something replaced it`);
      return [fn, owner === null ? [] : [owner()]];
    };
    const attempt = () => {
      const step = steps[index];
      let promise;
      try {
        T.settrace(undefined); // a trace function can jump over an assert
        T.setprofile(undefined);
        T.setattr(T.sys, "excepthook", T.quiet); // Pyodide prints an exception that reaches JS through it
        if (step.name === null) {
          promise = call(T.evaluate, [testsCode, namespace]);
        } else {
          const [fn, args] = callable(step);
          promise = call(fn, args);
        }
      } catch (err) {
        failed(step.name, err, Boolean(err && err.type));
        return;
      }
      settle(promise, (ok, value) => {
        if (!ok) return failed(step.name, value, true);
        if (value !== undefined && value !== null && T.is(T.type(value), T.CoroutineType)) {
          return settle(call(T.drive, [value]), (done, error) => (done ? report(true, "") : failed(step.name, error, true)));
        }
        report(true, "");
      });
    };
    let outcome;
    settle(call(T.runAnswer, [command.code, namespace, unavailableJson]), (ok, value) => {
      try {
        outcome = ok ? parseJSON(value) : sandboxError(describe(value));
      } catch (err) {
        outcome = sandboxError("The answer's outcome could not be read.");
      }
      if (plan.error === null && outcome && outcome.ok === true && outcome.ranToEnd === true) attempt();
      else resolve(outcome);
    });
  });
}
