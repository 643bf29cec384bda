# Two commands: `make run` (the whole system on embedded defaults) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test lint format testdb migrate bench clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.local-installed: requirements/base.txt requirements/local.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements/local.txt
	@touch $@

$(VENV)/.dev-installed: requirements/base.txt requirements/dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements/dev.txt
	@touch $@

## run: web (REST + Socket.IO), worker and beat on SQLite and a filesystem broker under instance/
run: $(VENV)/.local-installed
	@mkdir -p instance
	SPOTTER_ENV=development $(BIN)/flask db upgrade heads
	SPOTTER_ENV=development $(BIN)/flask seed all
	@echo ""
	@echo "  Spotter is starting: API docs at http://127.0.0.1:$(PORT)/api/docs  (Ctrl-C stops all three processes)"
	@echo ""
	SPOTTER_ENV=development PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho -f Procfile.dev start -p $(PORT)

## test: the whole suite against real PostgreSQL and Redis
test: $(VENV)/.dev-installed
	$(BIN)/python -m tests.setup_db
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -c pyproject.toml -r app config.py wsgi.py celery_worker.py gunicorn_web.py --severity-level medium
	$(BIN)/python ops/audit.py

format: $(VENV)/.dev-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

testdb: $(VENV)/.dev-installed
	$(BIN)/python -m tests.setup_db

## migrate: autogenerate a migration from model changes (review it before committing)
migrate: $(VENV)/.dev-installed
	SPOTTER_ENV=development $(BIN)/flask db migrate -m "$(m)"

$(VENV)/.bench-installed: requirements/bench.txt requirements/dev.txt requirements/base.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements/bench.txt
	@touch $@

## bench: production-style stack under wrk, beside the shared reference (see bench/RESULTS.md)
bench: $(VENV)/.bench-installed
	bash bench/run.sh

clean:
	rm -rf instance .pytest_cache
