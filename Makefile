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
# Without one, `make e2e` skips the real-engine suite with the reason, unless CI is set.
cli:
	@scripts/pulumi-cli.sh >/dev/null || test -z "$$CI"

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

# The suite on every CPython the machine has (python3.X on PATH, else pyenv's), one venv
# each under .venvs/; the slow reliability tests are left out. A version that is not
# found is reported and skipped; the target fails if any version found fails.
PYTHONS ?= 3.10 3.11 3.12 3.13
.PHONY: test-pythons
test-pythons:
	@failed=""; for v in $(PYTHONS); do \
	  py=""; for c in $$(command -v python$$v) $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$$v.*/bin/python$$v; do \
	    if [ -x "$$c" ] && "$$c" -c 'import sys' >/dev/null 2>&1; then py=$$c; break; fi; \
	  done; \
	  if [ -z "$$py" ]; then echo "== Python $$v: not found, skipped"; continue; fi; \
	  echo "== Python $$v: $$py"; \
	  ( test -x .venvs/$$v/bin/python || $$py -m venv .venvs/$$v ) \
	  && .venvs/$$v/bin/python -m pip install --quiet --upgrade pip \
	  && .venvs/$$v/bin/python -m pip install --quiet -e '.[dev,emulator]' \
	  && .venvs/$$v/bin/python -m pytest -q --ignore=tests/reliability \
	  || failed="$$failed $$v"; \
	done; \
	if [ -n "$$failed" ]; then echo "== failed on:$$failed"; exit 1; fi; echo "== all passed"
