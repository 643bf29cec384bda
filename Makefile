# Two commands: `make run` (the whole system on embedded defaults) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
DOCS_HOST := $(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST))
INSTANCE := $(or $(INSTANCE_PATH),instance)
export FLASK_APP := wsgi

.PHONY: run test lint format testdb migrate bench clean system-packages fuzz

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

## run: web (REST + Socket.IO), worker and beat on SQLite and a filesystem broker under instance/ (HOST, PORT)
run: $(VENV)/.local-installed
	@$(BIN)/python -c 'import socket, sys; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((sys.argv[1], int(sys.argv[2])))' "$(HOST)" "$(PORT)" 2>/dev/null \
	  || { echo "make run: cannot listen on $(HOST):$(PORT) (already in use?); stop what uses it or pick another port: make run PORT=8000"; exit 1; }
	@mkdir -p "$(INSTANCE)"
	@rm -rf "$(INSTANCE)/socketio"
	SPOTTER_ENV=development $(BIN)/flask db upgrade heads
	SPOTTER_ENV=development $(BIN)/flask seed all
	@echo ""
	@echo "  Demo logins (flask seed demo):"
	@set -o pipefail; SPOTTER_ENV=development LOG_LEVEL=WARNING $(BIN)/flask seed demo | sed 's/^/  /'
	@echo ""
	@echo "  Spotter is starting: API docs at http://$(DOCS_HOST):$(PORT)/api/docs  (Ctrl-C stops all three processes)"
	@echo ""
	SPOTTER_ENV=development HOST=$(HOST) PATH="$(abspath $(BIN)):$$PATH" $(BIN)/honcho -f Procfile.dev start -p $(PORT)

## system-packages: the Debian packages of requirements/apt.txt (installed when root, else what to run is printed)
system-packages:
	@bash requirements/system-packages.sh

## test: the whole suite against real PostgreSQL and Redis
test: system-packages $(VENV)/.dev-installed
	$(BIN)/python -m tests.setup_db
	$(BIN)/pytest $(PYTEST_ARGS)

## fuzz: schemathesis against the live app, long (FUZZ_EXAMPLES per operation and mode; the suite runs 3)
FUZZ_EXAMPLES ?= 200
fuzz: $(VENV)/.dev-installed
	$(BIN)/python -m tests.setup_db
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/test_openapi_fuzz.py $(PYTEST_ARGS)

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
	@bash requirements/system-packages.sh requirements/apt-bench.txt
	bash bench/run.sh

clean:
	rm -rf instance .pytest_cache
