# kaldinn: `make demo` runs the default recipe, `make test` runs the test suite.
# Both create or refresh the virtualenv in .venv first (idempotent: a stamp file records
# the set-up inputs, so a second run installs nothing).
#
# CUDA hosts choose their torch build:  make test TORCH_SPEC="torch==2.13.0 --index-url ..."

PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.kaldinn-installed
PY := $(VENV)/bin/python

.PHONY: venv demo test lint clean-venv bench

venv: $(STAMP)

$(STAMP): setup.py Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet $(TORCH_SPEC)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: venv
	cd egs/synth/s5 && PATH="$(CURDIR)/$(VENV)/bin:$$PATH" ./run.sh

test: venv
	$(PY) -m pytest -q tests

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: venv
	for b in bench/bench_*.py; do $(PY) $$b || exit 1; done

clean-venv:
	rm -rf $(VENV)
