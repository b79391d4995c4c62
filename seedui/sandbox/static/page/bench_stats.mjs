// The Bench's numbers: pass@1 with its 95% Wilson interval per lane, and which problems a filter keeps.
// seedui/evals/scoring.py holds the same interval for the server; tests/ui/test_bench_browser.py checks
// that both give the same values. z comes from the server's config (scoring.Z95).

/** The Wilson score interval of ``successes`` in ``trials``; [0, 1] with no trials. @returns {[number, number]} */
export function wilson(successes, trials, z) {
  if (!(trials > 0)) return [0, 1];
  const p = successes / trials;
  const z2 = z * z;
  const denominator = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denominator;
  const margin = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / denominator;
  return [Math.max(0, centre - margin), Math.min(1, centre + margin)];
}

/**
 * A lane's score so far: pass@1 over the problems that have a verdict.
 * @param {Object<string, {verdict: string}>} results
 * @returns {{passed: number, total: number, passAt1: number, low: number, high: number}}
 */
export function score(results, z) {
  const verdicts = Object.values(results).map((r) => r.verdict);
  const passed = verdicts.filter((v) => v === "pass").length;
  const total = verdicts.length;
  const [low, high] = wilson(passed, total, z);
  return { passed, total, passAt1: total ? passed / total : 0, low, high };
}

/**
 * Whether problem ``taskId`` is shown: ``solvedBy`` is "" (any problem) or a lane that passed it,
 * ``notBy`` "" or a lane that did not pass it (no verdict yet counts as not passed).
 */
export function kept(lanes, taskId, solvedBy, notBy) {
  const passed = (lane) => Boolean(lanes[lane] && lanes[lane].results[taskId] && lanes[lane].results[taskId].verdict === "pass");
  return (!solvedBy || passed(solvedBy)) && (!notBy || !passed(notBy));
}

/** "12.5%" */
export const percent = (x) => `${(100 * x).toFixed(1)}%`;
