"""Shared fixtures: the QaaS emulator over real HTTP on loopback.

* ``emulator_server`` (session scope): one emulator process for the whole run.
* ``emulator`` (function scope): that process, reset before the test (no session, no
  fault, zero counters, start-up delays), so tests stay independent and fast.
* ``emulator_factory``: a dedicated process with options
  (``emulator_factory(state_file=path, time_scale=60)``), stopped after the test.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

# Creates renew their creating tag every 0.5 s and other runs hold them dead after 1.5 s
# unchanged (pulumi_qpu/identity.py), so that taking back a leftover costs tests seconds,
# not the 30 s of the default. Set before pulumi_qpu is imported (read at import); the
# real CLI's provider hosts get it through RealEngine.env.
HEARTBEAT_SECONDS = "0.5"
os.environ["PULUMI_QPU_HEARTBEAT_SECONDS"] = HEARTBEAT_SECONDS

from pulumi_qpu.emulator.statefile import STATE_FILE_ENV  # noqa: E402
from tests.support.emulator import EmulatorFactory, RunningEmulator, start_emulator  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _own_emulator_state_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Point the emulator's default state file into the run's temporary folder.

    The fixtures run it --ephemeral anyway; this keeps a test that starts a plain
    `qpu-emulator` (as a user would) off the user's own file and its lock.
    """
    saved = os.environ.get(STATE_FILE_ENV)
    os.environ[STATE_FILE_ENV] = str(tmp_path_factory.mktemp("emulator-state") / "emulator.db")
    yield
    if saved is None:
        os.environ.pop(STATE_FILE_ENV, None)
    else:
        os.environ[STATE_FILE_ENV] = saved


@pytest.fixture(scope="session", autouse=True)
def _event_loop() -> None:
    """The SDK's event loop (programs under set_mocks), made once for the whole run."""
    # The SDK finds its loop with asyncio.get_event_loop(), which on Python >= 3.12 warns
    # (an error under filterwarnings) when it has to create one: so create it here.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # One executor for the whole run: the SDK's mock monitor gives each thread of the
    # loop's default executor an event loop of its own, left unclosed (a ResourceWarning,
    # an error here) when an executor that ran work is replaced and its threads end.
    # Neither is ever closed: the threads' loops must outlive the test session's
    # unraisable-exception checks, and the process ends right after them.
    loop.set_default_executor(ThreadPoolExecutor(thread_name_prefix="pulumi-sdk"))


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[RunningEmulator]:
    """One emulator process shared by the whole test run."""
    with start_emulator() as server:
        yield server


@pytest.fixture
def emulator(emulator_server: RunningEmulator) -> RunningEmulator:
    """The shared emulator, reset to a clean state for this test."""
    emulator_server.reset()
    return emulator_server


@pytest.fixture
def emulator_factory() -> Iterator[EmulatorFactory]:
    """Start dedicated emulators with options; all are stopped after the test."""
    started: list[RunningEmulator] = []

    def factory(**options: Any) -> RunningEmulator:
        server = start_emulator(**options)
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Options of the random walk (tests/e2e/test_random_walk.py); ``make soak`` sets them."""
    group = parser.getgroup("qpu-walk", "the random walk through a user's steps (real CLI)")
    group.addoption(
        "--qpu-seed",
        default=os.environ.get("QPU_WALK_SEED", ""),
        help="seed of the walk (env QPU_WALK_SEED; 'random' draws one; default: the fixed one)",
    )
    group.addoption(
        "--qpu-steps",
        type=int,
        default=int(os.environ.get("QPU_WALK_STEPS", "0") or 0),
        help="steps of the walk (env QPU_WALK_STEPS; default: the bounded run's)",
    )
    group.addoption(
        "--qpu-scope",
        choices=["passing", "all"],
        default=os.environ.get("QPU_WALK_SCOPE", "") or "passing",
        help="'passing': leave out what waits for a known defect (make test); 'all': everything",
    )
