// What one run may show, and what happens to the rest: one rule, applied alike by the worker (which makes
// the output), the runner frame (in case user code subverted the worker's copy) and the page (the last line).
// The limits come from the server's config (seedui/sandbox/settings.py); none is written here.

/** @typedef {import("./protocol.mjs").Chunk} Chunk */
/** @typedef {{maxChars: number, maxImages: number, maxImageChars: number}} OutputLimits */

export const imagesDroppedNotice = (limits) =>
  `Images beyond ${limits.maxImages} (or ${Math.round(limits.maxImageChars / 1e6)} MB) in one run were dropped.`;

export const textCutNotice = (limits) => `Output truncated after ${limits.maxChars} characters.`;

/** One run's output through the caps: what passes, and (once each) a notice of what did not. */
export class OutputCap {
  /** @param {OutputLimits} limits */
  constructor(limits) {
    this.limits = limits;
    this.chars = 0;
    this.images = 0;
    this.imageChars = 0;
    this.textCut = false;
    this.imagesCut = false;
  }

  /**
   * @param {Chunk[]} chunks
   * @returns {{chunks: Chunk[], notices: string[]}}
   */
  add(chunks) {
    const kept = [];
    const notices = [];
    const { maxChars, maxImages, maxImageChars } = this.limits;
    for (const [kind, text] of chunks) {
      if (kind === "image") {
        if (this.images < maxImages && this.imageChars + text.length <= maxImageChars) {
          this.images += 1;
          this.imageChars += text.length;
          kept.push([kind, text]);
        } else if (!this.imagesCut) {
          this.imagesCut = true;
          notices.push(imagesDroppedNotice(this.limits));
        }
      } else if (this.chars + text.length <= maxChars) {
        this.chars += text.length;
        kept.push([kind, text]);
      } else if (!this.textCut) {
        this.textCut = true;
        const part = text.slice(0, maxChars - this.chars);
        this.chars += part.length;
        if (part) kept.push([kind, part]);
        notices.push(textCutNotice(this.limits));
      }
    }
    return { chunks: kept, notices };
  }
}

/** ``text`` cut to its last ``maxChars`` characters (a check's failures: the last ones are what matters). */
export function keepEnd(text, maxChars) {
  return text.length <= maxChars ? text : "..." + text.slice(-maxChars);
}
