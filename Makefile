# minder — two commands do all the set-up on a fresh machine:
#   make run    creates .venv, installs minder (and only what it needs to run) and runs the demo
#   make test   installs everything the tests need and runs the whole suite
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed
PYTEST := $(PY) -m pytest -p no:cacheprovider

.PHONY: run record-inits test test-unit test-pythons test-integration test-e2e test-security test-wheel lint typecheck \
	deps system-deps bench bench-peers docs clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# A checkout installed before the distribution was renamed has "minder" (this
# same code under its old name) in the venv and its metadata in src/; both go,
# so one distribution owns the commands.
define drop-old-name
	@rm -rf src/minder.egg-info
	@if $(PY) -m pip show -q minder >/dev/null 2>&1; then $(PY) -m pip uninstall -q -y minder; fi
endef

# What running needs: minder itself, aiohttp and psutil.
$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	$(drop-old-name)
	$(PY) -m pip install -q -e .
	touch $(RUN_STAMP)

# What testing needs on top: pytest, supervisord and superlance, playwright, mypy, ruff, build.
$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(drop-old-name)
	$(PY) -m pip install -q -e '.[test]'
	touch $(RUN_STAMP) $(STAMP)

deps: $(STAMP)

# Debian packages the browser, reverse-proxy and man-page tests use. Installed
# only when missing; needs root (CI and the dev machines run as root).
system-deps:
	@bash tools/install-system-deps.sh

run: $(RUN_STAMP)
	$(VENV)/bin/minderd -n -c examples/demo/minder.conf

# The whole suite; the install tier (tests/install) builds the sdist and the
# wheel and runs minderd from a fresh, non-editable venv.
test: deps system-deps
	$(MAKE) lint typecheck
	$(PYTEST) tests
	$(MAKE) test-pythons

test-unit: deps
	$(PYTEST) -m unit tests/unit

# Each record's __init__ compiled in advance (src/minder/records.py says why):
# rerun after changing a record; tests/unit/test_record_inits.py says when.
record-inits: deps
	$(VENV)/bin/python tools/gen_record_inits.py
	@if [ -x .venv-py3.12/bin/python ]; then .venv-py3.12/bin/python tools/gen_record_inits.py; \
	else echo "record-inits: no .venv-py3.12 (make test-pythons makes it): 3.12's module not rewritten"; fi

# The unit tier on every other Python 3.11-3.13 on the machine.
test-pythons: deps
	@bash tools/test-pythons.sh

test-integration: deps
	$(PYTEST) tests/integration

test-e2e: deps system-deps
	$(PYTEST) tests/e2e

test-wheel: deps
	$(PYTEST) tests/install

# Attacks (floods, guessing, DNS rebinding…) against a real minderd.
test-security: deps system-deps
	$(PYTEST) tests/security

lint: deps
	$(VENV)/bin/ruff check src tests bench examples

typecheck: deps
	$(VENV)/bin/mypy

bench: deps
	$(PY) -m bench

# Regenerate what is generated from the sources (tests fail when it is stale).
docs: deps
	$(PY) -m minder.config.schema --markdown > docs/configuration.md
	$(PY) -m minder.daemon.manpages docs/man
	$(PY) -c 'from minder.ctl.commands.startup import systemd_unit; print(systemd_unit( \
		"/opt/minder/bin/minderd", "/opt/minder/bin/minderctl", \
		"/etc/supervisor/supervisord.conf", True), end="")' > examples/systemd/minderd.service

# minderd beside supervisord, Circus, PM2, s6 and runit; installs the peers
# into ~/.cache/minder-bench on first use (never needed by the tests).
bench-peers: deps
	$(PY) -m bench --peers

clean:
	rm -rf $(VENV) build dist *.egg-info src/*.egg-info .venv-py3.*
