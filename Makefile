# minder — two commands do all the set-up on a fresh machine:
#   make run    creates .venv, installs minder and runs the demo config
#   make test   installs everything the tests need and runs the whole suite
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST := $(PY) -m pytest -p no:cacheprovider

.PHONY: run test test-unit test-integration test-e2e lint typecheck deps system-deps bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

deps: $(STAMP)

# Debian packages the browser and reverse-proxy tests use. Installed only
# when missing; needs root (CI and the dev machines run as root).
system-deps:
	@bash tools/install-system-deps.sh

run: $(STAMP)
	$(VENV)/bin/minderd -n -c examples/demo/minder.conf

test: deps system-deps
	$(MAKE) lint typecheck
	$(PYTEST) tests

test-unit: deps
	$(PYTEST) -m unit tests/unit

test-integration: deps
	$(PYTEST) tests/integration

test-e2e: deps system-deps
	$(PYTEST) tests/e2e

lint: deps
	$(VENV)/bin/ruff check src tests bench examples

typecheck: deps
	$(VENV)/bin/mypy

bench: deps
	$(PY) -m bench

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
