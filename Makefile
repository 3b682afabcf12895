# phaseline. `make install` then `make test`; see README.md.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Where deploy, status and demo connect. Empty: the libpq variables decide (PGHOST, PGPORT, ...).
DATABASE_URL ?=
DB_ARG := $(if $(DATABASE_URL),--db "$(DATABASE_URL)")
SCALE  ?= default

.PHONY: install test deploy render status validate demo bench migrate-legacy clean

install: $(BIN)/.installed

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@

test: install
	$(BIN)/pytest

deploy: install
	$(BIN)/phaseline $(DB_ARG) deploy

render: install
	@$(BIN)/phaseline render

status: install
	$(BIN)/phaseline $(DB_ARG) status

validate: install
	$(BIN)/phaseline $(DB_ARG) validate

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache

# The seed example of DESIGN.md through the API, in a scratch database it (re)creates.
demo: install
	$(BIN)/python -m phaseline.demo $(DB_ARG)

# Benchmarks: ratios against baselines measured in the same run (bench/README.md).
bench: install
	$(BIN)/python bench/run.py --scale $(SCALE) $(DB_ARG)

# Migration from the legacy shapes: make migrate-legacy STEP=expand|backfill|verify|contract
STEP ?= verify
migrate-legacy: install
	$(BIN)/phaseline $(DB_ARG) migrate-legacy $(STEP)
