# Every target runs inside the virtualenv at .venv (created on first use).
VENV   := .venv
PYTHON := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt | md5sum | cut -c1-12)

.PHONY: install test lint format demo demo-app bench clean

$(STAMP): requirements.txt
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# pytest exits 5 when it collects nothing: that is a failure here, not a pass.
test: lint
	$(PYTHON) -m pytest -q $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$rc

demo: install
	$(PYTHON) -m sync demo

demo-app: install  # the same, connected as an OAuth app through `connect`
	$(PYTHON) -m sync demo --app

# Sync throughput on SQLite, Postgres and the Supabase REST backend (through the PostgREST
# stand-in) at small and medium scale (add large with BENCH_ARGS="--scales small,medium,large"),
# kill -9 trials, retention of 1M log rows, and 5 minutes of an idle scheduler.
bench: install
	$(PYTHON) benchmarks/bench.py --backends sqlite,postgres,supabase-rest --crash-trials 20 $(BENCH_ARGS)
	$(PYTHON) benchmarks/retention_bench.py
	$(PYTHON) benchmarks/scheduler_idle.py --seconds $(or $(IDLE_SECONDS),300)

clean:
	rm -rf .demo .pytest_cache .ruff_cache benchmarks/results
