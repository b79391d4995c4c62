// The output panel under a code block: Run shows the run's status, its output as it streams (always as
// text; beyond the cap its head, a marker of what was cut, and its tail), its images, notices and error,
// and a Stop and a Close button.

import { describeCut } from "../shared/output_cap.mjs";
import { blockCode, el } from "./blocks.mjs";
import { formatMs } from "./run_result.mjs";

const STATUS = {
  starting: "Starting Python…",
  queued: "Starting…",
  packages: "Loading packages…",
  running: "Running…",
};

function panelFor(block) {
  let panel = block.nextElementSibling;
  if (!panel || !panel.classList.contains("seedui-output")) {
    panel = el("div", "seedui-output");
    panel.setAttribute("role", "region");
    panel.setAttribute("aria-label", "Run output");
    block.insertAdjacentElement("afterend", panel);
  }
  return panel;
}

/**
 * @param {{config: object, languageOf: (name: string) => string | undefined, run: Function}} page
 * @returns {(block: Element) => Element | null} runs a block, showing its output in the panel under it
 */
export function makeRunBlock({ config, languageOf, run }) {
  return function runBlock(block) {
    const language = languageOf(block.getAttribute("data-lang"));
    const code = blockCode(block);
    if (!language || code === null) return null;
    const panel = panelFor(block);
    if (panel.seeduiController) panel.seeduiController.abort();
    const controller = new AbortController();
    panel.seeduiController = controller;
    panel.replaceChildren();
    panel.setAttribute("data-state", "running");
    const bar = el("div", "seedui-output-bar");
    const status = el("span", "seedui-status", language === "html" ? "Rendering…" : "Starting…");
    status.setAttribute("aria-live", "polite");
    const duration = el("span", "seedui-duration", "");
    const stop = el("button", "seedui-stop", "Stop");
    stop.type = "button";
    const close = el("button", "seedui-close", "×");
    close.type = "button";
    close.setAttribute("aria-label", "Close output");
    bar.append(status, duration, stop, close);
    const stream = el("div", "seedui-stream");
    const error = el("pre", "seedui-error");
    error.hidden = true;
    panel.append(bar, stream, error);
    let preview = null;
    if (language === "html") {
      preview = el("div", "seedui-preview");
      panel.append(preview);
    }
    let lastKind = null;
    let lastText = null;
    let tail = null; // the output held beyond the head: each "tail" event replaces it
    const onEvent = (ev) => {
      if (panel.seeduiController !== controller) return;
      if (ev.type === "phase") {
        let text = STATUS[ev.phase] || "Running…";
        if (ev.phase === "packages" && ev.packages.length) text = `Loading ${ev.packages.join(", ")}…`;
        status.textContent = text;
      } else if (ev.type === "stdout" || ev.type === "stderr") {
        if (lastKind === ev.type && lastText) {
          lastText.appendData(ev.text);
        } else {
          const span = el("span", `seedui-${ev.type}`);
          lastText = document.createTextNode(ev.text);
          span.append(lastText);
          stream.append(span);
          lastKind = ev.type;
        }
      } else if (ev.type === "image") {
        const img = el("img", "seedui-image");
        img.alt = "matplotlib figure";
        img.src = ev.url;
        stream.append(img);
        lastKind = null;
      } else if (ev.type === "tail") {
        if (!tail) {
          tail = el("div", "seedui-tail");
          stream.append(tail);
          lastKind = null;
        }
        const parts = ev.chunks.map(([kind, text]) => el("span", `seedui-${kind}`, text));
        if (ev.cut.chars > 0) parts.unshift(el("div", "seedui-cut", describeCut(ev.cut)));
        tail.replaceChildren(...parts);
      } else if (ev.type === "notice") {
        stream.append(el("div", "seedui-notice", ev.text));
        lastKind = null;
      } else if (ev.type === "removed") {
        status.textContent = "Preview removed";
        panel.setAttribute("data-state", "error");
        stop.disabled = true;
        error.textContent = ev.text;
        error.hidden = false;
      }
    };
    if (language === "html") {
      // The preview stays live until Stop (or a new run, or Close) removes it.
      controller.signal.addEventListener(
        "abort",
        () => {
          status.textContent = "Preview removed";
          panel.setAttribute("data-state", "stopped");
          stop.disabled = true;
        },
        { once: true },
      );
    }
    run({ language, code, timeoutMs: config.timeoutMs, signal: controller.signal, onEvent, container: preview }).then((res) => {
      if (panel.seeduiController !== controller) return;
      if (language === "html" && controller.signal.aborted) return;
      if (language !== "html") panel.seeduiController = null;
      const state = res.timedOut ? "timeout" : res.stopped ? "stopped" : res.ok ? "ok" : "error";
      panel.setAttribute("data-state", state);
      if (language === "html") status.textContent = res.ok ? "Preview (sandboxed, no network)" : "Preview removed";
      else status.textContent = { ok: "Finished", error: "Error", timeout: "Timed out", stopped: "Stopped" }[state];
      let when = formatMs(res.durationMs);
      const startup = (res.totalMs || 0) - res.durationMs;
      if (language === "python" && startup > 300) when += ` (+${formatMs(startup)} to start)`;
      duration.textContent = when;
      if (language !== "html" || !res.ok) stop.disabled = true;
      if (res.error) {
        error.textContent = res.error;
        error.hidden = false;
      }
      if (language !== "html" && !stream.childNodes.length && !res.error) {
        stream.append(el("div", "seedui-notice", "(no output)"));
      }
    });
    return panel;
  };
}
