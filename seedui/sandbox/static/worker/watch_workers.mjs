// Workers started by user code (js.Worker.new, js.eval("new Worker(...)"), ...) belong to the Python worker,
// which stays warm between runs: they would outlive the run. The constructors are replaced before any user
// code runs (the original is reachable from nowhere else: not through Worker.prototype.constructor
// either); each new worker is noted, ended when the run ends, and reported (`onSpawn`), so the runner
// replaces this interpreter after the run.

export function watchWorkers(onSpawn) {
  const apply = Reflect.apply;
  const construct = Reflect.construct;
  const started = [];
  for (const name of ["Worker", "SharedWorker"]) {
    const Original = self[name];
    if (typeof Original !== "function") continue;
    const terminate = Original.prototype.terminate; // a SharedWorker has none: its port is closed
    const Watched = new Proxy(Original, {
      construct(target, args, newTarget) {
        const worker = construct(target, args, newTarget === Watched ? target : newTarget);
        started.push({ worker, terminate });
        onSpawn();
        return worker;
      },
    });
    Object.defineProperty(self, name, { value: Watched, writable: true, configurable: true, enumerable: false });
    Object.defineProperty(Original.prototype, "constructor", { value: Watched, writable: true, configurable: true, enumerable: false });
  }
  return {
    endAll() {
      for (const { worker, terminate } of started.splice(0)) {
        try {
          if (terminate) apply(terminate, worker, []);
        } catch (err) {
          // already gone
        }
      }
    },
  };
}
