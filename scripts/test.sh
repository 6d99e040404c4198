#!/usr/bin/env bash
# The test command of the README and of CI: lint, formatting, types (tests and benchmarks too), then the whole test suite.
set -euo pipefail
BIN=${VENV:-.venv}/bin
"$BIN/ruff" check .
"$BIN/ruff" format --check .
"$BIN/mypy"
# The browser tests drive Debian's chromium through Playwright (never `playwright install`: no browser downloads).
command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
"$BIN/python" -m pytest -q "$@"
# Eval gates (the seeds gold set, a RealTime QA month; scripts/ci_eval.sh) on full runs, not on a chosen test file.
if [[ $# -eq 0 ]]; then bash scripts/ci_eval.sh; fi
