// The runner frame's config, written into runner.html by the server (seedui/sandbox/pages.py): where
// Pyodide comes from, the limits, the harness. Read once; every runner module takes its facts from here.

export const cfg = JSON.parse(document.getElementById("seedui-runner-config").textContent);
export const indexURL = new URL(cfg.indexURL, location.href).href;
export const cdnUrl = new URL(cfg.cdnUrl, location.href).href;
/** @type {import("../shared/output_cap.mjs").OutputLimits} */
export const limits = Object.freeze({ maxChars: cfg.maxOutputChars, maxImages: cfg.maxImages, maxImageChars: cfg.maxImageChars });

export function loadFailure(detail) {
  const where = cfg.local ? "this server" : indexURL;
  let text = `Could not load Python (Pyodide ${cfg.version}) from ${where}: ${detail}.`;
  if (!cfg.local) {
    text +=
      " This server has no local copy of Pyodide, so the browser needs the Pyodide CDN, which it could not reach" +
      " (offline?). The server's admin can run `python -m seedui.sandbox.fetch` to serve a local copy.";
  }
  return text;
}
