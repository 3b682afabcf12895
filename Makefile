# phaseline. `make install` then `make test`; see README.md.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Where deploy, status and demo connect. Empty: the libpq variables decide (PGHOST, PGPORT, ...).
DATABASE_URL ?=
DB_ARG := $(if $(DATABASE_URL),--db "$(DATABASE_URL)")
SCALE  ?= default

.PHONY: install server-extensions test lint deploy render status validate demo bench migrate-legacy clean

install: $(BIN)/.installed server-extensions

# What the suite needs on the local server: pgTAP and plpgsql_check (tests),
# periods (one benchmark comparison), for the server's major version. As root
# on Debian or Ubuntu they are installed; otherwise the command is printed.
SERVER_PKGS := pgtap plpgsql-check periods
server-extensions:
	@major=$$(PGHOST=$${PGHOST:-127.0.0.1} PGUSER=$${PGUSER:-postgres} psql -XAtc "SELECT current_setting('server_version_num')::int / 10000" postgres 2>/dev/null); \
	if [ -z "$$major" ]; then echo "install: no PostgreSQL server reachable; skipping pgTAP and plpgsql_check (see README)"; exit 0; fi; \
	missing=""; for p in $(SERVER_PKGS); do dpkg -s "postgresql-$$major-$$p" >/dev/null 2>&1 || missing="$$missing postgresql-$$major-$$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "install: installing$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else echo "install: the server lacks$$missing; as root run: apt-get install$$missing"; fi

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench,lint]'
	touch $@

test: install
	$(BIN)/pytest

# Linters: ruff over the Python, squawk (migration safety) over the rendered
# run-once files and sqlfluff (style) over the rendered repeatable ones; the
# run-once files of release 0.1.0 are frozen and left out (.squawk.toml).
LINT_DIR := .lint
lint: install
	$(BIN)/ruff check harness tests bench
	$(BIN)/ruff format --check harness tests bench
	rm -rf $(LINT_DIR) && $(BIN)/phaseline render --split $(LINT_DIR)
	$(BIN)/squawk --config .squawk.toml $(LINT_DIR)/once/*.sql
	$(BIN)/sqlfluff lint --config .sqlfluff $(LINT_DIR)/repeatable $$(ls $(LINT_DIR)/once/*.sql | grep -v -E '/0[0-7][0-9]_')

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
