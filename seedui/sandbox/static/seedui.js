// SeedUI page script: Run / Copy buttons on code blocks, output panels, the
// execution-checked comparison, and window.seedui. Loaded from the page head.
//
// Code never runs in this page. Python and JavaScript go to a hidden runner frame
// (<iframe sandbox="allow-scripts">, opaque origin); HTML previews render in
// their own sandboxed frames. A frame this script made proves itself once, with
// a secret from its URL fragment, and hands over a MessagePort; from then on
// everything goes through that port (nothing is posted to a frame's window, whose
// document someone may have replaced), and run events count only with the nonce
// of a run this script started. A frame that loads a second document was
// navigated: it is dropped. Everything shown is inserted as text (textContent),
// never as HTML.
//
// API:
//   seedui.run({language, code, timeoutMs, signal, onEvent, container})
//     -> Promise<{ok, stdout, stderr, error, timedOut, stopped, durationMs, images, ...}>
//   seedui.checkLanes(testCode, timeoutMs?)
//     -> Promise<{[lane]: {status: "pass"|"fail"|"error"|"timeout", detail, durationMs}}>
//   seedui.warm()   start Python before the first run
(function () {
  "use strict";
  if (window.seedui && window.seedui.__installed) return;

  const script = document.currentScript;
  let pageConfig = {};
  try {
    pageConfig = JSON.parse((script && script.getAttribute("data-seedui-config")) || "{}");
  } catch (err) {
    pageConfig = {};
  }
  // Every fact comes from the server's config (seedui.sandbox.head_html): nothing is copied here.
  const config = Object.assign({ prewarm: "hover" }, pageConfig);
  const prefix = new URL(".", script && script.src ? script.src : new URL("seedui/sandbox/", document.baseURI)).href;
  const stats = { rejectedMessages: 0, runs: 0 };
  const LANGS = Object.assign(Object.create(null), config.languages || {});
  const active = new Map(); // runId -> {nonce, sentTo, onEvent, fail}
  const NAVIGATED =
    "The code runner's frame was navigated to another page (by a script of this page or of a page that embeds it), " +
    "so it was dropped and nothing more was sent to it. Run the code again.";

  const randomId = () => {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  };

  // ---- frames: where the runner and previews may be loaded from ------------------------
  // frame-src governs every navigation of this page's child frames, whoever starts it
  // (the frame's own code, or a page that embeds this one and navigates its frames):
  // the runner and the previews can load nothing outside the sandbox folder. Chromium
  // has no navigate-to; this is what it does enforce.
  if (config.lockFrames !== false) {
    const meta = document.createElement("meta");
    meta.httpEquiv = "Content-Security-Policy";
    meta.content = "frame-src " + prefix.replace(/[;,\s]/g, encodeURIComponent);
    (document.head || document.documentElement).prepend(meta);
  }

  // ---- the runner frame ------------------------------------------------------------
  let runner = null;

  function getRunner() {
    if (runner && !runner.dead) return runner.ready;
    const frame = document.createElement("iframe");
    frame.setAttribute("sandbox", "allow-scripts");
    frame.setAttribute("aria-hidden", "true");
    frame.setAttribute("tabindex", "-1");
    frame.title = "SeedUI code runner";
    frame.className = "seedui-runner-frame";
    const r = { frame, secret: randomId(), port: null, loads: 0, dead: false, pings: new Map() };
    r.ready = new Promise((resolve, reject) => {
      r.resolve = resolve;
      r.reject = reject;
    });
    r.ready.catch(() => {});
    r.timer = setTimeout(() => dropRunner(r, "The code runner did not start: is the page's server reachable?"), 30000);
    // The first load is runner.html; a later one is another document in its place.
    frame.addEventListener("load", () => {
      r.loads += 1;
      if (r.loads > 1) dropRunner(r, NAVIGATED);
    });
    runner = r;
    frame.src = prefix + "runner.html#" + r.secret;
    document.body.appendChild(frame);
    return r.ready;
  }

  // Forget the runner (its frame goes, which ends its workers); runs it had fail with `message`.
  function dropRunner(r, message) {
    if (r.dead) return;
    r.dead = true;
    if (runner === r) runner = null;
    clearTimeout(r.timer);
    r.reject(new Error(message));
    if (r.port) r.port.close();
    r.frame.remove();
    for (const run of Array.from(active.values())) {
      if (run.sentTo === r) run.fail(message);
    }
  }

  function post(r, message) {
    if (!r.dead && r.port) r.port.postMessage(message);
  }

  // Window messages: only a frame's first one, {type: "seedui-*-hello", secret} with a port, from
  // the window of a frame this script made, carrying the secret of that frame's URL.
  window.addEventListener("message", (event) => {
    const data = event.data;
    if (!data || typeof data !== "object" || typeof data.type !== "string" || !data.type.startsWith("seedui-")) return;
    if (!adopt(event, data)) stats.rejectedMessages += 1;
  });

  function adopt(event, data) {
    if (event.origin !== "null" || event.source === null || event.ports.length !== 1 || typeof data.secret !== "string") {
      return false;
    }
    const r = runner;
    if (data.type === "seedui-runner-hello" && r && !r.port && event.source === r.frame.contentWindow && data.secret === r.secret) {
      r.port = event.ports[0];
      r.port.onmessage = (e) => fromRunner(r, e.data);
      clearTimeout(r.timer);
      r.info = { version: String(data.version), local: Boolean(data.local), timeoutMs: Number(data.timeoutMs) };
      r.resolve(r);
      return true;
    }
    if (data.type === "seedui-preview-hello") {
      for (const p of previews) {
        if (p.port || event.source !== p.frame.contentWindow || data.secret !== p.secret) continue;
        p.port = event.ports[0];
        p.port.onmessage = (e) => {
          if (!p.removed && e.data && typeof e.data === "object") p.onMessage(e.data);
        };
        p.start();
        return true;
      }
    }
    return false;
  }

  function fromRunner(r, data) {
    if (r.dead || !data || typeof data !== "object") return;
    if (data.type === "seedui-runner-pong") {
      const waiter = r.pings.get(String(data.id));
      if (waiter) waiter();
    } else if (data.type === "seedui-run-event") {
      const run = active.get(data.runId);
      if (!run || run.sentTo !== r || typeof data.nonce !== "string" || data.nonce !== run.nonce || !data.event || typeof data.event !== "object") {
        stats.rejectedMessages += 1;
        return;
      }
      run.onEvent(data.event);
    }
  }

  function warm() {
    return getRunner().then((r) => post(r, { type: "warm" }));
  }

  // ---- runner liveness --------------------------------------------------------------------
  // Chromium puts sandboxed frames of one site in one process, so a script looping
  // in an HTML preview also stalls the runner frame's thread (never this page's).
  // The page checks that the runner answers; if it does not, it removes the
  // previews and the runner (which ends that process) and starts a new runner.
  const HUNG_MS = 5000;

  function ping(r, timeoutMs) {
    return new Promise((resolve) => {
      const id = randomId();
      const timer = setTimeout(() => {
        r.pings.delete(id);
        resolve(false);
      }, timeoutMs);
      r.pings.set(id, () => {
        clearTimeout(timer);
        r.pings.delete(id);
        resolve(true);
      });
      post(r, { type: "ping", id });
    });
  }

  function restartRunner(r) {
    if (runner !== r) return;
    dropRunner(r, "The code runner stopped responding (a script in an HTML preview was probably looping) and was restarted. Run the code again.");
    for (const p of Array.from(previews)) p.remove("Its script stopped responding (the previews and the code runner were restarted).");
  }

  // Before a run: a runner that may have been stalled by a preview must answer first.
  async function liveRunner() {
    const r = await getRunner();
    if (previews.size === 0) return r;
    if (await ping(r, 2000)) return r;
    restartRunner(r);
    return getRunner();
  }

  // During runs: a ping a second; HUNG_MS without an answer restarts the runner.
  let heartbeat = null;
  function watchRunner() {
    if (heartbeat) return;
    let pending = null; // when the oldest unanswered ping was sent
    heartbeat = setInterval(() => {
      const r = runner;
      if (active.size === 0 || !r || !r.port) {
        clearInterval(heartbeat);
        heartbeat = null;
        return;
      }
      if (pending !== null && performance.now() - pending.at > HUNG_MS && pending.r === r) {
        pending = null;
        restartRunner(r);
        return;
      }
      if (pending === null) {
        const sent = { r, at: performance.now() };
        pending = sent;
        ping(r, HUNG_MS * 4).then((answered) => {
          if (answered && pending === sent) pending = null;
        });
      }
    }, 1000);
  }

  // ---- running code ------------------------------------------------------------------
  const PNG = /^[A-Za-z0-9+/=]+$/;
  // The server's limits (MAX_IMAGES, MAX_IMAGE_CHARS), enforced by the worker and the runner
  // first; here as the last line, whatever the runner frame sends.
  const MAX_IMAGES = Number(config.maxImages);
  const MAX_IMAGE_CHARS = Number(config.maxImageChars);

  function errorText(error) {
    if (!error || typeof error !== "object") return error ? String(error) : null;
    const tb = typeof error.traceback === "string" ? error.traceback.trim() : "";
    return tb || `${String(error.type || "Error")}: ${String(error.message || "")}`;
  }

  function run(options) {
    const opts = options || {};
    const language = LANGS[String(opts.language || "").toLowerCase()];
    const code = String(opts.code == null ? "" : opts.code);
    const timeoutMs = Number(opts.timeoutMs) > 0 ? Number(opts.timeoutMs) : config.timeoutMs;
    const notify = typeof opts.onEvent === "function" ? opts.onEvent : () => {};
    stats.runs += 1;
    if (language === "html") return runHtml(code, opts, notify);
    const result = {
      ok: false,
      stdout: "",
      stderr: "",
      error: null,
      timedOut: false,
      stopped: false,
      durationMs: 0,
      totalMs: 0,
      images: [],
      notices: [],
      language: language || String(opts.language),
    };
    if (!language) {
      result.error = `Cannot run ${String(opts.language)} code: only Python, JavaScript and HTML run here.`;
      return Promise.resolve(result);
    }
    const runId = randomId();
    const nonce = randomId();
    const started = performance.now();
    let imageChars = 0;
    return new Promise((resolve) => {
      let done = false;
      let watchdog = null;
      const finish = () => {
        done = true;
        clearTimeout(watchdog);
        active.delete(runId);
        result.totalMs = performance.now() - started;
        resolve(result);
      };
      const stopRun = () => {
        if (!done && record.sentTo) post(record.sentTo, { type: "stop", runId });
      };
      if (opts.signal) {
        if (opts.signal.aborted) {
          result.stopped = true;
          result.error = "Stopped before it started.";
          finish();
          return;
        }
        opts.signal.addEventListener("abort", stopRun, { once: true });
      }
      const record = {
        nonce,
        sentTo: null, // the runner the run went to
        fail(message) {
          if (done) return;
          result.error = message;
          notify({ type: "done", result });
          finish();
        },
        onEvent(ev) {
          if (done) return;
          if (ev.kind === "phase") {
            notify({ type: "phase", phase: String(ev.phase), packages: Array.isArray(ev.packages) ? ev.packages.map(String) : [] });
          } else if (ev.kind === "output" && Array.isArray(ev.chunks)) {
            for (const chunk of ev.chunks) {
              if (!Array.isArray(chunk) || typeof chunk[1] !== "string") continue;
              const [kind, text] = chunk;
              if (kind === "stdout" || kind === "stderr") {
                result[kind] += text;
                notify({ type: kind, text });
              } else if (kind === "image" && PNG.test(text)) {
                if (result.images.length >= MAX_IMAGES || imageChars + text.length > MAX_IMAGE_CHARS) {
                  const note = `Images beyond ${MAX_IMAGES} (or ${MAX_IMAGE_CHARS / 1e6} MB) in one run were dropped.`;
                  if (!result.notices.includes(note)) {
                    result.notices.push(note);
                    notify({ type: "notice", text: note });
                  }
                  continue;
                }
                imageChars += text.length;
                const url = "data:image/png;base64," + text;
                result.images.push(url);
                notify({ type: "image", url });
              }
            }
          } else if (ev.kind === "notice") {
            result.notices.push(String(ev.text));
            notify({ type: "notice", text: String(ev.text) });
          } else if (ev.kind === "done") {
            result.durationMs = Number(ev.durationMs) || 0;
            result.timedOut = Boolean(ev.timedOut);
            result.stopped = Boolean(ev.stopped);
            const res = ev.result && typeof ev.result === "object" ? ev.result : {};
            if (result.timedOut) {
              result.error = `TimeoutError: stopped at the time limit of ${formatMs(timeoutMs)}.`;
            } else if (result.stopped) {
              result.error = "Stopped.";
            } else {
              result.ok = res.ok === true;
              result.error = result.ok ? null : errorText(res.error) || "The run failed.";
              if (res.exitCode !== undefined && res.exitCode !== null) result.exitCode = Number(res.exitCode);
              if (res.check && typeof res.check === "object") {
                result.check = { status: String(res.check.status), detail: String(res.check.detail || "") };
              }
            }
            if (ev.boot && typeof ev.boot === "object") {
              result.boot = {};
              for (const [k, v] of Object.entries(ev.boot)) result.boot[String(k)] = Number(v);
            }
            if (ev.unavailable && typeof ev.unavailable === "object") {
              result.unavailablePackages = Object.keys(ev.unavailable).map(String);
            }
            notify({ type: "done", result });
            finish();
          }
        },
      };
      active.set(runId, record);
      // The runner enforces the limits; this only catches a runner that stopped answering.
      watchdog = setTimeout(() => {
        if (done) return;
        result.error = "The code runner stopped answering.";
        finish();
      }, timeoutMs + 180000);
      liveRunner().then(
        (r) => {
          if (done) return;
          if (opts.signal && opts.signal.aborted) {
            result.stopped = true;
            result.error = "Stopped.";
            finish();
            return;
          }
          record.sentTo = r;
          post(
            r,
            {
              type: "run",
              runId,
              nonce,
              language,
              code,
              tests: opts.tests == null ? "" : String(opts.tests),
              mode: opts.mode === "check" ? "check" : "run",
              pristine: Boolean(opts.pristine),
              timeoutMs,
            },
          );
          watchRunner();
        },
        (err) => {
          if (done) return;
          result.error = String(err && err.message ? err.message : err);
          finish();
        },
      );
    });
  }

  // ---- HTML previews ------------------------------------------------------------------
  // A preview frame loads twice: preview.html, then the page written into it, which
  // says "rendered" through its port (that message and the frame's load event may come
  // in either order). Any other load means the frame was navigated: it is removed.
  // (With the frame-src lock the navigation itself is refused and ends on an error page.)
  const previews = new Set();
  const PREVIEW_NAVIGATED = "The preview tried to load another page (previews may not navigate), so it was removed.";

  function runHtml(code, opts, notify) {
    const started = performance.now();
    const frame = document.createElement("iframe");
    frame.setAttribute("sandbox", "allow-scripts");
    frame.setAttribute("referrerpolicy", "no-referrer");
    frame.className = "seedui-preview-frame";
    frame.title = "HTML preview (sandboxed)";
    let container = opts.container;
    if (!(container instanceof Element)) {
      container = document.createElement("div");
      container.className = "seedui-preview-holder";
      document.body.appendChild(container);
    }
    return new Promise((resolve) => {
      const result = { ok: true, stdout: "", stderr: "", error: null, timedOut: false, stopped: false, durationMs: 0, images: [], language: "html", frame };
      const p = { frame, secret: randomId(), port: null, loads: 0, rendered: false, removed: false };
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
        previews.delete(p);
        clearTimeout(grace);
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
      p.start = () => {
        p.port.postMessage({ type: "html", html: code });
        fallback = setTimeout(finish, 1000); // the written page may take long to load, or never
      };
      p.onMessage = (data) => {
        if (data.type === "rendered") {
          p.rendered = true;
          finish();
        } else if (data.type === "nested-frame") {
          notify({ type: "notice", text: "A nested frame was removed: previews may not contain frames." });
        } else if (data.type === "refused") {
          p.remove(`The preview was refused: ${String(data.reason)}.`);
        }
      };
      frame.addEventListener("load", () => {
        p.loads += 1;
        if (p.loads === 2 && !p.rendered) {
          grace = setTimeout(() => {
            if (!p.rendered) p.remove(PREVIEW_NAVIGATED);
          }, 3000);
        } else if (p.loads > 2) {
          p.remove(PREVIEW_NAVIGATED);
        }
      });
      if (opts.signal) opts.signal.addEventListener("abort", () => p.remove(null), { once: true });
      previews.add(p);
      frame.src = prefix + "preview.html#" + p.secret;
      container.appendChild(frame);
    });
  }

  // ---- output panels ---------------------------------------------------------------
  function formatMs(ms) {
    return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

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

  function runBlock(block) {
    const language = LANGS[(block.getAttribute("data-lang") || "").toLowerCase()];
    const pre = block.querySelector(".highlight pre") || block.querySelector("pre");
    if (!language || !pre) return null;
    const code = pre.textContent;
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
  }

  // ---- copy ---------------------------------------------------------------------------
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

  // ---- execution-checked comparison ------------------------------------------------------
  function laneAnswers() {
    const lanes = new Map();
    for (const lane of document.querySelectorAll("[data-seedui-lane]")) {
      const name = lane.getAttribute("data-seedui-lane");
      const blocks = Array.from(lane.querySelectorAll(".seedui-code")).filter(
        (b) => LANGS[(b.getAttribute("data-lang") || "").toLowerCase()] === "python",
      );
      const last = blocks[blocks.length - 1];
      const pre = last ? last.querySelector(".highlight pre") || last.querySelector("pre") : null;
      lanes.set(name, pre ? pre.textContent : null);
    }
    return lanes;
  }

  function laneResult(res) {
    const durationMs = Math.round(res.durationMs || 0);
    if (res.timedOut) return { status: "timeout", detail: res.error, durationMs };
    if (res.check) return { status: res.check.status, detail: res.check.detail, durationMs };
    return { status: "error", detail: res.error || "The run failed.", durationMs };
  }

  async function checkLanes(testCode, timeoutMs) {
    const tests = String(testCode == null ? "" : testCode);
    const lanes = laneAnswers();
    const target = document.getElementById("seedui-check-results");
    const results = {};
    for (const name of lanes.keys()) results[name] = { status: "running", detail: "", durationMs: 0 };
    if (target) renderCheckResults(target, results);
    await Promise.all(
      Array.from(lanes, async ([name, code]) => {
        if (code === null || !code.trim()) {
          results[name] = { status: "error", detail: "This answer has no Python code block to run.", durationMs: 0 };
        } else if (!tests.trim()) {
          results[name] = { status: "error", detail: "There is no test code: write asserts or test_* functions.", durationMs: 0 };
        } else {
          const res = await run({ language: "python", code, tests, mode: "check", pristine: true, timeoutMs });
          results[name] = laneResult(res);
        }
        if (target) renderCheckResults(target, results);
      }),
    );
    return results;
  }

  function renderCheckResults(target, results) {
    const table = el("table", "seedui-check-table");
    const head = el("tr");
    for (const title of ["Lane", "Result", "Time", "Detail"]) head.append(el("th", "", title));
    table.append(head);
    for (const [lane, r] of Object.entries(results)) {
      const row = el("tr", "seedui-check-row");
      row.setAttribute("data-lane", lane);
      row.setAttribute("data-status", r.status);
      const badge = el("span", `seedui-badge seedui-badge-${r.status}`, r.status);
      const cell = el("td");
      cell.append(badge);
      const detail = el("td");
      detail.append(el("pre", "seedui-check-detail", r.detail || ""));
      row.append(el("td", "seedui-check-lane", lane), cell, el("td", "", r.status === "running" ? "" : formatMs(r.durationMs)), detail);
      table.append(row);
    }
    target.replaceChildren(table);
  }

  // ---- delegated handlers (Gradio re-renders HTML, so nothing binds to blocks) --------------
  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const button = target.closest(".seedui-run, .seedui-copy, .seedui-stop, .seedui-close");
    if (!button) return;
    if (button.classList.contains("seedui-run")) {
      const block = button.closest(".seedui-code");
      if (block) runBlock(block);
    } else if (button.classList.contains("seedui-copy")) {
      const block = button.closest(".seedui-code");
      const pre = block && (block.querySelector(".highlight pre") || block.querySelector("pre"));
      if (!pre) return;
      copyText(pre.textContent).then((ok) => {
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
  });

  let warmed = false;
  const prewarm = (event) => {
    if (warmed || !(event.target instanceof Element)) return;
    const block = event.target.closest(".seedui-run") && event.target.closest(".seedui-code");
    if (!block && !event.target.closest("[data-seedui-check]")) return;
    const language = block ? LANGS[(block.getAttribute("data-lang") || "").toLowerCase()] : "python";
    if (language === "python") {
      warmed = true;
      warm();
    } else if (language === "javascript") {
      getRunner();
    }
  };
  if (config.prewarm === "hover") {
    document.addEventListener("pointerover", prewarm, { passive: true });
    document.addEventListener("focusin", prewarm);
    // The runner frame itself is small (no Pyodide yet): have it ready before the first click.
    const idle = window.requestIdleCallback || ((fn) => setTimeout(fn, 1000));
    const soon = () => idle(() => getRunner(), { timeout: 3000 });
    if (document.readyState === "complete") soon();
    else window.addEventListener("load", soon, { once: true });
  } else if (config.prewarm === "load") {
    const start = () => {
      warmed = true;
      warm();
    };
    if (document.readyState === "complete") start();
    else window.addEventListener("load", start, { once: true });
  }

  window.seedui = Object.freeze({
    __installed: true,
    version: String(config.version || ""),
    config: Object.freeze(Object.assign({}, config)),
    stats,
    run,
    checkLanes,
    warm,
    runBlock,
    renderCheckResults,
  });
})();
