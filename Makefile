# The single entry point: `make serve` runs the dashboard, `make test` runs the tests.
# Both bootstrap .venv from nothing but python3 and are quick on a second run.
SHELL  := /bin/bash
.SHELLFLAGS := -eo pipefail -c
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# The demo corpus: real text from Debian's fortune packages (see worker/data/demo_corpus.py).
DEMO_PACKAGES := fortunes fortunes-de fortunes-es fortunes-ru fortunes-zh
# End-to-end tests drive Debian's Chromium with Playwright (no browser download).
BROWSER_PACKAGES := chromium
# A real single-node Slurm cluster for the cluster tests (tests/slurm_cluster.py).
SLURM_PACKAGES := slurm-wlm munge
# This machine's pip config names local mirror folders that warn for every package: hide those.
QUIET_PIP := { grep -v -e 'is ignored: it is neither a file nor a directory' || true; }
# Test processes: one per core, at most 4 (each test trains with one torch thread or waits on a
# server, a worker or a browser); the 15 slowest tests are listed at the end.
TEST_PROCS := $(shell n=$$(nproc 2>/dev/null || echo 2); echo $$(( n < 4 ? n : 4 )))
# Bytecode caches are written (pytest's rewritten test modules too) even where the shell sets
# PYTHONDONTWRITEBYTECODE: otherwise each test process compiles some 300 modules every run (4 s).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: serve test test-fast lint format bench bench-pages bench-first-visit bench-load clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip 2>&1 | $(QUIET_PIP)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[server,worker,dev]' 2>&1 | $(QUIET_PIP)
	# mypy reads the libraries' types once here (about a minute); later runs take seconds.
	$(VENV)/bin/mypy > /dev/null || true
	touch $(STAMP)

serve: $(STAMP)
	scripts/os-deps.sh $(DEMO_PACKAGES)
	$(VENV)/bin/memdash serve

test: $(STAMP)
	scripts/os-deps.sh $(DEMO_PACKAGES) $(BROWSER_PACKAGES) $(SLURM_PACKAGES)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -n $(TEST_PROCS) --durations=15

# The edit loop (under a minute): pure functions, engine, layers, the app on SQLite; no servers
# in subprocesses, no PostgreSQL, no browser, no fuzzing (those are marked slow or postgres);
# ruff and mypy (over the memdash package) first.
test-fast: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -q -n $(TEST_PROCS) -m "not slow and not postgres"

lint: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(STAMP)
	$(PY) -m bench.engine --out bench/results-cpu.md

bench-pages: $(STAMP)
	$(PY) -m bench.pages --repeats 30 --out bench/results-pages.md

bench-first-visit: $(STAMP)
	$(PY) -m bench.first_visit --repeats 5 --out bench/results-first-visit.md

bench-load: $(STAMP)
	$(PY) -m bench.load --postgres --label after --out bench/results-load.md

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
