// Putting a Python worker back as it was before a check, instead of booting a new one (~0.4 s of CPU).
//
// CPython's state is in the WebAssembly linear memory, so a copy of that memory, taken once the interpreter
// and the harness are up, restores it in a few milliseconds. What lives outside the memory is kept as it was
// by a rule, not by restoring it: Python code can reach it only by calling one of the interpreter's
// WebAssembly imports (the JavaScript functions it was instantiated with), and every import is wrapped here
// before the module is instantiated. Only the imports in SAFE leave the JavaScript realm and the file system
// as they were (clocks, stat, building fresh JS values) or change what reset() puts back (the working
// directory, the hiwire table of JS values). A call to any other import (the FFI: `js`, `pyodide_js`, any
// JsProxy, printing through the harness; opening files; loading a library; ctypes) marks the worker dirty,
// and a dirty worker is never reset: it is retired, as before. So a check that is reset ran on exactly the
// realm, files and library set the snapshot saw. docs/sandbox-security.md says what is shared.

// Imports an honest check calls that change nothing outside the memory (or only what reset() restores).
export const SAFE = new Set([
  // stack switching (JSPI): set and read around each call into Python
  "set_suspender",
  "get_suspender",
  // fresh JS values for results handed to the worker's own code (JsvArray_Push: checked below)
  // and PyProxies of Python objects (their finalization is handled by keepState)
  "pyproxy_new",
  "pyproxy_new_ex",
  "JsvArray_New",
  "JsvArray_Get",
  "JsvArray_Push",
  "js2python_js",
  "_python2js_ascii",
  "JsvUTF8ToString",
  "JsvMap_New",
  "_python2js_cache_lookup",
  "pyproxy_Check",
  "new_error",
  "JsvError_Check",
  "JsvError_Throw",
  "JsvNoValue_Check",
  // Pyodide formats a traceback with stderr captured, then puts stderr back (always in pairs, from C)
  "capture_stderr",
  "restore_stderr",
  // reading the file system, and the working directory (reset() puts it back)
  "__syscall_stat64",
  "__syscall_lstat64",
  "__syscall_fstat64",
  "__syscall_getcwd",
  "__syscall_chdir",
  // time, randomness and a larger memory (what grew is zeroed by reset())
  "clock_time_get",
  "clock_res_get",
  "emscripten_date_now",
  "emscripten_get_now",
  "emscripten_get_now_res",
  "_emscripten_get_now_is_monotonic",
  "random_get",
  "_gmtime_js",
  "_localtime_js",
  "_mktime_js",
  "_timegm_js",
  "emscripten_resize_heap",
]);

/**
 * Wrap an Emscripten import object so that any import outside SAFE, called after `arm()`, marks it dirty.
 * `JsvArray_Push` is safe only on an array made by `JsvArray_New` since the last `clean()` (pushing onto an
 * existing JS array would change the realm).
 * @returns {{imports: object, arm(): void, dirty(): boolean, clean(): void}}
 */
export function watchImports(imports) {
  let armed = false;
  let dirty = false;
  let fresh = new WeakSet();
  const isFresh = (array) => typeof array === "object" && array !== null && fresh.has(array);
  const wrap = (name, value) => {
    if (typeof value !== "function") return value; // the memory, globals: no code
    if (name === "JsvArray_New") {
      return function (...args) {
        const array = value.apply(this, args);
        if (typeof array === "object" && array !== null) fresh.add(array);
        return array;
      };
    }
    if (name === "JsvArray_Push") {
      return function (array, ...rest) {
        if (armed && !isFresh(array)) dirty = true;
        return value.call(this, array, ...rest);
      };
    }
    if (SAFE.has(name)) return value;
    return function (...args) {
      if (armed) dirty = true;
      return value.apply(this, args);
    };
  };
  const done = new Map(); // Pyodide passes one object as both `env` and `wasi_snapshot_preview1`
  const out = {};
  for (const [space, functions] of Object.entries(imports)) {
    if (space !== "env" && space !== "wasi_snapshot_preview1") {
      out[space] = functions; // GOT entries: what side modules link against (loading one is not safe anyway)
      continue;
    }
    if (!done.has(functions)) {
      const wrapped = {};
      for (const [name, value] of Object.entries(functions)) wrapped[name] = wrap(name, value);
      done.set(functions, wrapped);
    }
    out[space] = done.get(functions);
  }
  return {
    imports: out,
    arm: () => {
      armed = true;
    },
    dirty: () => dirty,
    clean: () => {
      dirty = false;
      fresh = new WeakSet();
    },
  };
}

/**
 * Take the interpreter's state now (memory, hiwire table, working directory) and arm the watch. The returned
 * `reset()` puts that state back and returns true, or returns false (and changes nothing) when the worker must
 * be retired instead: a watched import was called, or the hiwire table grew.
 * @param {object} Module  Pyodide's Emscripten module (`pyodide._module`)
 * @param {{arm(): void, dirty(): boolean, clean(): void}} watch  from watchImports
 */
export function keepState(Module, watch) {
  const memory = Module.HEAPU8.slice();
  const hiwire = readTable(Module);
  const cwd = Module.FS.cwd();
  // A PyProxy made during a check must not decrement a reference in the memory put back after it: each one
  // registered since the last reset is unregistered at the reset (and held until then, so it is not collected
  // half-way). One registered without a token could not be: the worker is retired.
  const registry = Module.finalizationRegistry;
  let registered = [];
  let untracked = false;
  Module.finalizationRegistry = {
    register(target, held, token) {
      if (token === undefined) untracked = true;
      else registered.push(token);
      return registry.register(target, held, token);
    },
    unregister: (token) => registry.unregister(token),
  };
  watch.arm();
  return function reset() {
    if (watch.dirty() || untracked || readTable(Module).length !== hiwire.length) return false;
    for (const token of registered) registry.unregister(token);
    registered = [];
    const heap = Module.HEAPU8; // a new view if the memory grew
    heap.set(memory);
    if (heap.length > memory.length) heap.fill(0, memory.length); // as a fresh interpreter would find it
    hiwire.forEach((value, i) => Module.__hiwire_set(i, value));
    Module.FS.chdir(cwd);
    watch.clean();
    return true;
  };
}

// The hiwire table (the JS values Python holds), slot by slot until past its end.
function readTable(Module) {
  const values = [];
  for (;;) {
    try {
      values.push(Module.__hiwire_get(values.length));
    } catch (err) {
      return values;
    }
  }
}
