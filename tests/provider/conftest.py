"""Fixtures for the Session provider tests, at two levels.

* ``provider``: a fresh :class:`SessionProvider` configured like the host configures it,
  with the emulator's credentials in stack config.
* ``host``: the SDK's real dynamic provider host over gRPC (tests/support/host.py), with
  the emulator's ``SCW_*`` environment and no scw config file.

Start-up and stop delays are shortened (emulated seconds at time scale 1), so a create
that waits for ``running`` takes a fraction of a second.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from pulumi_qpu.provider import SessionProvider
from tests.support.emulator import RunningEmulator
from tests.support.host import ProviderHost

START_DELAY = 0.3
STOP_DELAY = 0.1
PLATFORM = "EMU-AER-16C-128M"
OTHER_PLATFORM = "EMU-AER-H100"


def stack_config(emulator: RunningEmulator) -> dict[str, str]:
    """The stack config a user would set for this emulator."""
    return {
        "qpu:secretKey": emulator.secret_key,
        "qpu:apiUrl": emulator.url,
        "qpu:projectId": emulator.project_id,
    }


def host_env(emulator: RunningEmulator, tmp_path: Path) -> dict[str, str]:
    """The emulator's SCW_* environment; the scw config file points nowhere."""
    return {**emulator.env(), "SCW_CONFIG_PATH": str(tmp_path / "no-scw-config.yaml")}


@pytest.fixture
def qpu(emulator: RunningEmulator) -> RunningEmulator:
    """The shared emulator, reset, with short start and stop delays."""
    emulator.configure(start_delay=START_DELAY, stop_delay=STOP_DELAY)
    return emulator


@pytest.fixture
def provider(
    qpu: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SessionProvider]:
    """A provider configured from stack config, as the host would configure it."""
    for name in ("SCW_SECRET_KEY", "SCW_DEFAULT_PROJECT_ID", "SCW_API_URL", "SCW_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SCW_CONFIG_PATH", str(tmp_path / "no-scw-config.yaml"))
    instance = SessionProvider()
    instance.configure(ConfigureRequest(Config(stack_config(qpu), "project")))
    yield instance
    instance.close()


@pytest.fixture
def host(qpu: RunningEmulator, tmp_path: Path) -> Iterator[ProviderHost]:
    """The real dynamic provider host with the emulator's environment, configured empty."""
    with ProviderHost(host_env(qpu, tmp_path)) as running:
        running.configure({})
        yield running
