// Starting a worker in the runner frame. The frame's origin is opaque, and there Chromium refuses a module
// worker from a blob: URL (and a worker from a URL on another origin): so each worker is a classic
// script from a blob: URL, a few lines that take the start message and its port, then import the
// worker's module from the sandbox folder (a CORS request: the route allows it) and hand both over.
// A module that fails to load ends in an uncaught error, which the runner sees as the worker's `error`.

import { workerStart } from "../shared/protocol.mjs";

const bootstraps = new Map(); // module URL -> blob: URL of its bootstrap

function bootstrap(moduleUrl) {
  let url = bootstraps.get(moduleUrl);
  if (!url) {
    const source =
      '"use strict";\n' +
      "self.onmessage = (event) => {\n" +
      "  self.onmessage = null;\n" +
      "  const port = event.ports && event.ports[0];\n" +
      "  if (!port) return;\n" +
      `  import(${JSON.stringify(moduleUrl)}).then((m) => m.start(port, event.data), (err) => setTimeout(() => { throw err; }));\n` +
      "};\n";
    url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    bootstraps.set(moduleUrl, url);
  }
  return url;
}

/**
 * A worker running ``module`` (a path in the sandbox folder, e.g. "worker/python.mjs"), started with
 * ``config``; its MessagePort is returned beside it.
 * @returns {{worker: Worker, port: MessagePort}}
 */
export function startWorker(module, name, config) {
  const worker = new Worker(bootstrap(new URL(`../${module}`, import.meta.url).href), { name });
  const channel = new MessageChannel();
  worker.postMessage(workerStart(config), [channel.port2]);
  return { worker, port: channel.port1 };
}
