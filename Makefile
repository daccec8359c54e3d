# One entry point for every job. `make test` and `make demo` build .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv cli lint typecheck test unit e2e bench demo emulator schema clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,emulator]'
	@touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

schema: $(STAMP)
	$(BIN)/python -m pulumi_qpu.resource_schema

# The pinned Pulumi CLI and the dynamic-provider shim (built once per machine, then cached).
cli:
	@scripts/pulumi-cli.sh >/dev/null

unit: $(STAMP)
	$(BIN)/python -m pytest -q --ignore=tests/e2e

# The real-engine suite: the pinned CLI against the emulator (a CLI is required when CI is set).
e2e: $(STAMP) cli
	$(BIN)/python -m pytest -q tests/e2e

test: lint typecheck unit e2e

emulator: $(STAMP)
	$(BIN)/qpu-emulator

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis

# Every benchmarks/bench_*.py prints its figures and writes benchmarks/results/<name>.md.
bench: $(STAMP)
	@set -e; for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f; done

# The main job: examples/basic with the Pulumi CLI against the bundled emulator.
demo: $(STAMP)
	$(BIN)/python scripts/demo.py
