// How the bootstrap (runner/workers.mjs) starts a worker module: `start(port, data)`, once. User code in
// the worker can import the module again and call it; only the first call, the runner's, counts.

import { readWorkerStart } from "../shared/protocol.mjs";

/** @param {(port: MessagePort, config: object) => void} main */
export function startOnce(main) {
  let started = false;
  return (port, data) => {
    const begin = readWorkerStart(data);
    if (started || !begin) return;
    started = true;
    main(port, begin.config);
  };
}
