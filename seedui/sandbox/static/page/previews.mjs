// HTML previews: each in a frame of its own (preview.html, sandboxed, CSP without network) that proves
// itself with its secret and gets the HTML through its port.
//
// A preview frame loads twice: preview.html, then the page written into it, which says "rendered" through
// its port (that message and the frame's load event may come in either order). Any other load means the
// frame was navigated: it is removed. (With the frame-src lock the navigation itself is refused and ends
// on an error page.)

import { previewHtml, readPreviewHello, readPreviewReply } from "../shared/protocol.mjs";
import { sandboxedFrame } from "./frames.mjs";

const NAVIGATED = "The preview tried to load another page (previews may not navigate), so it was removed.";
const RENDER_WAIT_MS = 1000; // the written page may take long to load, or never
const SECOND_LOAD_GRACE_MS = 3000;

export class Previews {
  /**
   * @param {string} prefix  the sandbox folder's URL
   * @param {import("./frames.mjs").Hellos} hellos
   */
  constructor(prefix, hellos) {
    this.prefix = prefix;
    this.hellos = hellos;
    this.live = new Set();
  }

  count() {
    return this.live.size;
  }

  /** Remove every preview (their process is being restarted); each panel says ``reason``. */
  removeAll(reason) {
    for (const p of Array.from(this.live)) p.remove(reason);
  }

  /** Render ``code`` in a new preview frame inside ``opts.container``; resolves once it has rendered. */
  render(code, opts, notify) {
    const started = performance.now();
    const frame = sandboxedFrame("seedui-preview-frame", "HTML preview (sandboxed)");
    frame.setAttribute("referrerpolicy", "no-referrer");
    let container = opts.container;
    if (!(container instanceof Element)) {
      container = document.createElement("div");
      container.className = "seedui-preview-holder";
      document.body.appendChild(container);
    }
    return new Promise((resolve) => {
      const result = { ok: true, stdout: "", stderr: "", error: null, timedOut: false, stopped: false, durationMs: 0, images: [], language: "html", frame };
      const p = { port: null, loads: 0, rendered: false, removed: false };
      let finished = false;
      let fallback = null;
      let grace = null;
      const finish = () => {
        if (finished) return;
        finished = true;
        clearTimeout(fallback);
        result.durationMs = performance.now() - started;
        result.totalMs = result.durationMs;
        notify({ type: "done", result });
        resolve(result);
      };
      // Remove the frame; `message` (if any) says why, as the result's error or a later "removed" event.
      p.remove = (message) => {
        if (p.removed) return;
        p.removed = true;
        this.live.delete(p);
        clearTimeout(grace);
        unexpect();
        if (p.port) p.port.close();
        frame.remove();
        if (!message) {
          // Stop, a new run or Close removed it.
          if (!finished) result.stopped = true;
          finish();
          return;
        }
        if (!finished) {
          result.ok = false;
          result.error = message;
          finish();
        } else {
          notify({ type: "removed", text: message });
        }
      };
      const onReply = (reply) => {
        if (!reply || p.removed) return;
        if (reply.type === "rendered") {
          p.rendered = true;
          finish();
        } else if (reply.type === "nested-frame") {
          notify({ type: "notice", text: "A nested frame was removed: previews may not contain frames." });
        } else if (reply.type === "refused") {
          p.remove(`The preview was refused: ${reply.reason}.`);
        }
      };
      this.live.add(p);
      const unexpect = this.hellos.expect(frame, this.prefix + "preview.html", readPreviewHello, (port) => {
        p.port = port;
        p.port.onmessage = (e) => onReply(readPreviewReply(e.data));
        p.port.postMessage(previewHtml(code));
        fallback = setTimeout(finish, RENDER_WAIT_MS);
      });
      frame.addEventListener("load", () => {
        p.loads += 1;
        if (p.loads === 2 && !p.rendered) {
          grace = setTimeout(() => {
            if (!p.rendered) p.remove(NAVIGATED);
          }, SECOND_LOAD_GRACE_MS);
        } else if (p.loads > 2) {
          p.remove(NAVIGATED);
        }
      });
      if (opts.signal) opts.signal.addEventListener("abort", () => p.remove(null), { once: true });
      container.appendChild(frame);
    });
  }
}
