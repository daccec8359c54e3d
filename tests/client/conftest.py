"""Fixtures of the client tests: a QaasClient on the shared emulator, fake time.

Retries sleep through :class:`FakeTime`, which records each sleep and moves the
emulator's clock instead of waiting, so tests of backoff, ``Retry-After`` and polling
run in milliseconds and can assert on the sleeps taken.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pulumi_qpu.client import QaasClient
from pulumi_qpu.retry import RetryPolicy
from tests.support.emulator import RunningEmulator

ClientFactory = Callable[..., QaasClient]


class FakeTime:
    """A monotonic clock that only moves when slept on; optionally drives the emulator."""

    def __init__(self, emulator: RunningEmulator | None = None) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.emulator = emulator

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds
        if self.emulator is not None and seconds > 0:
            self.emulator.advance(seconds)


@pytest.fixture
def fake_time(emulator: RunningEmulator) -> FakeTime:
    """Fake time that advances the emulator's clock by every sleep."""
    return FakeTime(emulator)


@pytest.fixture
def make_client(emulator: RunningEmulator, fake_time: FakeTime) -> Iterator[ClientFactory]:
    """Build clients on the emulator (main tenant), closed after the test."""
    made: list[QaasClient] = []

    def factory(**overrides: Any) -> QaasClient:
        options: dict[str, Any] = {
            "secret_key": emulator.secret_key,
            "api_url": emulator.url,
            "default_project_id": emulator.project_id,
            "sleep": fake_time.sleep,
            "clock": fake_time.clock,
        }
        options.update(overrides)
        client = QaasClient(**options)
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: ClientFactory) -> QaasClient:
    """A client with the default retry policy on the emulator, sleeping in fake time."""
    return make_client()


@pytest.fixture
def platform_id(client: QaasClient) -> str:
    """The id of an emulator platform that is always available."""
    return client.find_platform("EMU-AER-16C-128M").id


def many_attempts(attempts: int = 12) -> RetryPolicy:
    """A policy for fault storms: more attempts than the default, same rules."""
    return RetryPolicy(max_attempts=attempts, deadline=3600.0)
