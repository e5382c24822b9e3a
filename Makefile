# kaldinn: `make demo` runs the default recipe, `make test` runs the test suite.
# Both create or refresh the virtualenv in .venv first (idempotent: a stamp file records
# the set-up inputs, so a second run installs nothing). Every run also checks the environment
# (`pip check` and an import of each runtime dependency); a broken one, e.g. numpy downgraded
# by a later `pip install`, is rebuilt from scratch even when the stamp exists.
#
# `make bench` runs the benchmarks in their own virtualenv, .venv-bench: kaldinn as in .venv
# plus the baselines they compare against, which never go into .venv.
#
# CUDA hosts choose their torch build:  make test TORCH_SPEC="torch==2.13.0 --index-url ..."

PYTHON ?= python3
VENV ?= .venv
BENCH_VENV ?= .venv-bench
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.kaldinn-installed
BENCH_STAMP := $(BENCH_VENV)/.kaldinn-installed
PY := $(VENV)/bin/python
BENCH_PY := $(BENCH_VENV)/bin/python

# kaldinn's runtime dependencies (setup.py), by import name.
IMPORTS := torch, kaldi_native_fbank, kaldifst, kaldi_decoder, numpy, pandas, tqdm, yaml, soundfile, matplotlib, \
	espeakng_loader, sentencepiece, kaldinn
# Benchmark baselines. pyctcdecode 0.5.0, its only release, pins numpy<2, which pandas 3 cannot
# meet (installing it downgrades numpy and breaks pandas), but its code runs on numpy 2, so it is
# installed without its dependencies next to the one it needs at run time (pygtrie). kaldiio comes
# with the test extra, kaldi-native-fbank with kaldinn.
BENCH_DEPS := 'pygtrie>=2.1,<3'
BENCH_NODEPS := pyctcdecode==0.5.0
BENCH_IMPORTS := $(IMPORTS), kaldiio, pyctcdecode
BENCH_ARGS ?=

.PHONY: venv bench-venv demo test lint clean-venv bench

# Shell command: create venv $(1) unless it exists, install torch, then kaldinn with the test extra.
install_kaldinn = { test -x $(1)/bin/python || $(PYTHON) -m venv $(1); } \
	&& $(1)/bin/python -m pip install --quiet --upgrade pip setuptools wheel \
	&& $(1)/bin/python -m pip install --quiet $(TORCH_SPEC) \
	&& $(1)/bin/python -m pip install --quiet -e '.[test]'
INSTALL_VENV = $(call install_kaldinn,$(VENV)) && touch $(STAMP)
INSTALL_BENCH_VENV = $(call install_kaldinn,$(BENCH_VENV)) \
	&& $(BENCH_PY) -m pip install --quiet $(BENCH_DEPS) \
	&& $(BENCH_PY) -m pip install --quiet --no-deps $(BENCH_NODEPS) \
	&& touch $(BENCH_STAMP)

# What a healthy environment passes. No pip check in the bench one: pyctcdecode's numpy pin is
# knowingly unmet there (see BENCH_NODEPS).
VENV_CHECK = $(PY) -m pip check && $(PY) -c 'import $(IMPORTS)'
BENCH_VENV_CHECK = $(BENCH_PY) -c 'import $(BENCH_IMPORTS)'

# Unless the check $($(2)) passes, remove venv $(1), reinstall it ($($(3))) and check again.
define repair_if_broken
	@log=$$(mktemp); \
	if ! { $($(2)); } >$$log 2>&1; then \
	  echo "$(1) is broken, rebuilding it from scratch:" >&2; sed 's/^/  /' $$log >&2; \
	  rm -rf $(1); $($(3)) || { rm -f $$log; exit 1; }; \
	  if ! { $($(2)); } >$$log 2>&1; then \
	    echo "$(1) is still broken after the rebuild:" >&2; sed 's/^/  /' $$log >&2; rm -f $$log; exit 1; \
	  fi; \
	fi; \
	rm -f $$log
endef

venv: $(STAMP)
	$(call repair_if_broken,$(VENV),VENV_CHECK,INSTALL_VENV)

$(STAMP): setup.py Makefile
	$(INSTALL_VENV)

bench-venv: $(BENCH_STAMP)
	$(call repair_if_broken,$(BENCH_VENV),BENCH_VENV_CHECK,INSTALL_BENCH_VENV)

$(BENCH_STAMP): setup.py Makefile
	$(INSTALL_BENCH_VENV)

demo: venv
	cd egs/synth/s5 && PATH="$(CURDIR)/$(VENV)/bin:$$PATH" ./run.sh

test: venv
	$(PY) -m pytest -q tests

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Every benchmark takes --repeats (most also --warmup and --threads, bench/_timing.py), so one
# setting reaches them all: `make bench BENCH_ARGS="--repeats 3"`. Each prints its duration.
bench: bench-venv
	@start=$$(date +%s); for b in bench/bench_*.py; do t=$$(date +%s); \
	  echo "$(BENCH_PY) $$b $(BENCH_ARGS)"; $(BENCH_PY) $$b $(BENCH_ARGS) || exit 1; \
	  echo "== $$b took $$(( $$(date +%s) - t )) s"; done; \
	echo "== make bench: every benchmark in $$(( $$(date +%s) - start )) s"

clean-venv:
	rm -rf $(VENV) $(BENCH_VENV)
