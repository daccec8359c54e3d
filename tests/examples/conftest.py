"""The examples run under the mock engine on the real provider host (tests/support)."""

from tests.provider.conftest import engine, host, qpu  # noqa: F401 - shared fixtures
