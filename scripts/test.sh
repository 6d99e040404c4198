#!/usr/bin/env bash
# The test command of the README and of CI: lint, types, then the whole test suite.
set -euo pipefail
BIN=${VENV:-.venv}/bin
"$BIN/ruff" check .
"$BIN/mypy"
"$BIN/python" -m pytest -q "$@"
