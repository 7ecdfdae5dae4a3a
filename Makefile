# One task runner for humans, the README and CI.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

# The lock files (README, Dependencies): every dependency pinned with hashes. `make lock`
# refreshes them from pyproject.toml; `make test-latest` tries the newest versions instead.
LOCK_MAIN := requirements/main.txt
LOCK_TEST := requirements/test.txt
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --generate-hashes --universal \
	--python-version 3.11 --quiet

.PHONY: run install install-test test test-fast test-latest lint format lock bench bench-search bench-checker bench-feeds bench-monitoring bench-workers bench-import-preview bench-serve-start catalogs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps: install only when pyproject.toml or a lock file changed, so `make run` starts
# at once and works offline after the first time.
$(VENV)/.installed-main: pyproject.toml $(LOCK_MAIN) | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK_MAIN)
	$(BIN)/pip install --quiet --no-deps -e .
	@$(BIN)/pip check >/dev/null || { $(BIN)/pip check; \
		echo "make: the lock files miss a dependency in pyproject.toml: run make lock"; exit 1; }
	rm -f $(VENV)/.installed-test
	touch $@

$(VENV)/.installed-test: pyproject.toml $(LOCK_TEST) | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK_TEST)
	$(BIN)/pip install --quiet --no-deps -e .
	@$(BIN)/pip check >/dev/null || { $(BIN)/pip check; \
		echo "make: the lock files miss a dependency in pyproject.toml: run make lock"; exit 1; }
	touch $@ $(VENV)/.installed-main

install: $(VENV)/.installed-main

install-test: $(VENV)/.installed-test

lock: $(BIN)/python
	$(BIN)/pip install --quiet 'uv>=0.5,<1'
	$(UV_COMPILE) -o $(LOCK_MAIN)
	$(UV_COMPILE) --extra test -o $(LOCK_TEST)

# The newest releases pyproject.toml allows, in a venv of their own (the lock is not used):
# run it on a schedule to hear of upstream changes before `make lock` brings them in.
test-latest:
	rm -rf .venv-latest
	$(PYTHON) -m venv .venv-latest
	.venv-latest/bin/pip install --quiet --upgrade pip
	.venv-latest/bin/pip install --quiet --upgrade --upgrade-strategy eager -e '.[test]'
	.venv-latest/bin/pip list --format freeze > .venv-latest/versions.txt
	.venv-latest/bin/python -m pytest $(PYTEST_ARGS)

run: install
	LINKDIR_ENV=$${LINKDIR_ENV:-development} LINKDIR_DEMO=$${LINKDIR_DEMO:-1} \
		$(BIN)/linkdir serve --host $(HOST) --port $(PORT)

# pytest-xdist: JOBS workers (two per core: many tests wait on loopback servers, worker
# processes and timeouts, and the two browser groups hold a worker each; on 2 cores, 4
# workers ran the suite in 262 s, 3 in 302 s, 2 in 346 s, 6 in 373 s), the browser tests
# in two groups of one worker each; each worker has its own PostgreSQL database cloned
# from a migrated template.
# Bytecode is cached for the run even where PYTHONDONTWRITEBYTECODE is set (CI machines
# set it): without the cache every pytest process (controller, workers, the tests' own
# pytest and linkdir processes) parses and rewrites every test module and plugin again,
# ~6 s of CPU per pytest process. The caches are in git-ignored __pycache__ folders.
JOBS ?= $(shell echo $$((2 * $$(nproc))))
test: install-test
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(JOBS) --dist loadgroup $(PYTEST_ARGS)

# The edit loop: no browser, SQLite only (PostgreSQL and CI switched off for this run).
test-fast: install-test
	LINKDIR_TEST_DATABASE_URL= LINKDIR_TEST_BASE_DATABASE_URL= CI= PYTHONDONTWRITEBYTECODE= \
		$(BIN)/python -m pytest -n $(JOBS) --ignore=tests/browser $(PYTEST_ARGS)

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
bench: bench-search bench-checker bench-feeds bench-monitoring bench-workers bench-serve-start

bench-search: install-test
	$(BIN)/python bench/search_pages.py

bench-checker: install-test
	$(BIN)/python bench/checker/farm.py

bench-workers: install-test
	$(BIN)/python bench/checker/workers.py

bench-serve-start: install-test
	$(BIN)/python bench/serve_start.py

bench-import-preview: install-test
	cd bench && ../$(BIN)/python import_preview.py

bench-feeds: install-test
	$(BIN)/python bench/feeds/run.py

bench-monitoring: install-test
	$(BIN)/python bench/monitoring/run.py

clean:
	rm -rf $(VENV) .venv-latest dist build .pytest_cache .mypy_cache .ruff_cache
