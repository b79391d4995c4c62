// SeedUI page habits: keyboard shortcuts and their hints on the buttons, each running lane's ticking seconds,
// and the profile banner folded on small screens. Loaded from the page head (seedui/ui/page_script.py).
// Its facts (which boxes and buttons, which keys) come from the server: the page's load event calls
// window.seeduiPage.configure(config) (seedui/ui/keys.py). Nothing here runs model output.
(() => {
  "use strict";
  if (window.seeduiPage) return;

  const TICK_MS = 100;
  const WIDE = window.matchMedia("(min-width: 641px)"); // style.css folds the banner below this width
  const mac = /Mac|iPhone|iPad/.test((navigator.userAgentData && navigator.userAgentData.platform) || navigator.platform || "");
  let config = { boxes: [], run: [], stop: [], hints: {} };
  let bannerChoice = null; // the visitor's own open/closed choice for the banner, once made

  const byId = (id) => document.getElementById(id);
  const shown = (el) => !!el && (el.checkVisibility ? el.checkVisibility() : el.offsetParent !== null);

  // ---- keys --------------------------------------------------------------------------------

  function boxOf(target) {
    if (!(target instanceof HTMLTextAreaElement)) return null;
    return config.boxes.find((b) => { const box = byId(b.box); return box && box.contains(target); }) || null;
  }

  function onKey(event) {
    if (event.isComposing || event.keyCode === 229) return; // an input method is composing: Enter is its own
    if (event.key === "Enter" && !event.altKey) {
      if (event.ctrlKey || event.metaKey) {
        const button = config.run.map(byId).find(shown);
        if (!button) return;
        event.preventDefault();
        event.stopPropagation(); // nor a new line in the code editor
        if (event.type === "keydown" && !button.disabled) button.click();
        return;
      }
      const box = boxOf(event.target);
      if (!box) return;
      if (event.shiftKey) {
        event.stopPropagation(); // a new line (the default), not Gradio's submit
        return;
      }
      if (!box.send) return; // a plain Enter is a new line
      event.preventDefault();
      event.stopPropagation();
      if (event.type === "keydown" && event.target.value.trim()) byId(box.send)?.click();
    } else if (event.key === "Escape" && event.type === "keydown") {
      for (const button of config.stop.map(byId)) if (button && !button.disabled) button.click();
    }
  }
  // Capture, on the window: before Gradio's own handlers on the text box, and CodeMirror's on the editor.
  window.addEventListener("keydown", onKey, true);
  window.addEventListener("keypress", onKey, true);

  // ---- what the page shows -------------------------------------------------------------------

  function decorate() {
    for (const [id, key] of Object.entries(config.hints)) {
      const button = byId(id);
      if (!button || button.dataset.seeduiKey) continue;
      const hint = mac ? key.macHint : key.hint;
      button.dataset.seeduiKey = hint;
      button.setAttribute("aria-keyshortcuts", key.aria);
      button.title = `${button.textContent.trim()} (${hint})`;
      const kbd = document.createElement("kbd");
      kbd.className = "seedui-kbd";
      kbd.setAttribute("aria-hidden", "true"); // the name stays "Run"; aria-keyshortcuts says the key
      kbd.textContent = hint;
      button.append(kbd);
    }
    const banner = document.querySelector("#profile-banner details.seedui-banner:not([data-seedui-seen])");
    if (banner) {
      banner.dataset.seeduiSeen = "1";
      banner.open = bannerChoice === null ? WIDE.matches : bannerChoice;
      // Only the visitor's clicks count as a choice, not this script's own setting above.
      banner.querySelector("summary").addEventListener("click", () => { bannerChoice = !banner.open; });
    }
  }

  let pending = false;
  new MutationObserver(() => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; decorate(); });
  }).observe(document.documentElement, { childList: true, subtree: true });

  // A running lane's seconds tick between the server's updates: from the value it sent, counted here.
  const seen = new WeakMap();
  setInterval(() => {
    const now = performance.now();
    for (const el of document.querySelectorAll(".seedui-running [data-seedui-elapsed]")) {
      const base = Number(el.dataset.seeduiElapsed);
      let at = seen.get(el);
      if (!at || at.base !== base) { at = { base, since: now }; seen.set(el, at); }
      el.textContent = `${(base + (now - at.since) / 1000).toFixed(1)} s`;
    }
  }, TICK_MS);

  function configure(next) {
    config = { boxes: next.boxes || [], run: next.run || [], stop: next.stop || [], hints: next.hints || {} };
    decorate();
  }
  window.seeduiPage = Object.freeze({ configure });
  if (window.seeduiPageConfig) configure(window.seeduiPageConfig); // the load event came first
})();
