# Every target runs inside the virtualenv at .venv (created on first use). Packages come
# from the lock files, with their hashes: requirements.lock (runtime) for `install`,
# requirements-dev.lock (runtime + tests and tooling) for everything else.
VENV      := .venv
PYTHON    := $(VENV)/bin/python
PIP       := $(PYTHON) -m pip install --quiet --require-hashes --no-deps
STAMP     := $(VENV)/.installed-runtime-$(shell cat requirements.lock | md5sum | cut -c1-12)
DEV_STAMP := $(VENV)/.installed-dev-$(shell cat requirements-dev.lock | md5sum | cut -c1-12)
LOCK      := $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
             --no-emit-index-url --no-emit-find-links

.PHONY: install install-dev lock test lint format demo demo-app bench clean

$(PYTHON):
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip

$(STAMP): requirements.lock | $(PYTHON)
	$(PIP) -r requirements.lock
	rm -f $(VENV)/.installed-runtime-*
	touch $(STAMP)

$(DEV_STAMP): requirements-dev.lock | $(PYTHON)
	$(PIP) -r requirements-dev.lock
	rm -f $(VENV)/.installed-dev-*
	touch $(DEV_STAMP)

# Production: the runtime only (what the scheduler and the dashboard need). Our modules are
# compiled once here: the systemd units cannot write .pyc files (ProtectSystem=strict), and
# compiling them on every start is ≈ 50 ms of each `python -m sync run`.
install: $(STAMP)
	$(PYTHON) -m compileall -q sync

# Development and CI: runtime + pytest, ruff, playwright, aiosmtpd, pip-tools.
install-dev: $(DEV_STAMP)

# After editing requirements.txt or requirements-dev.txt: pin the whole transitive set again.
lock: install-dev
	$(LOCK) --output-file requirements.lock requirements.txt
	$(LOCK) --output-file requirements-dev.lock requirements-dev.txt

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# pytest exits 5 when it collects nothing: that is a failure here, not a pass.
# Four worker processes on the 2-core machine: much of the suite waits (child processes,
# browsers, servers, the database), so the extra workers fill the idle core time (measured:
# -n 3 422 s, -n 4 367 s, -n 5 362 s of pytest, the cores then 95 % busy). The browser tests
# and the wall-clock tests form two serial groups (tests/conftest.py): each runs one test
# after the other on one worker while the others run the rest. Line coverage of sync/ and
# pages/ (pytest-cov, combined over the workers) is printed at the end. Our modules are
# compiled first: with PYTHONDONTWRITEBYTECODE set, every `python -m sync` and Streamlit
# process a test starts would compile them again.
PYTEST_OPTS := -n 4 --dist loadgroup --cov --cov-report=term
test: lint
	$(PYTHON) -m compileall -q sync pages
	$(PYTHON) -m pytest -q $(PYTEST_OPTS) $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$rc

# `make demo STORES=3`: three simulated stores in one database, synced side by side.
demo: install
	$(PYTHON) -m sync demo $(if $(STORES),--stores $(STORES))

demo-app: install  # the same, connected as an OAuth app through `connect`
	$(PYTHON) -m sync demo --app

# Sync throughput on SQLite, Postgres and the Supabase REST backend (through the PostgREST
# stand-in) at 30k and 120k sales against fetch-only and the same-output floor (medians of
# 3; benchmarks/same_output.py), kill -9 trials,
# retention of 1M log rows, the health API over 1M log rows, 5 minutes of an idle
# scheduler; the no-change run's whole process (median of 15) and a full import under a
# fixed-window rate limit of 10 requests per 10 s (median of 3, plus a run and a backfill
# at once); the dashboard's queries over a million log rows and fifteen browsers' login
# burst (the suite runs 250,000 rows and seven browsers); 20 stores x 5,000 sales under two
# scheduler processes, one of them killed, and the All-stores reads over 50 stores and 1M log
# rows (benchmarks/stores_bench.py). Large scale: run `benchmarks/bench.py --scales large --skip-exact` (the exact
# check needs ≈ 30 GB there).
bench: install-dev
	$(PYTHON) benchmarks/bench.py --scales 30k,120k --backends sqlite,postgres,supabase-rest --crash-trials 20 $(BENCH_ARGS)
	$(PYTHON) benchmarks/startup_bench.py --backends sqlite,postgres
	$(PYTHON) benchmarks/rate_bench.py --concurrent
	$(PYTHON) benchmarks/retention_bench.py
	$(PYTHON) benchmarks/store_readers_bench.py
	$(PYTHON) benchmarks/api_bench.py
	$(PYTHON) benchmarks/metrics_stores_bench.py
	$(PYTHON) benchmarks/scheduler_idle.py --seconds $(or $(IDLE_SECONDS),300)
	$(PYTHON) benchmarks/soak.py --backends sqlite,postgres --seconds $(or $(SOAK_SECONDS),300)
	$(PYTHON) benchmarks/stores_bench.py
	DASHBOARD_SCALE_ROWS=1000000 $(PYTHON) -m pytest -q -s -p no:cacheprovider tests/integration/test_dashboard_scale.py
	BURST_BROWSERS=15 $(PYTHON) -m pytest -q -p no:cacheprovider tests/e2e/test_login_burst_browser.py

clean:
	rm -rf .demo .pytest_cache .ruff_cache benchmarks/results
