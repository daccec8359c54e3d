"""The reliability suite uses the provider suite's fixtures (tests/provider/conftest.py)."""

from tests.provider.conftest import engine, host, provider, qpu  # noqa: F401 - shared fixtures
