# Entry points. Each target sets up what it needs: a fresh machine needs only `make bench` and `make test`.
PYTHON ?= python3
VENV := .venv
BENCH := $(VENV)/bin/bench
STAMP := $(VENV)/.installed-stamp

.PHONY: bench bench-full test unit engine clean-venv

bench: $(STAMP)  ## set up engine, bases and index; every strategy on the seed and tiny sets, 5 repeats; report
	$(BENCH) run --scenario seed --scenario tiny --repeat 5 --warmup 1

bench-full: $(STAMP)  ## every strategy on every requirement set, one build each: a survey
	$(BENCH) run --scenario seed --scenario tiny --scenario web --scenario datasci --scenario sdist --repeat 1

test: $(STAMP)  ## every test, real builds included (starts the engine itself)
	$(VENV)/bin/ruff check bench tests
	$(VENV)/bin/mypy bench tests
	$(VENV)/bin/pytest

unit: $(STAMP)  ## the tests that need no engine
	$(VENV)/bin/pytest -m "not docker"

engine: $(STAMP)  ## find or start a Docker engine with a BuildKit client, print its versions
	$(BENCH) engine

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

clean-venv:
	rm -rf $(VENV)
