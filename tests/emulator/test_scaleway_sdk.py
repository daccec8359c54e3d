"""The official Scaleway SDK, unchanged, against the emulator through SCW_* variables.

This is the compatibility promise of the emulator: whatever the SDK sends, the emulator
understands, and whatever the emulator answers, the SDK parses.
"""

from __future__ import annotations

import pytest

from tests.support.emulator import RunningEmulator

scaleway = pytest.importorskip("scaleway")


@pytest.fixture
def sdk(emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> object:
    from scaleway import Client
    from scaleway.qaas.v1alpha1 import QaasV1Alpha1API

    for name in ("SCW_PROFILE", "SCW_ACCESS_KEY", "SCW_DEFAULT_ORGANIZATION_ID"):
        monkeypatch.delenv(name, raising=False)
    # No config file: the SDK reads only the environment the emulator printed.
    monkeypatch.setenv("SCW_CONFIG_PATH", "/nonexistent/scw/config.yaml")
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    emulator.configure(start_delay=0.2, stop_delay=0.2)
    return QaasV1Alpha1API(Client.from_env())


def test_sdk_lists_and_gets_platforms(sdk: object) -> None:
    from scaleway.qaas.v1alpha1 import QaasV1Alpha1API

    assert isinstance(sdk, QaasV1Alpha1API)
    platforms = sdk.list_platforms_all(page_size=5)
    assert len(platforms) == 16
    names = {platform.name for platform in platforms}
    assert {"EMU-AER-H100", "QPU-GARNET-20PQ"} <= names
    one = sdk.get_platform(platform_id=platforms[0].id)
    assert one.name == platforms[0].name
    assert sdk.list_platforms(name="QPU-GARNET-20PQ").platforms[0].is_bookable is True


def test_sdk_runs_a_session_through_its_whole_life(sdk: object, emulator: RunningEmulator) -> None:
    from scaleway.qaas.v1alpha1 import QaasV1Alpha1API
    from scaleway_core.utils import WaitForOptions

    assert isinstance(sdk, QaasV1Alpha1API)
    platform = sdk.list_platforms(name="EMU-AER-16C-128M").platforms[0]
    created = sdk.create_session(
        platform_id=platform.id,
        name="sdk-session",
        max_duration="3600s",
        max_idle_duration="600s",
        tags=["sdk", "compat"],
        deduplication_id="sdk-dedup",
    )
    assert created.status == "starting"
    assert created.project_id == emulator.project_id

    waited = sdk.wait_for_session(
        session_id=created.id, options=WaitForOptions(min_delay=1, max_delay=1, timeout=30)
    )
    assert waited.status == "running"
    assert waited.started_at is not None

    assert sdk.get_session(session_id=created.id).name == "sdk-session"
    assert [s.id for s in sdk.list_sessions_all(tags=["sdk"])] == [created.id]
    assert sdk.list_sessions(page=1, page_size=10).total_count == 1

    updated = sdk.update_session(session_id=created.id, name="renamed", tags=["x"])
    assert (updated.name, updated.tags) == ("renamed", ["x"])

    again = sdk.create_session(platform_id=platform.id, deduplication_id="sdk-dedup")
    assert again.id == created.id

    terminated = sdk.terminate_session(session_id=created.id)
    assert terminated.status in ("stopping", "stopped")
    stopped = sdk.wait_for_session(
        session_id=created.id, options=WaitForOptions(min_delay=1, max_delay=1, timeout=30)
    )
    assert stopped.status == "stopped"
    assert stopped.terminated_at is not None

    sdk.delete_session(session_id=created.id)
    with pytest.raises(scaleway.ScalewayException) as info:
        sdk.get_session(session_id=created.id)
    assert info.value.status_code == 404
