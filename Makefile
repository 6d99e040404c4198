# Quick start: `make chat` (set up, then chat over seeds/ in the browser) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: setup chat ask test lint check

setup: $(VENV)/.installed

# torch first, pinned: an open range would pull a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml scripts/setup.sh
	PYTHON=$(PYTHON) VENV=$(VENV) bash scripts/setup.sh
	touch $@

# The local language model is installed for chat (and ask) only; `make test` does not need it.
$(VENV)/.model: $(VENV)/.installed scripts/setup.sh
	PYTHON=$(PYTHON) VENV=$(VENV) bash scripts/setup.sh --with-model
	touch $@

chat: setup $(VENV)/.model
	$(BIN)/assistant chat

ask: setup $(VENV)/.model
	$(BIN)/assistant ask "Who is Japan's chief negotiator?"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: setup
	bash scripts/test.sh
