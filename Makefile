# phaseline. `make install` then `make test`; see README.md.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Where deploy, status and demo connect. Empty: the libpq variables decide (PGHOST, PGPORT, ...).
DATABASE_URL ?=
DB_ARG := $(if $(DATABASE_URL),--db "$(DATABASE_URL)")
SCALE  ?= default

.PHONY: install test deploy render status validate demo bench clean

install: $(BIN)/.installed

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
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
