// The verdict of a check, decided in the runner frame, where no user code reaches, from the plan the worker
// sent before the answer's code ran and the outcome of each step (worker/python_check.mjs). "pass" needs
// every planned step, each reported passed.

import { clip } from "../shared/output_cap.mjs";

/**
 * @param {{error: string | null, tests: string[]} | null} plan  null: the worker sent none
 * @param {{ok: boolean, detail: string}[]} steps  in plan order: the test module, then each test
 * @param {import("../shared/protocol.mjs").Outcome} outcome  what the answer's code did
 * @param {number} maxDetailChars
 * @returns {import("../shared/protocol.mjs").Verdict}
 */
export function verdict(plan, steps, outcome, maxDetailChars) {
  const cut = (text) => clip(text, maxDetailChars);
  if (!plan) return { status: "error", detail: "The check did not start." };
  if (plan.error !== null) return { status: "error", detail: cut(plan.error) };
  if (steps.length === 0) {
    if (outcome.ok !== true) {
      const error = outcome.error || {};
      const text = String(error.traceback || error.message || "");
      return { status: "error", detail: cut("The answer's code failed before the tests ran:\n" + text) };
    }
    if (outcome.ranToEnd !== true) return { status: "error", detail: "The answer's code called sys.exit() before the tests ran." };
    return { status: "error", detail: "The tests did not run." };
  }
  const [module, ...tests] = steps;
  if (!module.ok) return { status: "fail", detail: cut(module.detail), passed: 0, failed: 1 };
  if (tests.length < plan.tests.length) return { status: "error", detail: "The check stopped before all tests ran." };
  const failures = tests.filter((step) => !step.ok).map((step) => step.detail);
  const passed = tests.length - failures.length;
  if (failures.length) {
    const head = tests.length > 1 ? `${failures.length} of ${tests.length} tests failed\n` : "";
    return { status: "fail", detail: cut(head + failures.join("\n")), passed, failed: failures.length };
  }
  return { status: "pass", detail: tests.length ? `${passed} test functions passed` : "all assertions passed", passed, failed: 0 };
}
