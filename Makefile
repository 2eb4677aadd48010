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

.PHONY: install airflow-db demo test airflow report lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.8
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

install: $(VENV)/.installed  ## create .venv and install the pinned project

$(AIRFLOW_HOME)/.migrated: $(VENV)/.installed
	mkdir -p $(AIRFLOW_HOME)
	$(BIN)/airflow db migrate > $(AIRFLOW_HOME)/migrate.log 2>&1 || (tail -20 $(AIRFLOW_HOME)/migrate.log; exit 1)
	$(BIN)/airflow pools set duckdb 1 "DuckDB has one writer process: every task writing the warehouse" > /dev/null
	touch $@

airflow-db: $(AIRFLOW_HOME)/.migrated

demo: airflow-db  ## set up and run the DAG once on the sandbox company, then summarise
	$(BIN)/socialmetrics demo

test: install  ## run the test suite
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

airflow: airflow-db  ## Airflow standalone on http://127.0.0.1:8080 (login printed below)
	$(BIN)/python -m socialmetrics.standalone

# The weekly report needs a warehouse: without one, the demo builds it first.
$(SOCIALMETRICS_WAREHOUSE): | airflow-db
	$(BIN)/socialmetrics demo

report: install $(SOCIALMETRICS_WAREHOUSE)  ## the weekly report (HTML + PDF) of the last complete week, sandbox company
	@echo "Weekly report (other weeks/languages: make report REPORT_ARGS='--week 2026-W46 --language en'):"
	@$(BIN)/socialmetrics report $(REPORT_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy connectors socialmetrics

bench: install  ## benchmarks: each prints ratios against a baseline measured in the same run
	$(BIN)/python benchmarks/load_throughput.py
	$(BIN)/python benchmarks/incremental_transform.py
	$(BIN)/python benchmarks/campaign_simulation.py
	$(BIN)/python benchmarks/x_reads.py
	$(BIN)/python benchmarks/comment_sentiment.py
	$(BIN)/python benchmarks/comment_throughput.py

clean:
	rm -rf $(VENV) .airflow data
