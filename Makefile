# One task runner for humans, the README and CI.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run install install-test test lint format bench bench-search bench-checker bench-feeds bench-monitoring bench-workers catalogs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

run: install
	LINKDIR_ENV=$${LINKDIR_ENV:-development} LINKDIR_DEMO=$${LINKDIR_DEMO:-1} \
		$(BIN)/linkdir serve --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: install-test
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

catalogs: install-test
	$(BIN)/pybabel extract -F babel.cfg -k N_ --ignore-dirs ".* build dist .venv" -o src/linkdir/locale/messages.pot --no-location --omit-header --sort-output .
	$(BIN)/pybabel update -i src/linkdir/locale/messages.pot -d src/linkdir/locale --no-fuzzy-matching --ignore-obsolete

# Each benchmark prints its numbers; bench/README.md says what they mean and the last ones.
bench: bench-search bench-checker bench-feeds bench-monitoring bench-workers

bench-search: install-test
	$(BIN)/python bench/search_pages.py

bench-checker: install-test
	$(BIN)/python bench/checker/farm.py

bench-workers: install-test
	$(BIN)/python bench/checker/workers.py

bench-feeds: install-test
	$(BIN)/python bench/feeds/run.py

bench-monitoring: install-test
	$(BIN)/python bench/monitoring/run.py

clean:
	rm -rf $(VENV) dist build .pytest_cache .mypy_cache .ruff_cache
