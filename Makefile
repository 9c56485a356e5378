# 学籍 — developer commands. See docs/DEVELOPMENT.md.
#
#   make run     install, migrate, load code tables and divisions, seed the demo, then
#                serve with gunicorn + the task worker (one command; Ctrl-C stops both)
#   make dev     the same with runserver and the worker reloading on code changes (DEBUG on)
#   make test    install, make sure chromium is there, run pytest
#   make test-pg the same on a throwaway PostgreSQL 15 cluster
#   make lint    ruff check
#   make setup   install only (.tools with pinned uv, then .venv from uv.lock)
#
# Variables: HOST, PORT (make run), PYTEST_ARGS (make test), DATABASE_URL (both).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

UV_VERSION := 0.13.9
PYTHON_VERSION := python3.11

TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
UV_STAMP := $(TOOLS)/.uv-$(UV_VERSION)

HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

# uv must use the machine's Python 3.11, never download one.
export UV_PYTHON_DOWNLOADS := never
# Trust the OS certificate store (where a registry proxy's CA lives), not only uv's
# bundled roots.
export UV_SYSTEM_CERTS ?= 1
# Byte-compile the installed packages once at install: processes (the web server, the task
# worker, every test run, the benchmarks) then start without compiling them from source,
# even where PYTHONDONTWRITEBYTECODE is set.
export UV_COMPILE_BYTECODE := 1
# An activated virtualenv elsewhere must not redirect uv sync.
unexport VIRTUAL_ENV

.PHONY: help setup demo-data run dev test lint bench test-pg

help:
	@sed -n '2,12p' $(firstword $(MAKEFILE_LIST)) | sed 's/^# \{0,1\}//'

# Pinned uv in its own venv. The stamp names the version, so changing UV_VERSION
# reinstalls it.
$(UV_STAMP):
	@echo "== bootstrap: uv $(UV_VERSION) into $(TOOLS)"
	@test -x $(TOOLS)/bin/pip || python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	@rm -f $(TOOLS)/.uv-*
	@touch $@

# Installs the project and the dev group from uv.lock; a no-op when already in sync.
setup: $(UV_STAMP)
	@$(UV) sync --locked --python $(PYTHON_VERSION)
	@$(PY) -m compileall -q -j 0 xueji scripts bench >/dev/null

# The database, code tables, divisions, process configurations and demo accounts (each
# loader is idempotent).
demo-data: setup
	XUEJI_ENV=demo $(PY) manage.py migrate --noinput
	XUEJI_ENV=demo $(PY) manage.py load_codes
	XUEJI_ENV=demo $(PY) manage.py load_divisions
	XUEJI_ENV=demo $(PY) manage.py load_process_configs
	XUEJI_ENV=demo $(PY) manage.py seed_demo

# gunicorn (static files through WhiteNoise, logs on stdout, DEBUG off) and the task worker,
# started and stopped together by scripts/serve.py.
run: demo-data
	XUEJI_ENV=demo $(PY) scripts/serve.py --bind $(HOST):$(PORT)

# For developers: runserver and the worker, both reloading on code changes, DEBUG on.
dev: demo-data
	XUEJI_ENV=demo XUEJI_DEBUG=1 $(PY) scripts/serve.py --dev --bind $(HOST):$(PORT)

# Serial on purpose: with 2 cores, -n auto was slower (each worker migrates its own
# test database and starts its own chromium); opt in with PYTEST_ARGS="-n auto".
# pytest exits 5 when it collected no test: that stays a failure.
test: setup
	@bash scripts/ensure-chromium
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# The suite against a throwaway PostgreSQL 15 cluster, removed afterwards.
test-pg: setup
	bash scripts/pg-throwaway run -- $(MAKE) --no-print-directory test

lint: setup
	$(VENV)/bin/ruff check .

bench: setup
	@if [ -f bench/run.py ]; then $(PY) bench/run.py; else echo "bench/run.py not written yet"; fi
