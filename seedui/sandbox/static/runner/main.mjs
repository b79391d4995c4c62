// SeedUI runner: the script of runner.html, a hidden <iframe sandbox="allow-scripts"> of the app page
// (opaque origin, CSP from the server). No user code ever runs in this document: Python runs in Pyodide
// workers (python_pool.mjs, python_run.mjs), JavaScript in throwaway workers (javascript_run.mjs). Time
// limits are enforced here by terminating the worker; a check's verdict is decided here (verdict.mjs).
//
// Talks to the page through one MessagePort, made here and handed to window.parent in the first message
// with the secret the page put in this frame's URL fragment (how the page knows this document is the
// runner it made). Commands come only through that port; run events carry the per-run nonce the page chose.

import * as msg from "../shared/protocol.mjs";
import { cfg } from "./config.mjs";
import { runJavaScript } from "./javascript_run.mjs";
import { warm, warmChecks } from "./python_pool.mjs";
import { runPython } from "./python_run.mjs";

const runs = new Map(); // runId -> {stop()}
const channel = new MessageChannel();
const port = channel.port1;

// Window messages (from siblings, or anyone) are never read: commands come through the port.
port.onmessage = (event) => {
  const command = msg.readRunnerCommand(event.data);
  if (!command) return;
  if (command.type === "ping") {
    port.postMessage(msg.pong(command.id));
  } else if (command.type === "warm") {
    warm();
    warmChecks(command.checks);
  } else if (command.type === "stop") {
    const run = runs.get(command.runId);
    if (run) run.stop();
  } else if (command.type === "run" && !runs.has(command.runId)) {
    const emit = (e) => port.postMessage(msg.runEvent(command.runId, command.nonce, e));
    if (command.language === "python") runPython(command, emit, runs);
    else runJavaScript(command, emit, runs);
  }
};

// The parent cannot change (only the page that made this frame gets this); the port is the way back.
// (No pagehide/unload handlers in here: they stop Chromium from killing this frame's process when
// a looping preview in the same process hangs it, and the page's restart would hang too.)
const hello = msg.runnerHello(location.hash.slice(1), cfg.version, cfg.local, cfg.timeoutMs);
try {
  history.replaceState(null, "", location.pathname + location.search); // the secret is needed only once
} catch (err) {
  // an old browser that refuses this in an opaque origin: the URL keeps it, no harm
}
window.parent.postMessage(hello, "*", [channel.port2]);
