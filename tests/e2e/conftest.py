"""Fixtures of the real-engine suite: the pinned Pulumi CLI, stacks on a file backend.

Without a CLI (and no way to build one) these tests are skipped with the reason, except
when ``CI`` is set: there a missing CLI is a failure, because CI must run them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.cli import RealEngine, find_cli
from tests.support.emulator import EmulatorFactory, RunningEmulator


@pytest.fixture(scope="session")
def cli_dir() -> Path:
    """The directory of the pinned CLI and the dynamic-provider shim."""
    cli = find_cli()
    if cli.bin_dir is None:
        message = f"no Pulumi CLI (scripts/pulumi-cli.sh):\n{cli.reason}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return cli.bin_dir


@pytest.fixture
def qpu(emulator: RunningEmulator) -> RunningEmulator:
    """The shared emulator with short start and stop delays."""
    emulator.configure(start_delay=0.5, stop_delay=0.2)
    return emulator


@pytest.fixture
def engine(
    cli_dir: Path, qpu: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RealEngine]:
    """Stacks run by the real CLI against the emulator; every one destroyed after the test.

    An inline program runs in this process, so the emulator's variables are exported
    here too, as a user's shell would have them (the lookups of a program read them).
    """
    real = RealEngine(find_cli(), qpu, tmp_path)
    for key, value in real.env().items():
        if key.startswith("SCW_"):
            monkeypatch.setenv(key, value)
    yield real
    real.cleanup()


@pytest.fixture
def engine_for(
    cli_dir: Path,
    emulator_factory: EmulatorFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[[RunningEmulator], RealEngine]]:
    """Like ``engine``, on an emulator of the test's own (``emulator_factory``'s): for
    tests that restart it or seed its faults. One engine per test, whose stacks are
    destroyed before the factory stops the emulator (hence the dependency)."""
    made: list[RealEngine] = []

    def make(emulator: RunningEmulator) -> RealEngine:
        assert not made, "one engine per test"
        real = RealEngine(find_cli(), emulator, tmp_path / "engine")
        for key, value in real.env().items():
            if key.startswith("SCW_"):
                monkeypatch.setenv(key, value)
        made.append(real)
        return real

    yield make
    for real in made:
        real.cleanup()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Bound the random walk by its step count: a long soak is no hang."""
    steps = int(config.getoption("--qpu-steps") or 0)
    for item in items:
        if item.name.startswith("test_random_sequences_of_user_steps"):
            item.add_marker(pytest.mark.timeout(max(900, steps * 120)))
