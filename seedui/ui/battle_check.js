// "Check both answers" on the Battle tab: a Gradio `js=` step (an expression), given the test code and the
// battle id, returning [checks, battleId] for the Python handler that keeps the checks with the vote.
//
// seedui.checkLanes reads every [data-seedui-lane] in the page: the Compare tab's lanes. The battle's sides
// carry data-seedui-battle-side instead (seedui/ui/lane_view.py `lane_template`), so this runs the same check
// on them through the public window.seedui API: the last Python block of each answer, in a pristine runner,
// with the verdict decided by the runner (seedui.run in check mode), shown with seedui.renderCheckResults.
async (tests, battleId) => {
  const seedui = window.seedui;
  const target = document.getElementById("battle-check-results");
  const titles = { a: "Model A", b: "Model B" };
  const fail = (detail) => ({ status: "error", detail, durationMs: 0 });
  const results = {};
  const show = () => {
    if (!target || !seedui) return;
    const shown = {};
    for (const [side, r] of Object.entries(results)) shown[titles[side] || side] = r;
    seedui.renderCheckResults(target, shown);
  };
  const sides = Array.from(document.querySelectorAll("[data-seedui-battle-side]"));
  for (const lane of sides) results[lane.getAttribute("data-seedui-battle-side")] = { status: "running", detail: "", durationMs: 0 };
  show();
  await Promise.all(
    sides.map(async (lane) => {
      const side = lane.getAttribute("data-seedui-battle-side");
      const langs = (seedui && seedui.config.languages) || {};
      const blocks = Array.from(lane.querySelectorAll(".seedui-code")).filter(
        (b) => langs[(b.getAttribute("data-lang") || "").toLowerCase()] === "python",
      );
      const last = blocks[blocks.length - 1];
      const pre = last ? last.querySelector(".highlight pre") || last.querySelector("pre") : null;
      const code = pre ? pre.textContent : "";
      if (!seedui) {
        results[side] = fail("The code runner is not loaded on this page.");
      } else if (!code.trim()) {
        results[side] = fail("This answer has no Python code block to run.");
      } else if (!String(tests || "").trim()) {
        results[side] = fail("There is no test code: write asserts or test_* functions.");
      } else {
        const res = await seedui.run({ language: "python", code, tests: String(tests), mode: "check", pristine: true });
        const durationMs = Math.round(res.durationMs || 0);
        if (res.timedOut) results[side] = { status: "timeout", detail: res.error || "", durationMs };
        else if (res.check) results[side] = { status: res.check.status, detail: res.check.detail || "", durationMs };
        else results[side] = { status: "error", detail: res.error || "The run failed.", durationMs };
      }
      show();
    }),
  );
  return [{ tests: String(tests || ""), ...results }, battleId];
}
