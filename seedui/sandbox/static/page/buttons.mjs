// The buttons on code blocks and output panels (Run, Copy, Stop, Close), handled by delegation: Gradio
// re-renders HTML, so nothing binds to a block. And prewarming: Python starts when a Run button is hovered
// or focused (config.prewarm "hover"), or when the page loads ("load").

import { blockCode } from "./blocks.mjs";

function copyText(text) {
  const fallback = () => {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.left = "-9999px";
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (err) {
      ok = false;
    }
    area.remove();
    return ok;
  };
  if (navigator.clipboard && window.isSecureContext) {
    return navigator.clipboard.writeText(text).then(() => true, () => fallback());
  }
  return Promise.resolve(fallback());
}

function onClick(event, runBlock) {
  const target = event.target instanceof Element ? event.target : null;
  const button = target && target.closest(".seedui-run, .seedui-copy, .seedui-stop, .seedui-close");
  if (!button) return;
  if (button.classList.contains("seedui-run")) {
    const block = button.closest(".seedui-code");
    if (block) runBlock(block);
  } else if (button.classList.contains("seedui-copy")) {
    const code = blockCode(button.closest(".seedui-code"));
    if (code === null) return;
    copyText(code).then((ok) => {
      button.textContent = ok ? "Copied" : "Copy failed";
      setTimeout(() => {
        button.textContent = "Copy";
      }, 1500);
    });
  } else {
    const panel = button.closest(".seedui-output");
    if (!panel) return;
    if (panel.seeduiController) panel.seeduiController.abort();
    if (button.classList.contains("seedui-close")) panel.remove();
  }
}

/**
 * @param {{config: object, languageOf: (name: string) => string | undefined, runBlock: Function,
 *   runner: import("./runner_client.mjs").RunnerClient}} page
 */
export function installButtons({ config, languageOf, runBlock, runner }) {
  document.addEventListener("click", (event) => onClick(event, runBlock));
  let warmed = false;
  const warmPython = () => {
    warmed = true;
    runner.warm();
  };
  const prewarm = (event) => {
    if (warmed || !(event.target instanceof Element)) return;
    const block = event.target.closest(".seedui-run") && event.target.closest(".seedui-code");
    if (!block && !event.target.closest("[data-seedui-check]")) return;
    const language = block ? languageOf(block.getAttribute("data-lang")) : "python";
    if (language === "python") warmPython();
    else if (language === "javascript") runner.runner();
  };
  const whenLoaded = (fn) => {
    if (document.readyState === "complete") fn();
    else window.addEventListener("load", fn, { once: true });
  };
  if (config.prewarm === "hover") {
    document.addEventListener("pointerover", prewarm, { passive: true });
    document.addEventListener("focusin", prewarm);
    // The runner frame itself is small (no Pyodide yet): have it ready before the first click.
    const idle = window.requestIdleCallback || ((fn) => setTimeout(fn, 1000));
    whenLoaded(() => idle(() => runner.runner(), { timeout: 3000 }));
  } else if (config.prewarm === "load") {
    whenLoaded(warmPython);
  }
}
