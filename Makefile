# Two commands do all the set-up on a fresh machine:
#   make run    create .venv, install, run the bundled example
#   make test   create .venv, install, lint and run the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export NUMBA_CACHE_DIR ?= $(CURDIR)/.numba_cache

.PHONY: run test test-slow lint bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "balanskonto needs Python >= 3.11; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

run: $(STAMP)
	$(BIN)/balanskonto run

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks notebooks
	$(BIN)/ruff format --check src tests benchmarks notebooks
	$(BIN)/python -m pytest
	@mkdir -p results/bench
	$(BIN)/python -m pytest benchmarks --quick -q --benchmark-json=results/bench/quick.json

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks notebooks
	$(BIN)/ruff format --check src tests benchmarks notebooks

bench: $(STAMP)
	@mkdir -p results/bench
	$(BIN)/python -m pytest benchmarks -q --benchmark-json=results/bench/benchmark.json
	cd benchmarks && ../$(BIN)/python report.py --dir ../results/bench

clean:
	rm -rf $(VENV) .numba_cache results .pytest_cache
