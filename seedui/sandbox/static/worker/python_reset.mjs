// Putting a Python worker back as it was before a check, instead of booting a new one (~0.4 s of CPU).
//
// CPython's state is in the WebAssembly linear memory, so a copy of that memory, taken once the interpreter
// and the harness are up, restores it in a few milliseconds. What lives outside the memory is kept as it was
// by a rule, not by restoring it: Python code can reach it only by calling one of the interpreter's
// WebAssembly imports (the JavaScript functions it was instantiated with), and every import is wrapped here
// before the module is instantiated. Only the imports in SAFE leave the JavaScript realm and the file system
// as they were (clocks, stat, building fresh JS values) or change what reset() puts back (the working
// directory, the hiwire table of JS values), and files are only read: opened read-only (regular files and
// folders: the standard library's zip, a traceback's source) and closed again. A call to any other import
// (the FFI: `js`, `pyodide_js`, any JsProxy, printing through the harness; writing or creating files;
// loading a library; ctypes) marks the worker dirty, and a dirty worker is never reset: it is retired, as
// before. So a check that is reset ran on exactly the realm, files and libraries the snapshot saw.
// docs/sandbox-security.md says what is shared and why it is safe.

// Imports an honest check calls that change nothing outside the memory (or only what reset() restores).
export const SAFE = new Set([
  // stack switching (JSPI): set and read around each call into Python
  "set_suspender",
  "get_suspender",
  // fresh JS values for results handed to the worker's own code (JsvArray_New and what may be pushed onto
  // its arrays: see ON_FRESH_ARRAYS), and PyProxies of Python objects (keepState handles their finalization)
  "pyproxy_new",
  "pyproxy_new_ex",
  "JsvArray_Get",
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
  "JsvPromise_Check",
  "JsvGenerator_Check",
  "JsvAsyncGenerator_Check",
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

// Emscripten's open flags that write or create (O_ACCMODE, O_CREAT, O_EXCL, O_TRUNC, O_APPEND).
const WRITING = 3 | 64 | 128 | 512 | 1024;
// Safe only on an array the interpreter made since the last reset (its first argument).
const ON_FRESH_ARRAYS = new Set(["JsvArray_Push", "destroy_proxies"]);
// What may be done with a file opened read-only since the last reset (the first argument is its descriptor).
const ON_OWN_FILES = new Set(["fd_read", "fd_seek", "__syscall_getdents64"]);

/**
 * Wrap an Emscripten import object so that any import outside SAFE, called after `arm(FS, trusted)`, marks it
 * dirty. `JsvArray_Push` is safe only on an array made by `JsvArray_New` since the last `clean()` (pushing
 * onto an existing JS array would change the realm); a call from Python to a JS function only when the
 * function is one of `trusted` (the worker's own output function: printing); a file may be opened read-only,
 * read and closed. A file still open counts as dirty.
 * @returns {{imports: object, arm(FS: object, trusted?: Function[]): void, dirty(): boolean, clean(): void}}
 */
export function watchImports(imports) {
  let armed = false;
  let dirty = false;
  let FS = null;
  let trusted = new Set();
  let fresh = new WeakSet();
  const files = new Map(); // descriptor -> stream, opened read-only since the last reset
  const isFresh = (array) => typeof array === "object" && array !== null && fresh.has(array);
  const own = (fd) => files.has(fd) && files.get(fd) === FS.streams[fd];
  const wrap = (name, value) => {
    if (typeof value !== "function") return value; // the memory, globals: no code
    if (name === "__syscall_openat") {
      return function (dirfd, path, flags, varargs) {
        const fd = value.call(this, dirfd, path, flags, varargs);
        if (!armed) return fd;
        if ((flags & WRITING) !== 0) dirty = true;
        else if (fd >= 0) {
          const stream = FS.streams[fd];
          if (stream && (FS.isFile(stream.node.mode) || FS.isDir(stream.node.mode))) files.set(fd, stream);
          else dirty = true; // a device: reading one can have effects
        }
        return fd;
      };
    }
    if (ON_OWN_FILES.has(name) || name === "fd_close") {
      return function (fd, ...rest) {
        if (armed && !own(fd)) dirty = true;
        else if (armed && name === "fd_close") files.delete(fd);
        return value.call(this, fd, ...rest);
      };
    }
    if (name === "JsvArray_New") {
      return function (...args) {
        const array = value.apply(this, args);
        if (typeof array === "object" && array !== null) fresh.add(array);
        return array;
      };
    }
    if (ON_FRESH_ARRAYS.has(name)) {
      return function (array, ...rest) {
        if (armed && !isFresh(array)) dirty = true;
        return value.call(this, array, ...rest);
      };
    }
    if (name === "JsvFunction_CallBound") {
      return function (func, ...rest) {
        if (armed && !trusted.has(func)) dirty = true;
        return value.call(this, func, ...rest);
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
    arm: (fs, functions = []) => {
      FS = fs;
      trusted = new Set(functions);
      armed = true;
    },
    dirty: () => dirty || files.size > 0,
    clean: () => {
      dirty = false;
      fresh = new WeakSet();
    },
  };
}

/**
 * Take the interpreter's state now (memory, hiwire table, working directory) and arm the watch. The returned
 * `reset()` puts that state back and returns true, or returns false (and changes nothing) when the worker must
 * be retired instead: a watched import was called, a hiwire table grew, the stack pointer is not where it was
 * (a trap unwound through the interpreter), or `healthy()` says no (Pyodide's fatal-error state is in JS).
 * @param {object} Module  Pyodide's Emscripten module (`pyodide._module`)
 * @param {{arm(FS: object, trusted: Function[]): void, dirty(): boolean, clean(): void}} watch  from watchImports
 * @param {{trusted?: Function[], healthy?: () => boolean}} options  `trusted`: JS functions Python may call
 */
export function keepState(Module, watch, { trusted = [], healthy = () => true } = {}) {
  const memory = Module.HEAPU8.slice();
  const stack = Module.stackSave(); // between calls into the interpreter it is always here
  const hiwire = readTable((i) => Module.__hiwire_get(i));
  const immortals = () => readTable((i) => Module.__hiwire_immortal_get(i)).length; // only ever grows
  const immortalCount = immortals();
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
  watch.arm(Module.FS, trusted);
  return function reset() {
    if (watch.dirty() || untracked || Module.stackSave() !== stack || !healthy()) return false;
    if (readTable((i) => Module.__hiwire_get(i)).length !== hiwire.length || immortals() !== immortalCount) return false;
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

// A hiwire table (the JS values Python holds), slot by slot until past its end.
function readTable(get) {
  const values = [];
  for (;;) {
    try {
      values.push(get(values.length));
    } catch (err) {
      return values;
    }
  }
}
