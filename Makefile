# socialmetrics — the commands of the README. Everything installs into .venv; Airflow's home is .airflow/.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export AIRFLOW_HOME ?= $(CURDIR)/.airflow
export AIRFLOW__CORE__DAGS_FOLDER ?= $(CURDIR)/dags
export AIRFLOW__CORE__LOAD_EXAMPLES ?= False
export AIRFLOW__CORE__PARALLELISM ?= 4
export AIRFLOW__API__HOST ?= 127.0.0.1
export AIRFLOW__API__PORT ?= 8080
export AIRFLOW__CORE__DEFAULT_TIMEZONE ?= Europe/Berlin
export SOCIALMETRICS_CONFIG ?= $(CURDIR)/config/socialmetrics.yml
export SOCIALMETRICS_WAREHOUSE ?= $(CURDIR)/data/warehouse.duckdb
# Caches of the report's charts and PDF in the clone, not in your home folder: matplotlib's font
# cache, and Chromium's (dconf) for the commands that render a report (not for the install: uv's
# download cache stays where it is).
export MPLCONFIGDIR ?= $(CURDIR)/.cache/matplotlib
IN_CLONE := XDG_CACHE_HOME=$(CURDIR)/.cache

.PHONY: install airflow-db demo test airflow report dashboard lint docs bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

# uv prints each phase (resolved, prepared = downloaded, installed, bytecode compiled) with its time;
# the per-package "+ name==version" lines are left out.
$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	@echo "Installing the $$(grep -c '^[a-zA-Z]' requirements.lock) pinned packages of requirements.lock into $(VENV)" \
		"(uv; 1-4 min on a busy 2-core machine with a warm download cache, longer on a first download) ..."
	@set -o pipefail; start=$$(date +%s); \
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.8 && \
	$(BIN)/uv pip install --compile-bytecode --python $(BIN)/python -r requirements.lock 2>&1 \
		| grep --line-buffered -v '^ [-+~] ' && \
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e . && \
	echo "Installed in $$(( $$(date +%s) - start )) s."
	@touch $@

install: $(VENV)/.installed  ## create .venv and install the pinned project

$(AIRFLOW_HOME)/.migrated: $(VENV)/.installed
	@mkdir -p $(AIRFLOW_HOME)
	@echo "Creating Airflow's metadata DB in $(AIRFLOW_HOME) (airflow db migrate, SQLite; about 1 min," \
		"log: $(AIRFLOW_HOME)/migrate.log) ..."
	@start=$$(date +%s); \
	$(BIN)/airflow db migrate > $(AIRFLOW_HOME)/migrate.log 2>&1 || (tail -20 $(AIRFLOW_HOME)/migrate.log; exit 1); \
	echo "Migrated in $$(( $$(date +%s) - start )) s; creating the writer pools ..."
	@$(BIN)/python -m socialmetrics.run.airflow_setup
	@touch $@

airflow-db: $(AIRFLOW_HOME)/.migrated

demo: airflow-db  ## set up and run the DAG once on the sandbox company, then summarise
	$(IN_CLONE) $(BIN)/socialmetrics demo

# Three processes (pytest-xdist; the Airflow tests mostly wait on their processes) by default; tests
# that must not run together share an xdist_group (tests/conftest.py). One line per test as it ends
# ([worker] [progress %] PASSED name), the 10 slowest at the end.
TEST_WORKERS ?= 3
test: install  ## run the test suite
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup -v --durations=10 $(PYTEST_ARGS)

airflow: airflow-db  ## Airflow standalone on http://127.0.0.1:8080 (login printed below)
	$(IN_CLONE) $(BIN)/python -m socialmetrics.run.standalone

# The weekly report needs a warehouse: without one, the demo builds it first.
$(SOCIALMETRICS_WAREHOUSE): | airflow-db
	$(IN_CLONE) $(BIN)/socialmetrics demo

report: install $(SOCIALMETRICS_WAREHOUSE)  ## the weekly report (HTML + PDF) of the last complete week, sandbox company
	@echo "Weekly report (other weeks/languages: make report REPORT_ARGS='--week 2026-W46 --language en'):"
	@$(IN_CLONE) $(BIN)/socialmetrics report $(REPORT_ARGS)

dashboard: install  ## the dashboard on http://127.0.0.1:8501 (after make demo; URL and login printed when up)
	@$(IN_CLONE) $(BIN)/python -m socialmetrics.serve.dashboard $(DASHBOARD_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy connectors socialmetrics

docs: install  ## docs/models.md from the models' declarations (the headers of sql/)
	$(BIN)/python -m socialmetrics.transform.runner --docs docs/models.md

bench: install  ## benchmarks: each prints ratios against a baseline measured in the same run
	$(BIN)/python benchmarks/load_throughput.py
	$(BIN)/python benchmarks/incremental_transform.py
	$(BIN)/python benchmarks/readers_copy.py
	$(BIN)/python benchmarks/campaign_simulation.py
	$(BIN)/python benchmarks/alerts.py
	$(BIN)/python benchmarks/x_reads.py
	$(BIN)/python benchmarks/comment_sentiment.py
	$(BIN)/python benchmarks/comment_throughput.py
	$(BIN)/python benchmarks/dashboard.py

clean:
	rm -rf $(VENV) .airflow data .cache .tmp
