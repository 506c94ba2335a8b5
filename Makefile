# Proving Ground: `make build` sets everything up and builds the default world;
# `make test` is what CI runs. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCENARIO ?= scenarios/study_assistant.yml
SEED ?= 42
WORKERS ?= 2
USERS ?=
DUCKDB_PATH ?= warehouse.duckdb
# ENGINE=spark: the world as a lake of Parquet files (LAKE) simulated by Spark tasks, and
# the warehouse built by dbt-spark (profiles.yml target spark; SPARK_MASTER, default local[2])
ENGINE ?= duckdb
LAKE ?= target/spark/lake
SPARK_DBT = SPARK_WAREHOUSE=$(CURDIR)/target/spark/warehouse $(BIN)/dbt
SPARK_FLAGS = --target spark --target-path target/spark/dbt --log-path target/spark/logs
TEST_USERS ?= 20000
TEST_DB := target/test_warehouse.duckdb
BENCH_USERS ?= 50000
TEST_WORLDS ?= 1,2,3,4
RANDOM_WORLDS ?= $(shell seq -s, 1 40)
SEEDS ?= 30
CALIBRATION_USERS ?= 50000

PARAMS ?=
WORLD_FLAGS := $(if $(USERS),--users $(USERS),)$(if $(PARAMS), --params $(PARAMS),)
# dbt would make an empty warehouse at a missing path and fail later: say so at once
NEED_WAREHOUSE = @test -f "$(DUCKDB_PATH)" || { echo "error: $(DUCKDB_PATH): no such \
	warehouse (make generate writes one, or set DUCKDB_PATH)" >&2; exit 2; }

.PHONY: help install browser cdnow-log generate dbt-build build docs dashboard deck report validate test lint pytest test-warehouse realism hostile worlds calibrate bench clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*?## "} {printf "  %-16s %s\n", $$1, $$2}'

$(BIN)/activate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/activate

install: $(BIN)/activate ## create .venv and install the pinned dependencies

browser: ## Debian's chromium for the browser tests (apt-get, as root, when it is missing)
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
		>/dev/null; } || { echo "error: the browser tests need Debian's chromium" >&2; exit 1; }

generate: install ## simulate SCENARIO into DUCKDB_PATH (default warehouse.duckdb; USERS=, SEED=, WORKERS=, PARAMS=file.csv; ENGINE=spark: into LAKE)
ifeq ($(ENGINE),spark)
	$(BIN)/python -m generator generate --scenario $(SCENARIO) $(WORLD_FLAGS) \
		--seed $(SEED) --workers $(WORKERS) --lake $(LAKE) --spark "$${SPARK_MASTER:-local[$(WORKERS)]}"
else
	$(BIN)/python -m generator generate --scenario $(SCENARIO) $(WORLD_FLAGS) \
		--seed $(SEED) --workers $(WORKERS) --db $(DUCKDB_PATH)
endif

dbt-build: install ## dbt build (models and every test) on DUCKDB_PATH (ENGINE=spark: on Spark, over LAKE)
ifeq ($(ENGINE),spark)
	@test -d "$(LAKE)/raw" || { echo "error: $(LAKE): no lake (make generate ENGINE=spark writes one)" >&2; exit 2; }
	$(SPARK_DBT) run-operation register_lake $(SPARK_FLAGS) --args '{path: "$(abspath $(LAKE))"}'
	$(SPARK_DBT) build $(SPARK_FLAGS)
else
	$(NEED_WAREHOUSE)
	DUCKDB_PATH=$(DUCKDB_PATH) $(BIN)/dbt build
endif

build: generate dbt-build ## set up, simulate the default world and build the warehouse

validate: install ## Great Expectations on the raw tables of DUCKDB_PATH against SCENARIO (USERS=)
	$(BIN)/python -m generator expect --scenario $(SCENARIO) $(WORLD_FLAGS) --db $(DUCKDB_PATH)

docs: install ## the dbt docs site as one offline page, target/static_index.html (of DUCKDB_PATH)
	$(NEED_WAREHOUSE)
	DUCKDB_PATH=$(DUCKDB_PATH) $(BIN)/dbt docs generate --static

DASHBOARD_PORT ?= 8501
dashboard: install ## serve the dashboard over DUCKDB_PATH on 127.0.0.1:DASHBOARD_PORT (8501), read-only
	$(BIN)/python -m generator dashboard --db $(DUCKDB_PATH) --port $(DASHBOARD_PORT)

deck: install ## the executive deck over the marts of DUCKDB_PATH, target/deck.pptx
	$(BIN)/python -m generator deck --db $(DUCKDB_PATH) --out target/deck.pptx

report: install ## the HTML report over the marts of DUCKDB_PATH, target/report.html
	$(BIN)/python -m generator report --db $(DUCKDB_PATH) --out target/report.html

cdnow-log: install ## target/cdnow.parquet: the CDNOW purchase log (lifetimes package) as a log to fit
	mkdir -p target
	$(BIN)/python -c "from generator.fit.examples import write_cdnow; \
		print(f'wrote target/cdnow.parquet: {write_cdnow(\"target/cdnow.parquet\"):,} purchases')"

lint: install ## ruff and mypy on the generator, sqlfluff (dbt templater, DuckDB) on the SQL
	$(BIN)/ruff check generator tests/python tests/realism
	$(BIN)/ruff format --check generator tests/python tests/realism
	$(BIN)/mypy
	mkdir -p target
	DUCKDB_PATH=target/lint.duckdb $(BIN)/sqlfluff lint --processes 2 models tests analyses
	$(BIN)/sqlfluff lint --templater raw reports

pytest: install ## the generator's and the project's Python tests, random worlds TEST_WORLDS among them
	RANDOM_WORLDS=$(TEST_WORLDS) $(BIN)/pytest -q --durations=15

test-warehouse: install ## a small world (TEST_USERS, default 20000) built with every dbt test
	mkdir -p target
	$(BIN)/python -m generator generate --scenario $(SCENARIO) --users $(TEST_USERS) \
		--seed $(SEED) --workers $(WORKERS) --db $(TEST_DB) --quiet
	$(BIN)/python -m generator expect --scenario $(SCENARIO) --users $(TEST_USERS) --db $(TEST_DB)
	DUCKDB_PATH=$(TEST_DB) $(BIN)/dbt build

test: lint browser pytest test-warehouse realism ## everything CI runs: lint, pytest, a small world with every dbt test, the realism checks

realism: install ## the default world at its size as a blind analyst reads it: no synthetic artifacts
	$(BIN)/pytest -q tests/realism

hostile: install ## the hostile-user checks at full size: 800 fuzzed scenarios and 20 random kills
	FUZZ_EXAMPLES=800 KILLS=20 $(BIN)/pytest -q --hypothesis-show-statistics \
		tests/python/test_hostile_input.py tests/python/test_outputs.py

worlds: install ## random valid worlds (RANDOM_WORLDS, default seeds 1-40) built with every dbt test and reported
	RANDOM_WORLDS=$(RANDOM_WORLDS) $(BIN)/pytest -q -rA \
		tests/python/test_random_worlds.py

calibrate: install ## the recovery tests' statistics over SEEDS worlds (30) of CALIBRATION_USERS (50,000): target/calibration/
	$(BIN)/python -m generator calibrate --scenario $(SCENARIO) --users $(CALIBRATION_USERS) \
		--seeds $(SEEDS) --workers $(WORKERS)

bench: install ## simulator event rows/s against DuckDB making the same rows in SQL; a full dbt run and one after a day appended
	$(BIN)/python -m generator.bench --users $(BENCH_USERS) --workers $(WORKERS) --dbt

clean: ## remove build output (keeps .venv and the warehouse)
	rm -rf target logs .pytest_cache .ruff_cache
