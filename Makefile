# Two commands do everything on a fresh machine with Python 3.10+:
#   make demo   a real Meltano pipeline against the local Braze emulator
#   make test   the whole suite (PostgreSQL, CSV and JSONL end to end included)
PYTHON ?= python3
VENV ?= .venv
MELTANO_VENV ?= .venv-meltano
PIP_FLAGS ?= --quiet --disable-pip-version-check
BIN := $(VENV)/bin

.PHONY: demo test lint bench docs clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_FLAGS) --upgrade pip
	$(BIN)/python -m pip install $(PIP_FLAGS) -e '.[test]'
	touch $@

# Meltano lives in its own environment, as its docs recommend; it installs the tap and
# the targets in environments of their own under .meltano/.
$(MELTANO_VENV)/.installed: requirements-meltano.txt
	$(PYTHON) -m venv $(MELTANO_VENV)
	$(MELTANO_VENV)/bin/python -m pip install $(PIP_FLAGS) --upgrade pip
	$(MELTANO_VENV)/bin/python -m pip install $(PIP_FLAGS) -r requirements-meltano.txt
	touch $@

demo: $(VENV)/.installed $(MELTANO_VENV)/.installed
	$(BIN)/python -m scripts.demo --meltano $(MELTANO_VENV)/bin/meltano

test: $(VENV)/.installed $(MELTANO_VENV)/.installed lint
	MELTANO_BIN=$(abspath $(MELTANO_VENV)/bin/meltano) $(BIN)/python -m pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(VENV)/.installed
	$(BIN)/python -m bench.run

# The README's settings table is generated from the code: `make docs` rewrites it, and a
# test fails when it has drifted.
docs: $(VENV)/.installed
	$(BIN)/python -m scripts.readme_settings --write

clean:
	rm -rf $(VENV) $(MELTANO_VENV) .meltano output .demo .bench
