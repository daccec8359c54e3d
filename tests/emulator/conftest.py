"""Fixtures of the emulator tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.emulator.helpers import api
from tests.support.emulator import RunningEmulator


@pytest.fixture
def client(emulator: RunningEmulator) -> Iterator[httpx.Client]:
    """An httpx client on the (reset) shared emulator's API, with the main key."""
    with api(emulator) as session_client:
        yield session_client
