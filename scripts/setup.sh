#!/usr/bin/env bash
# Creates the virtual environment and installs everything the assistant and its tests need, offline-safe.
set -euo pipefail
PYTHON=${PYTHON:-python3.11}
VENV=${VENV:-.venv}
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP="$VENV/bin/pip --disable-pip-version-check -q"
$PIP install torch==2.13.0
$PIP install -e '.[dev]'
