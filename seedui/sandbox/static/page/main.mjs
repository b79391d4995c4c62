// SeedUI page script: Run / Copy buttons on code blocks, output panels, the execution-checked comparison,
// and window.seedui. Loaded from the page head as a module (seedui/sandbox/pages.py head_html).
//
// Code never runs in this page. Python and JavaScript go to a hidden runner frame (runner_client.mjs,
// <iframe sandbox="allow-scripts">, opaque origin); HTML previews render in their own sandboxed frames
// (previews.mjs). A frame made here proves itself once, with a secret from its URL fragment, and hands over
// a MessagePort (frames.mjs); every message is built and read by shared/protocol.mjs. Everything shown is
// inserted as text (textContent), never as HTML.
//
// API:
//   seedui.run({language, code, timeoutMs, signal, onEvent, container})
//     -> Promise<{ok, stdout, stderr, error, timedOut, stopped, durationMs, images, cut?, ...}>  (run_result.mjs)
//   seedui.checkLanes(testCode, timeoutMs?, {attribute, target, titles}?)   (checks.mjs: which lanes, where shown)
//     -> Promise<{[lane]: {status: "pass"|"fail"|"error"|"timeout", detail, durationMs}}>
//   seedui.warm(checks?)   start Python before the first run; keep `checks` pristine interpreters booted
//     for checks (a bench run asks for them; 0 ends them)
//   seedui.bench.run({suite, limit, lanes, settings, inFlight, timeoutMs, checks}), .stop(), .show(run)
//     a suite across the lanes, each answer checked here in a pristine interpreter (bench_run.mjs)

import { checker, makeBench } from "./bench_run.mjs";
import { BenchView } from "./bench_view.mjs";
import { languageReader } from "./blocks.mjs";
import { installButtons } from "./buttons.mjs";
import { makeCheckLanes, renderCheckResults } from "./checks.mjs";
import { outputLimits, readConfig } from "./config.mjs";
import { Hellos, lockFrames } from "./frames.mjs";
import { makeRunBlock } from "./output_panel.mjs";
import { Previews } from "./previews.mjs";
import { makeRun } from "./run.mjs";
import { RunnerClient } from "./runner_client.mjs";

function install() {
  const config = readConfig(import.meta.url);
  const prefix = new URL("../../", import.meta.url).href; // the sandbox folder (this is in v<hash>/page/)
  const stats = { rejectedMessages: 0, runs: 0 };
  const languageOf = languageReader(config);
  if (config.lockFrames !== false) lockFrames(prefix);
  const hellos = new Hellos(stats);
  const previews = new Previews(prefix, hellos);
  const runner = new RunnerClient(prefix, hellos, stats, previews);
  const run = makeRun({ config, languageOf, limits: outputLimits(config), runner, previews, stats });
  const runBlock = makeRunBlock({ config, languageOf, run });
  installButtons({ config, languageOf, runBlock, runner });
  window.seedui = Object.freeze({
    __installed: true,
    version: String(config.version || ""),
    config: Object.freeze(Object.assign({}, config)),
    stats,
    run,
    checkLanes: makeCheckLanes({ languageOf, run }),
    warm: (checks = 0) => runner.warm(checks),
    bench: Object.freeze(makeBench({ check: checker(run), prewarm: (n) => runner.warm(n), view: new BenchView() })),
    runBlock,
    renderCheckResults,
  });
}

if (!(window.seedui && window.seedui.__installed)) install();
