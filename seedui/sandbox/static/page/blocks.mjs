// The code blocks render.py writes (.seedui-code[data-lang] > .highlight > pre): which runnable language
// a block is in, and its code.

/** name -> the runnable language it means ("py" -> "python"), or undefined; from the config's aliases. */
export function languageReader(config) {
  const languages = Object.assign(Object.create(null), config.languages || {});
  return (name) => languages[String(name || "").toLowerCase()];
}

/** The code of a block, or null. */
export function blockCode(block) {
  const pre = block && (block.querySelector(".highlight pre") || block.querySelector("pre"));
  return pre ? pre.textContent : null;
}

/** An element with a class and text (always as text: nothing shown is parsed as HTML). */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
