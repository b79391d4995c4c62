// Build a Pyodide memory snapshot of a freshly started interpreter, so browsers
// can skip Python's start-up (~3 s of CPU here) and restore it in ~0.5 s.
// Run by `python -m seedui.sandbox.fetch`:  node make_snapshot.mjs <pyodide dir> <out file>
// The snapshot holds no user code and no state of this machine: the interpreter
// runs with a fixed environment and nothing of the host is mounted.
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [dir, out] = process.argv.slice(2);
const indexURL = dir.endsWith("/") ? dir : dir + "/";
const { loadPyodide } = await import(pathToFileURL(indexURL + "pyodide.mjs").href);
const pyodide = await loadPyodide({ indexURL, _makeSnapshot: true, env: { HOME: "/home/pyodide" } });
pyodide.runPython("import os\nos.environ.pop('_', None)");
writeFileSync(out, pyodide.makeMemorySnapshot());
