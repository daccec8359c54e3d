"""Fixtures of the real-engine suite: the pinned Pulumi CLI, stacks on a file backend.

Without a CLI (and no way to build one) these tests are skipped with the reason, except
when ``CI`` is set: there a missing CLI is a failure, because CI must run them.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.cli import RealEngine, find_cli
from tests.support.emulator import EmulatorFactory, RunningEmulator

# An inline program runs in this process: the SDK's language server gives each of its
# gRPC worker threads an asyncio event loop (pulumi/runtime/sync_await.py) and never
# closes them. Their self-pipes (AF_UNIX sockets) are collected whenever the garbage
# collector runs, and pytest would blame whichever test is running then. Only those two
# are ignored here; any other unclosed resource still fails the test.
_SDK_LOOP_LEAKS = (
    r"ignore:Exception ignored in. <socket\.socket fd=\d+, family=1"
    ":pytest.PytestUnraisableExceptionWarning",
    r"ignore:Exception ignored in. <function BaseEventLoop\.__del__"
    ":pytest.PytestUnraisableExceptionWarning",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Ignore the SDK's unclosed thread loops in the real-engine tests (see above)."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            for leak in _SDK_LOOP_LEAKS:
                item.add_marker(pytest.mark.filterwarnings(leak))


@pytest.fixture(scope="session", autouse=True)
def _collect_sdk_loops() -> Iterator[None]:
    """Collect the SDK's loops during the last test's teardown, where the filter holds.

    Left to the end of the session, pytest would report them outside of any test.
    """
    yield
    gc.collect()


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
