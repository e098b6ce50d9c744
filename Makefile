# The README's commands. Each target sets up what it needs: `make run` and `make test` work
# on a fresh clone.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
CHANNEL_DB ?= data/channel.duckdb
export CHANNEL_DB

.PHONY: run test lint format demo bench fuzz load import-bench backtest clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

## run: open the dashboard on $(CHANNEL_DB), building the demo database first if it is missing
run: $(VENV)/.runtime
	@test -f "$(CHANNEL_DB)" || $(BIN)/python -m channel demo --db "$(CHANNEL_DB)"
	$(BIN)/streamlit run serve.py

## demo: rebuild the demo database (2,000 partners, 12 quarters)
demo: $(VENV)/.runtime
	$(BIN)/python -m channel demo --db "$(CHANNEL_DB)"

## test: lint, then every test (browser tests skip without Chromium, except in CI)
test: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## bench: performance table at 2,000 and 100,000 partners (bench/README.md); BENCH_ARGS=--with-million
bench: $(VENV)/.dev
	$(BIN)/python -m bench.run $(BENCH_ARGS)

## fuzz: the loader property test with 3,000 corrupted folders (make test runs 300), and the
## import's with 2,000 random mappings (make test runs 80)
fuzz: $(VENV)/.dev
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests/test_loader_fuzz.py --hypothesis-show-statistics
	IMPORT_FUZZ_EXAMPLES=2000 $(BIN)/python -m pytest tests/test_ingest_property.py --hypothesis-show-statistics

## backtest: the miss forecast scored on the last 6 held-out quarters of $(CHANNEL_DB) against baselines
backtest: $(VENV)/.runtime
	@test -f "$(CHANNEL_DB)" || $(BIN)/python -m channel demo --db "$(CHANNEL_DB)"
	$(BIN)/python -m channel backtest --db "$(CHANNEL_DB)" $(BACKTEST_ARGS)

## import-bench: time and peak memory of `python -m channel import` on 250,000- and 1,000,000-row CSV exports
import-bench: $(VENV)/.dev
	$(BIN)/python -m bench.crm_import $(IMPORT_BENCH_ARGS)

## load: 10 headless Chromium sessions browse every page for 5 minutes at 100,000 partners (bench/README.md); LOAD_ARGS="--seconds 60"
load: $(VENV)/.dev
	$(BIN)/python -m bench.load --sessions 10 --seconds 300 --max-navigations 300 $(LOAD_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
