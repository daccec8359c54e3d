"""The reliability suite uses the provider suite's fixtures (tests/provider/conftest.py)."""

# Imported at collection on purpose: hypothesis's pytest plugin otherwise imports it in
# the terminal summary, where pytest's assertion rewriting calls ast.parse; after the
# runs that kill a host mid-call, CPython 3.11.7 was seen failing that with "AST
# constructor recursion depth mismatch", which crashed the session at its very end.
import hypothesis  # noqa: F401

from tests.provider.conftest import host, provider, qpu  # noqa: F401 - shared fixtures
