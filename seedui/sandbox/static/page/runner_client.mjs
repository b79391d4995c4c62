// The page's side of the runner frame: makes the hidden runner (runner.html), talks to it through the port
// it hands over, routes each run's events to the run that started it, and replaces a runner that was
// navigated or stopped answering. Run events count only with the nonce of a run started here.
//
// A runner answers every run at once with a phase event. A run that got no event from a runner that is then
// dropped never reached it (a navigated frame's old document is gone before the page sees the frame load;
// what was posted to it in between went nowhere), so it goes to the new runner instead of failing.

import * as msg from "../shared/protocol.mjs";
import { randomId, sandboxedFrame } from "./frames.mjs";

const NAVIGATED =
  "The code runner's frame was navigated to another page (by a script of this page or of a page that embeds it), " +
  "so it was dropped and nothing more was sent to it. Run the code again.";
const HUNG =
  "The code runner stopped responding (a script in an HTML preview was probably looping) and was restarted. Run the code again.";
const START_MS = 30000;
// Chromium puts sandboxed frames of one site in one process, so a script looping in an HTML preview also
// stalls the runner frame's thread (never this page's). The page checks that the runner answers; if it
// does not, it removes the previews and the runner (which ends that process) and starts a new runner.
const HUNG_MS = 5000;
const PING_MS = 2000; // before a run, while previews exist

/**
 * A run as this client knows it.
 * @typedef {{nonce: string, sentTo: object | null, command?: object, answered?: boolean, resent?: boolean,
 *   stopped?: boolean, onEvent(event: msg.RunEvent): void, fail(message: string): void}} RunRecord
 */

export class RunnerClient {
  /**
   * @param {string} prefix  the sandbox folder's URL
   * @param {import("./frames.mjs").Hellos} hellos
   * @param {{rejectedMessages: number}} stats
   * @param {{count(): number, removeAll(reason: string): void}} previews
   */
  constructor(prefix, hellos, stats, previews) {
    this.prefix = prefix;
    this.hellos = hellos;
    this.stats = stats;
    this.previews = previews;
    this.current = null; // the runner frame: {frame, port, loads, dead, pings, ready}
    /** @type {Map<string, RunRecord>} */
    this.active = new Map(); // runId -> the run
    this.heartbeat = null;
  }

  /** The runner, started if there is none; resolves once it has said hello. */
  runner() {
    if (this.current && !this.current.dead) return this.current.ready;
    const frame = sandboxedFrame("seedui-runner-frame", "SeedUI code runner");
    frame.setAttribute("aria-hidden", "true");
    frame.setAttribute("tabindex", "-1");
    const r = { frame, port: null, loads: 0, dead: false, pings: new Map() };
    r.ready = new Promise((resolve, reject) => {
      r.resolve = resolve;
      r.reject = reject;
    });
    r.ready.catch(() => {});
    r.timer = setTimeout(() => this.drop(r, "The code runner did not start: is the page's server reachable?"), START_MS);
    // The first load is runner.html; a later one is another document in its place.
    frame.addEventListener("load", () => {
      r.loads += 1;
      if (r.loads > 1) this.drop(r, NAVIGATED);
    });
    this.current = r;
    r.unexpect = this.hellos.expect(frame, this.prefix + "runner.html", msg.readRunnerHello, (port, hello) => {
      r.port = port;
      r.port.onmessage = (e) => this.fromRunner(r, e.data);
      clearTimeout(r.timer);
      r.info = { version: hello.version, local: hello.local, timeoutMs: hello.timeoutMs };
      r.resolve(r);
    });
    document.body.appendChild(frame);
    return r.ready;
  }

  /** Forget a runner (its frame goes, which ends its workers): runs it answered fail with ``message``, runs it
   * never answered go to a new runner (once). */
  drop(r, message) {
    if (r.dead) return;
    r.dead = true;
    if (this.current === r) this.current = null;
    clearTimeout(r.timer);
    r.unexpect();
    r.reject(new Error(message));
    if (r.port) r.port.close();
    r.frame.remove();
    for (const [runId, run] of Array.from(this.active.entries())) {
      if (run.sentTo !== r) continue;
      if (run.answered || run.resent || run.stopped) {
        run.fail(message);
        continue;
      }
      run.resent = true;
      this.live().then(
        (next) => {
          if (this.active.get(runId) !== run) return; // it ended meanwhile (its watchdog)
          if (run.stopped) run.fail("Stopped.");
          else this.send(next, run, run.command);
        },
        (err) => run.fail(String(err && err.message ? err.message : err)),
      );
    }
  }

  post(r, message) {
    if (!r.dead && r.port) r.port.postMessage(message);
  }

  fromRunner(r, data) {
    if (r.dead) return;
    const reply = msg.readRunnerReply(data);
    if (reply && reply.type === "seedui-runner-pong") {
      const waiter = r.pings.get(reply.id);
      if (waiter) waiter();
      return;
    }
    const run = reply && this.active.get(reply.runId);
    if (!run || run.sentTo !== r || reply.nonce !== run.nonce) {
      this.stats.rejectedMessages += 1;
      return;
    }
    run.answered = true;
    run.onEvent(reply.event);
  }

  /** Start Python in the runner before the first run; keep ``checks`` pristine interpreters booted for checks. */
  warm(checks = 0) {
    return this.runner().then((r) => this.post(r, msg.warm(checks)));
  }

  ping(r, timeoutMs) {
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
      this.post(r, msg.ping(id));
    });
  }

  restart(r) {
    if (this.current !== r) return;
    this.drop(r, HUNG);
    this.previews.removeAll("Its script stopped responding (the previews and the code runner were restarted).");
  }

  /**
   * The runner for a run. While previews exist, it must answer first: a looping preview stalls it, even
   * before it has said hello (a preview made while the runner was still loading).
   */
  async live() {
    const ready = this.runner();
    if (this.previews.count() === 0) return ready;
    const r = this.current;
    const late = new Promise((resolve) => setTimeout(() => resolve(false), HUNG_MS));
    const answered = ready.then((runner) => this.ping(runner, PING_MS), () => false);
    if (await Promise.race([answered, late])) return ready;
    this.restart(r);
    return this.runner();
  }

  /** Send ``command`` (a run) to runner ``r`` for ``run``, and watch the runner while runs are in flight. */
  send(r, run, command) {
    run.sentTo = r;
    run.command = command;
    run.answered = false;
    this.post(r, command);
    this.watch();
  }

  stop(run, runId) {
    run.stopped = true;
    if (run.sentTo) this.post(run.sentTo, msg.stop(runId));
  }

  // During runs: a ping a second; HUNG_MS without an answer restarts the runner.
  watch() {
    if (this.heartbeat) return;
    let pending = null; // when the oldest unanswered ping was sent
    this.heartbeat = setInterval(() => {
      const r = this.current;
      if (this.active.size === 0 || !r || !r.port) {
        clearInterval(this.heartbeat);
        this.heartbeat = null;
        return;
      }
      if (pending !== null && performance.now() - pending.at > HUNG_MS && pending.r === r) {
        pending = null;
        this.restart(r);
        return;
      }
      if (pending === null) {
        const sent = { r, at: performance.now() };
        pending = sent;
        this.ping(r, HUNG_MS * 4).then((answered) => {
          if (answered && pending === sent) pending = null;
        });
      }
    }, 1000);
  }
}
