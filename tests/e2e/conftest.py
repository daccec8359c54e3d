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
from tests.support.front_door import DOORS, FrontDoor


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


@pytest.fixture(params=sorted(DOORS))
def front_door(request: pytest.FixtureRequest) -> FrontDoor:
    """The door a test's Sessions go through: the test runs once per door.

    The engines of a test that takes it (``engine``, ``engine_for``) load the plugin and
    name the door in every stack's config; programs declare Sessions with
    :func:`tests.support.front_door.session`.
    """
    return DOORS[request.param]


def _door_of(request: pytest.FixtureRequest) -> FrontDoor | None:
    if "front_door" not in request.fixturenames:
        return None
    door: FrontDoor = request.getfixturevalue("front_door")
    return door


def _new_engine(
    request: pytest.FixtureRequest,
    emulator: RunningEmulator,
    work: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> RealEngine:
    """An engine on ``emulator`` through the test's door, its variables exported here.

    An inline program runs in this process, so the emulator's variables are exported
    here too, as a user's shell would have them (the lookups of a program read them).
    """
    real = RealEngine(find_cli(), emulator, work)
    door = _door_of(request)
    if door is not None:
        door.prepare(real, work / "plugins")
    for key, value in real.env().items():
        if key.startswith("SCW_"):
            monkeypatch.setenv(key, value)
    return real


@pytest.fixture
def engine(
    request: pytest.FixtureRequest,
    cli_dir: Path,
    qpu: RunningEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[RealEngine]:
    """Stacks run by the real CLI against the emulator; every one destroyed after the test."""
    real = _new_engine(request, qpu, tmp_path, monkeypatch)
    yield real
    real.cleanup()


@pytest.fixture
def engine_for(
    request: pytest.FixtureRequest,
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
        real = _new_engine(request, emulator, tmp_path / "engine", monkeypatch)
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
