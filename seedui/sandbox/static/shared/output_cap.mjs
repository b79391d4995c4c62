// What one run may show, and what happens to the rest: one rule, applied alike by the worker (which makes
// the output), the runner frame (in case user code subverted the worker's copy) and the page (the last line).
// The limits come from the server's config (seedui/sandbox/settings.py); none is written here.
//
// Text keeps its ends. The first half of the cap passes at once (the head). Beyond it, the last half is held
// (the tail), and what falls out between the two is counted (the cut: characters, UTF-8 bytes, line
// breaks). A held tail is sent on whole, as it changes (at most every TAIL_EVERY_MS) and at the run's end,
// and each replaces the one before: a program that prints a flood and then its result shows its first
// lines, a marker of what was cut, and its last lines.
// Images: at most maxImages, and maxImageChars of base64 in all; the rest is dropped, with one notice.

/** @typedef {import("./protocol.mjs").Chunk} Chunk */
/** @typedef {{maxChars: number, maxImages: number, maxImageChars: number}} OutputLimits */
/** @typedef {{chars: number, bytes: number, lines: number}} Cut  lines: the line breaks cut */
/** @typedef {{chunks: Chunk[], cut: Cut}} Tail */

/** How often a changing tail is sent on while a run goes on. */
export const TAIL_EVERY_MS = 100;

export const imagesDroppedNotice = (limits) =>
  `Images beyond ${limits.maxImages} (or ${Math.round(limits.maxImageChars / 1e6)} MB) in one run were dropped.`;

const isHigh = (code) => code >= 0xd800 && code <= 0xdbff;
const isLow = (code) => code >= 0xdc00 && code <= 0xdfff;

/** ``at``, or one less where cutting there would split a surrogate pair (one character in two halves). */
function boundary(text, at) {
  return at > 0 && at < text.length && isHigh(text.charCodeAt(at - 1)) && isLow(text.charCodeAt(at)) ? at - 1 : at;
}

/** Adds what ``text`` from ``from`` to ``to`` is to ``cut``: characters, UTF-8 bytes, line breaks. */
function count(cut, text, from, to) {
  let bytes = 0;
  let lines = 0;
  for (let i = from; i < to; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x80) {
      bytes += 1;
      if (code === 10) lines += 1;
    } else if (code < 0x800) {
      bytes += 2;
    } else if (isHigh(code) && i + 1 < to && isLow(text.charCodeAt(i + 1))) {
      bytes += 4;
      i += 1;
    } else {
      bytes += 3; // a lone surrogate is written as U+FFFD
    }
  }
  cut.chars += to - from;
  cut.bytes += bytes;
  cut.lines += lines;
}

/** @returns {Cut} what ``text`` is: characters, UTF-8 bytes, line breaks */
export function measure(text) {
  const cut = { chars: 0, bytes: 0, lines: 0 };
  count(cut, text, 0, text.length);
  return cut;
}

const plural = (n, word) => `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;

/** The marker shown where output was cut. */
export function describeCut(cut) {
  return `… ${plural(cut.lines, "line")} (${plural(cut.bytes, "byte")}) cut here …`;
}

/** How a cap of ``maxChars`` splits between the head and the tail. */
export function halves(maxChars) {
  const head = Math.ceil(maxChars / 2);
  return { head, tail: maxChars - head };
}

/** ``text`` within ``maxChars``: its head and its tail around the marker of what was cut (a check's detail). */
export function clip(text, maxChars) {
  if (text.length <= maxChars) return text;
  const { head, tail } = halves(maxChars);
  const start = boundary(text, head);
  const end = boundary(text, text.length - tail);
  return `${text.slice(0, start)}\n${describeCut(measure(text.slice(start, end)))}\n${text.slice(end)}`;
}

/**
 * One run's output through the caps: what passes now, what is held as the tail, and what was cut.
 * (Called for every write of a flood: the held tail is two arrays of strings, and nothing is allocated per
 * write beyond the piece itself.)
 */
export class OutputCap {
  /** @param {OutputLimits} limits */
  constructor(limits) {
    this.limits = limits;
    const { head, tail } = halves(limits.maxChars);
    this.headLeft = head;
    this.tailChars = tail;
    this.kinds = []; // the tail's pieces, from this.start on: at most tailChars in all
    this.texts = [];
    this.start = 0;
    this.heldChars = 0;
    this.cut = { chars: 0, bytes: 0, lines: 0 };
    this.changed = false; // the tail changed since takeTail()
    this.images = 0;
    this.imageChars = 0;
    this.imagesCut = false;
  }

  /**
   * @param {Chunk[]} chunks
   * @returns {{chunks: Chunk[], notices: string[]}} what passes now (text of the head, images)
   */
  add(chunks) {
    const kept = [];
    const notices = [];
    for (const [kind, text] of chunks) {
      if (kind !== "image") {
        const head = this.text(kind, text);
        if (head) kept.push([kind, head]);
      } else if (this.images < this.limits.maxImages && this.imageChars + text.length <= this.limits.maxImageChars) {
        this.images += 1;
        this.imageChars += text.length;
        kept.push([kind, text]);
      } else if (!this.imagesCut) {
        this.imagesCut = true;
        notices.push(imagesDroppedNotice(this.limits));
      }
    }
    return { chunks: kept, notices };
  }

  /** One piece of stdout or stderr: returns the part that passes now (the head's), "" if none. */
  text(kind, text) {
    if (this.headLeft === 0) {
      this.hold(kind, text);
      return "";
    }
    const n = boundary(text, Math.min(this.headLeft, text.length));
    this.headLeft -= n;
    if (n < text.length) this.hold(kind, text.slice(n));
    return n === text.length ? text : text.slice(0, n);
  }

  hold(kind, text) {
    this.headLeft = 0; // once anything is held, everything after it is too: the order stays
    this.kinds.push(kind);
    this.texts.push(text);
    this.heldChars += text.length;
    this.changed = true;
    while (this.heldChars > this.tailChars) {
      const first = this.texts[this.start];
      const over = this.heldChars - this.tailChars;
      if (over >= first.length) {
        count(this.cut, first, 0, first.length);
        this.heldChars -= first.length;
        this.start += 1;
      } else {
        const drop = boundary(first, over) === over ? over : over + 1; // never half a surrogate pair
        count(this.cut, first, 0, drop);
        this.heldChars -= drop;
        this.texts[this.start] = first.slice(drop);
      }
    }
    if (this.start > 1024 && this.start * 2 > this.texts.length) {
      this.kinds = this.kinds.slice(this.start);
      this.texts = this.texts.slice(this.start);
      this.start = 0;
    }
  }

  /** @returns {Tail} the held tail (its pieces of one kind joined), to send on; the tail is then unchanged */
  takeTail() {
    this.changed = false;
    const chunks = [];
    let from = this.start;
    for (let i = this.start; i <= this.texts.length; i += 1) {
      if (i === this.texts.length || this.kinds[i] !== this.kinds[from]) {
        if (i > from) chunks.push([this.kinds[from], this.texts.slice(from, i).join("")]);
        from = i;
      }
    }
    return { chunks, cut: { ...this.cut } };
  }

  /** An upstream's tail replaces this one (its head has ended, so this head has too). */
  setTail(tail) {
    this.kinds = [];
    this.texts = [];
    this.start = 0;
    this.heldChars = 0;
    this.cut = { chars: tail.cut.chars, bytes: tail.cut.bytes, lines: tail.cut.lines };
    this.headLeft = 0;
    for (const [kind, text] of tail.chunks) this.hold(kind, text);
    this.changed = true;
  }
}
