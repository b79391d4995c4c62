#!/usr/bin/env bash
# Install everything the tests need on a fresh machine (llama.cpp's server included), then run them.
#   SEEDUI_SKIP_VLLM=1 scripts/test.sh   skips the real-vLLM tests (for a quick local run; CI runs them)
#   extra arguments go to pytest, e.g. scripts/test.sh -k compare
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: a real browser for the browser tests (Chromium: a test tool's own download does not work
# offline); Node.js (npm fetches Pyodide, and `node --test` runs the browser code's unit tests, tests/sandbox/js/);
# a compiler and cmake for llama.cpp's server, which install.sh builds and the tests run.
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
{ command -v node && command -v npm; } >/dev/null 2>&1 || need+=(nodejs npm)
{ command -v cmake && command -v c++ && command -v make; } >/dev/null 2>&1 || need+=(build-essential cmake)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

scripts/install.sh requirements-dev.txt

# Pyodide for in-browser Python, served by the app so the browser tests run offline (npm package `pyodide`).
.venv/bin/python -m seedui.sandbox.fetch
# axe-core for the accessibility tests (npm package `axe-core`, pinned; into tests/vendor/).
.venv/bin/python -m tests.ui.axe

markers=""
if [ "${SEEDUI_SKIP_VLLM:-0}" = "1" ]; then
  markers="not vllm"
else
  scripts/setup_vllm_cpu.sh
fi
# The app reads every SEEDUI_* variable as configuration: this one is the script's, not the app's.
unset SEEDUI_SKIP_VLLM

.venv/bin/ruff check .
# The llama.cpp tests run the server install.sh built: here a missing one fails them instead of skipping them.
# (Not a SEEDUI_* name: the app reads every one of those as configuration.)
export REQUIRE_LLAMA_SERVER=1
exec .venv/bin/python -m pytest ${markers:+-m "$markers"} "$@"
