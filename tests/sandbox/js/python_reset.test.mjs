// Resetting a Python worker (seedui/sandbox/static/worker/python_reset.mjs): which imports make it dirty, and
// what keepState puts back, on a stand-in for Pyodide's Emscripten module (the real one is in
// tests/sandbox/test_check_pool.py).
import assert from "node:assert/strict";
import { test } from "node:test";

import { SAFE, keepState, watchImports } from "../../../seedui/sandbox/static/worker/python_reset.mjs";

function imports() {
  const calls = [];
  const env = {
    memory: { kind: "memory" },
    set_suspender: (x) => calls.push(["set_suspender", x]),
    JsvArray_New: () => [],
    JsvArray_Push: (array, value) => array.push(value),
    JsvFunction_CallBound: (func, self, args) => func.apply(self, args),
    JsvObject_SetAttr: (obj, key, value) => {
      obj[key] = value;
    },
    // a stand-in for Emscripten's: opens path (an index into `nodes`) as the lowest free descriptor
    __syscall_openat: (dirfd, path, flags) => {
      if (!(path in fs.nodes)) return -44;
      const fd = fs.streams.length;
      fs.streams[fd] = { node: fs.nodes[path], flags };
      return fd;
    },
    fd_read: () => 0,
    fd_close: (fd) => {
      fs.streams.length = fd;
      return 0;
    },
  };
  const fs = {
    nodes: { lib: { mode: 0o40755 }, zip: { mode: 0o100644 }, tty: { mode: 0o20666 } },
    streams: [{ node: null }, { node: null }, { node: null }],
    isFile: (mode) => (mode & 0o170000) === 0o100000,
    isDir: (mode) => (mode & 0o170000) === 0o40000,
  };
  return { calls, fs, raw: { env, wasi_snapshot_preview1: env, "GOT.mem": { got: 1 } } };
}

test("the safe list names no import that reaches JS objects, opens files or loads code", () => {
  for (const name of SAFE) assert.doesNotMatch(name, /Object|Function|open|write|unlink|rename|dlopen|eval|Call|_call/);
});

test("imports outside the safe list make a worker dirty once armed, safe ones do not", () => {
  const { calls, fs, raw } = imports();
  const watch = watchImports(raw);
  const env = watch.imports.env;
  assert.equal(watch.imports.wasi_snapshot_preview1, env, "one object stays one object");
  assert.equal(watch.imports["GOT.mem"], raw["GOT.mem"]);
  assert.equal(env.memory, raw.env.memory);
  env.fd_close(env.__syscall_openat(-100, "zip", 1 | 64));
  assert.equal(watch.dirty(), false, "before arm(): the interpreter's own start");
  watch.arm(fs);
  env.set_suspender(1);
  assert.deepEqual(calls, [["set_suspender", 1]]);
  assert.equal(watch.dirty(), false);
  const target = {};
  env.JsvObject_SetAttr(target, "x", 1);
  assert.equal(target.x, 1, "the call itself still happens");
  assert.equal(watch.dirty(), true);
  watch.clean();
  assert.equal(watch.dirty(), false);
  env.fd_read(0);
  assert.equal(watch.dirty(), true, "reading a descriptor it did not open (stdin)");
});

test("Python may call the worker's own output function, and no other JS function", () => {
  const { fs, raw } = imports();
  const watch = watchImports(raw);
  const said = [];
  const emit = (kind, text) => said.push([kind, text]);
  watch.arm(fs, [emit]);
  watch.imports.env.JsvFunction_CallBound(emit, undefined, ["stdout", "hi"]);
  assert.deepEqual(said, [["stdout", "hi"]]);
  assert.equal(watch.dirty(), false);
  watch.imports.env.JsvFunction_CallBound(() => {}, undefined, []);
  assert.equal(watch.dirty(), true);
});

test("files may be opened read-only, read and closed; writing, creating, a device or one left open is dirty", () => {
  const O = { RDONLY: 0, WRONLY: 1, RDWR: 2, CREAT: 64, TRUNC: 512, APPEND: 1024 };
  const open = (path, flags) => {
    const { fs, raw } = imports();
    const watch = watchImports(raw);
    watch.arm(fs);
    return { watch, env: watch.imports.env, fd: watch.imports.env.__syscall_openat(-100, path, flags) };
  };
  for (const path of ["zip", "lib"]) {
    const { watch, env, fd } = open(path, O.RDONLY);
    assert.equal(fd, 3);
    env.fd_read(fd);
    assert.equal(watch.dirty(), true, "still open");
    env.fd_close(fd);
    assert.equal(watch.dirty(), false, path);
  }
  assert.equal(open("missing", O.RDONLY).watch.dirty(), false, "a failed open changes nothing");
  for (const flags of [O.WRONLY, O.RDWR, O.RDONLY | O.CREAT, O.RDONLY | O.TRUNC, O.RDONLY | O.APPEND]) {
    const { watch, env, fd } = open("zip", flags);
    env.fd_close(fd);
    assert.equal(watch.dirty(), true, `flags ${flags}`);
  }
  const { watch, env, fd } = open("tty", O.RDONLY);
  env.fd_close(fd);
  assert.equal(watch.dirty(), true, "a device");
});

test("pushing is safe only onto an array the interpreter made since the last reset", () => {
  const { fs, raw } = imports();
  const watch = watchImports(raw);
  const env = watch.imports.env;
  watch.arm(fs);
  const fresh = env.JsvArray_New();
  env.JsvArray_Push(fresh, 1);
  assert.deepEqual(fresh, [1]);
  assert.equal(watch.dirty(), false);
  watch.clean();
  env.JsvArray_Push(fresh, 2);
  assert.equal(watch.dirty(), true, "made before the reset: part of the realm now");
  watch.clean();
  const realms = [];
  env.JsvArray_Push(realms, 1);
  assert.equal(watch.dirty(), true);
});

function fakeModule() {
  const table = [null, "js-module", "emit"];
  const immortal = ["a", "b"];
  const registrations = [];
  const unregistered = [];
  const Module = {
    HEAPU8: new Uint8Array([1, 2, 3, 4]),
    sp: 1000,
    stackSave() {
      return this.sp;
    },
    FS: {
      path: "/home/pyodide",
      cwd() {
        return this.path;
      },
      chdir(p) {
        this.path = p;
      },
    },
    __hiwire_get(i) {
      if (i >= table.length) throw new RangeError("table index is out of bounds");
      return table[i];
    },
    __hiwire_immortal_get(i) {
      if (i >= immortal.length) throw new RangeError("table index is out of bounds");
      return immortal[i];
    },
    __hiwire_set(i, v) {
      table[i] = v;
      return 0;
    },
    finalizationRegistry: {
      register: (target, held, token) => registrations.push(token),
      unregister: (token) => unregistered.push(token),
    },
  };
  return { Module, table, immortal, registrations, unregistered };
}

test("reset puts back the memory (zeroing what grew), the hiwire table and the working directory", () => {
  const { Module, table, registrations, unregistered } = fakeModule();
  const watch = watchImports(imports().raw);
  const reset = keepState(Module, watch);
  Module.HEAPU8[0] = 99;
  Module.HEAPU8 = new Uint8Array([99, 98, 97, 96, 5, 6]); // the memory grew: a new view
  table[2] = "something else";
  Module.FS.chdir("/tmp");
  const proxy = { ptr: 8 };
  Module.finalizationRegistry.register(proxy, { ptr: 8 }, proxy);
  assert.deepEqual(registrations, [proxy], "registered with Pyodide's registry as before");
  assert.equal(reset(), true);
  assert.deepEqual([...Module.HEAPU8], [1, 2, 3, 4, 0, 0]);
  assert.deepEqual(table, [null, "js-module", "emit"]);
  assert.equal(Module.FS.cwd(), "/home/pyodide");
  assert.deepEqual(unregistered, [proxy], "a proxy of this check never decrements a count in the restored memory");
  assert.equal(reset(), true, "and again");
  assert.deepEqual(unregistered, [proxy]);
});

test("reset refuses, changing nothing, after a watched import, a grown table, an untracked proxy, a trap or a fatal error", () => {
  for (const spoil of [
    ({ watch }) => watch.imports.env.__syscall_openat(-100, "zip", 1),
    ({ table }) => table.push("more"),
    ({ immortal }) => immortal.push("interned"),
    ({ Module }) => Module.finalizationRegistry.register({}, { ptr: 4 }),
    ({ Module }) => (Module.sp = 960), // a trap left the stack pointer down the stack
    ({ Module }) => (Module.fatal = true),
  ]) {
    const { Module, table, immortal } = fakeModule();
    const watch = watchImports(imports().raw);
    const reset = keepState(Module, watch, { healthy: () => !Module.fatal });
    Module.HEAPU8[1] = 42;
    spoil({ Module, table, immortal, watch });
    assert.equal(reset(), false);
    assert.equal(Module.HEAPU8[1], 42);
  }
});
