# One entry point for every job. `make test` and `make demo` build .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv cli toolchain languages lint typecheck test unit e2e soak bench demo emulator schema sdk clean

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
	$(BIN)/python -m pulumi_qpu.spec

# The SDKs committed under sdk/ (python, nodejs, go), generated from the package schema with
# the package's version (scripts/gen-sdk.sh; tests/test_sdks.py fails when they are stale).
# Never edit them by hand: change pulumi_qpu/spec.py or package_schema.py and run this.
SDK_VERSION ?= $(shell sed -n 's/^version = "\(.*\)"$$/\1/p' pyproject.toml)
sdk: schema
	scripts/gen-sdk.sh schema/pulumi-package.json sdk $(SDK_VERSION)

# The pinned Pulumi CLI and the dynamic-provider shim (built once per machine, then cached).
# Without one, `make e2e` skips the real-engine suite with the reason, unless CI is set.
cli:
	@scripts/pulumi-cli.sh >/dev/null || test -z "$$CI"

# Programs in other languages: the YAML language host beside the pinned CLI, the SDK
# generator, and the Python, TypeScript and Go SDKs generated from SDK_SCHEMA, each built as
# its users would (scripts/check-sdks.sh), then a YAML project run with the CLI
# (scripts/check-yaml.sh). Built once per machine, then cached (CONTRIBUTING.md, "The
# toolchain for other languages"); the SDKs are written to build/sdk.
SDK_SCHEMA ?= tools/gen-sdk/testdata/sample.schema.json
toolchain: cli
	scripts/pulumi-yaml.sh >/dev/null
	scripts/gen-sdk.sh $(SDK_SCHEMA) build/sdk $(SDK_VERSION)
	scripts/check-sdks.sh build/sdk
	scripts/check-yaml.sh

unit: $(STAMP)
	$(BIN)/python -m pytest -q --ignore=tests/e2e

# The examples in other languages (tests/e2e/test_languages.py): the YAML language host beside
# the CLI, the npm packages, examples/typescript on sdk/nodejs and examples/go on sdk/go, into
# build/ (fetched and built once per machine, then cached; seconds after that). Without
# them those tests are skipped, unless CI is set.
languages: cli
	@scripts/pulumi-yaml.sh >/dev/null && scripts/typescript-example.sh >/dev/null \
	  && scripts/go-example.sh >/dev/null || test -z "$$CI"

# The real-engine suite: the pinned CLI against the emulator (a CLI is required when CI is set).
e2e: $(STAMP) cli languages
	$(BIN)/python -m pytest -q tests/e2e

# The random walk through a user's steps (tests/e2e/test_random_walk.py), long: every step
# kind, those waiting for a known defect included (SCOPE=passing leaves them out). Each
# finding is recorded, the walk starts afresh and goes on; a seed replays a walk exactly.
# SEED=random draws one (printed); REPORT=file appends one JSON line per walk;
# KINDS=up,kill-up,... takes only those step kinds.
SEED ?= random
STEPS ?= 200
SCOPE ?= all
REPORT ?=
KINDS ?=
DOOR ?=
soak: $(STAMP) cli
	QPU_WALK_SEED=$(SEED) QPU_WALK_STEPS=$(STEPS) QPU_WALK_SCOPE=$(SCOPE) QPU_WALK_KEEP_GOING=1 \
	  QPU_WALK_REPORT=$(REPORT) QPU_WALK_KINDS=$(KINDS) \
	  $(BIN)/python -m pytest -q -s tests/e2e/test_random_walk.py $(if $(DOOR),-k $(DOOR))

# Then the suite on every other CPython the machine has (the package claims 3.10 to 3.13).
test: lint typecheck unit e2e
	@main=$$($(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	$(MAKE) --no-print-directory test-pythons \
	  PYTHONS="$$(for v in $(PYTHONS); do [ "$$v" = "$$main" ] || printf '%s ' "$$v"; done)"

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
# each under .venvs/. Left out by default: the slow reliability tests, and the tests that
# drive the real Pulumi CLI (tests/e2e, minutes per version; the CLI, not Python, is what
# they test): TEST_PYTHONS_ARGS= runs everything. A version that is not found is
# reported and skipped; the target fails if any version found fails.
PYTHONS ?= 3.10 3.11 3.12 3.13
TEST_PYTHONS_ARGS ?= --ignore=tests/reliability --ignore=tests/e2e
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
	  && .venvs/$$v/bin/python -m pytest -q $(TEST_PYTHONS_ARGS) \
	  || failed="$$failed $$v"; \
	done; \
	if [ -n "$$failed" ]; then echo "== failed on:$$failed"; exit 1; fi; echo "== all passed"

# The minimum pulumi SDK and CLI (pyproject.toml's `pulumi>=`, scripts/pulumi-cli.sh's
# MINIMUM_VERSION), checked: the real-engine suite with both, the SDK in .venvs/floor, the
# CLI built into its own cache (.../pulumi-qpu/cli/v$(FLOOR_CLI)). Not in `make test`: a
# cold build of that CLI takes minutes. FLOOR_SDK=... FLOOR_CLI=... try other versions.
# The CLI minimum is v3.181.0, but that tag does not build from the Go module proxy
# (pkg/v3 v3.181.0 uses apitype.TemplateMetadata, absent from sdk/v3 v3.181.0): v3.182.0
# is the oldest checked.
FLOOR_SDK ?= 3.260.0
FLOOR_CLI ?= 3.182.0
.PHONY: test-floor
test-floor:
	test -x .venvs/floor/bin/python || $(PYTHON) -m venv .venvs/floor
	.venvs/floor/bin/python -m pip install --quiet --upgrade pip
	.venvs/floor/bin/python -m pip install --quiet -e '.[dev,emulator]' 'pulumi==$(FLOOR_SDK)'
	@cli="$$(PULUMI_QPU_CLI_VERSION=$(FLOOR_CLI) scripts/pulumi-cli.sh)" \
	  && test "$$("$$cli/pulumi" version)" = "v$(FLOOR_CLI)" \
	  && echo "== pulumi SDK $$(.venvs/floor/bin/python -c 'import importlib.metadata as m; print(m.version("pulumi"))'), CLI $$("$$cli/pulumi" version)" \
	  && PULUMI_QPU_CLI="$$cli/pulumi" .venvs/floor/bin/python -m pytest -q tests/e2e
