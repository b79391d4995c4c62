// The page script's config: the JSON in the data-seedui-config attribute of the <script> that loaded
// page/main.mjs (written by seedui/sandbox/pages.py head_html). Every fact comes from there: the time
// limit, the output caps, the runnable languages and the names people write for them.

/** @param {string} entryUrl  the entry module's URL (its import.meta.url): which script tag is ours */
export function readConfig(entryUrl) {
  const script = Array.from(document.querySelectorAll("script[data-seedui-config]")).find((s) => s.src === entryUrl);
  let config = {};
  try {
    config = JSON.parse((script && script.getAttribute("data-seedui-config")) || "{}");
  } catch (err) {
    config = {};
  }
  return Object.assign({ prewarm: "hover" }, config);
}

/** The run's output caps, from the config. @returns {import("../shared/output_cap.mjs").OutputLimits} */
export function outputLimits(config) {
  return { maxChars: Number(config.maxOutputChars), maxImages: Number(config.maxImages), maxImageChars: Number(config.maxImageChars) };
}
