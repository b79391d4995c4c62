// The sandboxed frames this page makes (the runner, HTML previews), and how each proves itself.
//
// A frame made here gets a random secret in its URL fragment. Its first message to this window carries the
// secret and a MessagePort; from then on everything goes through that port. Nothing is ever posted to a
// frame's window, whose document someone may have replaced (a page that embeds this one may navigate its
// frames). Every other window message that claims to be ours is counted as rejected.

import { claimsSeedui } from "../shared/protocol.mjs";

export function randomId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// frame-src governs every navigation of this page's child frames, whoever starts it (the frame's own code,
// or a page that embeds this one and navigates its frames): the runner and the previews can load nothing
// outside the sandbox folder. Chromium has no navigate-to; this is what it does enforce.
export function lockFrames(prefix) {
  const meta = document.createElement("meta");
  meta.httpEquiv = "Content-Security-Policy";
  meta.content = "frame-src " + prefix.replace(/[;,\s]/g, encodeURIComponent);
  (document.head || document.documentElement).prepend(meta);
}

/** An <iframe sandbox="allow-scripts"> (opaque origin), not yet in the document. */
export function sandboxedFrame(className, title) {
  const frame = document.createElement("iframe");
  frame.setAttribute("sandbox", "allow-scripts");
  frame.className = className;
  frame.title = title;
  return frame;
}

/** Waits for the hellos of the frames this page made; one window listener for all of them. */
export class Hellos {
  /** @param {{rejectedMessages: number}} stats */
  constructor(stats) {
    this.stats = stats;
    this.waiting = new Set(); // {frame, secret, read, adopt}
    window.addEventListener("message", (event) => {
      if (claimsSeedui(event.data) && !this.take(event)) stats.rejectedMessages += 1;
    });
  }

  /**
   * Load ``url`` in ``frame`` with a new secret; ``adopt(port, hello)`` gets the frame's port once, from
   * its first hello that ``read`` (a protocol reader) accepts. Returns a function that stops waiting.
   */
  expect(frame, url, read, adopt) {
    const entry = { frame, secret: randomId(), read, adopt };
    this.waiting.add(entry);
    frame.src = url + "#" + entry.secret;
    return () => this.waiting.delete(entry);
  }

  take(event) {
    if (event.origin !== "null" || event.source === null || event.ports.length !== 1) return false;
    for (const entry of this.waiting) {
      const hello = entry.read(event.data);
      if (!hello || event.source !== entry.frame.contentWindow || hello.secret !== entry.secret) continue;
      this.waiting.delete(entry);
      entry.adopt(event.ports[0], hello);
      return true;
    }
    return false;
  }
}
