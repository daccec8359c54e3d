"""The provider fixtures, to check real provider results against the Session schema."""

from tests.provider.conftest import provider, qpu  # noqa: F401 - shared fixtures
