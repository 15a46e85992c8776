# Two commands do everything on a fresh machine with Python 3.10+:
#   make demo   a real Meltano pipeline against the local Braze emulator
#   make test   the whole suite (PostgreSQL, CSV and JSONL end to end included)
#   make unit   the fast tests alone (tests/unit: pure logic, no server), in seconds
# And for maintainers:
#   make lint   ruff, mypy --strict, the workflow audit, generated files up to date
#   make docs   regenerate what is generated from the code (settings table, plugin files)
#   make dist   build, check and smoke-test the sdist and the wheel
#   make bench  the benchmark (docs/benchmarks.md)
PYTHON ?= python3
VENV ?= .venv
MELTANO_VENV ?= .venv-meltano
PIP_FLAGS ?= --quiet --disable-pip-version-check
BIN := $(VENV)/bin

.PHONY: demo test unit lint bench docs dist clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_FLAGS) --upgrade pip
	$(BIN)/python -m pip install $(PIP_FLAGS) -e '.[dev]'
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

# Two workers, one per core: most tests wait on a tap subprocess or a server. A file's
# tests run on one worker (--dist loadfile): the pipeline tests share one Meltano
# project and one PostgreSQL server, so they must not run two at a time.
PYTEST_WORKERS ?= 2
# Azurite, the Azure Blob Storage emulator the Currents tests read az:// from (npm).
AZURITE := tests/azurite/node_modules/.bin/azurite-blob
$(AZURITE): tests/azurite/package.json tests/azurite/package-lock.json
	npm ci --prefix tests/azurite --no-audit --no-fund --loglevel=error
	touch $@

test: $(VENV)/.installed $(MELTANO_VENV)/.installed $(AZURITE) lint
	MELTANO_BIN=$(abspath $(MELTANO_VENV)/bin/meltano) $(BIN)/python -m pytest \
		-n $(PYTEST_WORKERS) --dist loadfile

unit: $(VENV)/.installed
	$(BIN)/python -m pytest -m unit tests/unit

# .pre-commit-config.yaml runs the same checks before each commit.
lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict tap_braze_dau braze_emulator tests scripts bench
	$(BIN)/zizmor --offline .github
	$(BIN)/python -m scripts.generated --check

bench: $(VENV)/.installed
	$(BIN)/python -m bench.run

# The README's settings table, tap-braze-dau.yml and meltano.yml's extractor are
# generated from `tap-braze-dau --about`: `make docs` rewrites them, and lint (and a
# test) fails when one has drifted.
docs: $(VENV)/.installed
	$(BIN)/python -m scripts.generated --write

dist: $(VENV)/.installed
	$(BIN)/python -m scripts.check_dist

clean:
	rm -rf $(VENV) $(MELTANO_VENV) .meltano output .demo .bench dist build tests/azurite/node_modules
