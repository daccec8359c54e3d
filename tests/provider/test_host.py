"""The provider inside the SDK's real dynamic provider host, driven over gRPC."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc

from pulumi_qpu.provider import SessionProvider
from tests.provider.conftest import PLATFORM, stack_config
from tests.support.emulator import RunningEmulator
from tests.support.host import HostCallError, ProviderHost

URN = "urn:pulumi:stack::project::pulumi-python:dynamic/qpu:Session::s"
PROVIDER = serialize_provider(SessionProvider())


def news(**values: Any) -> dict[str, Any]:
    return {
        "__provider": PROVIDER,
        "platform_name": PLATFORM,
        "resource_key": "project/stack/s",
        **values,
    }


def create(
    host: ProviderHost, urn: str = URN, **values: Any
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    checked = host.check(urn, {}, news(**values))
    assert checked.failures == []
    id_, outs = host.create(urn, checked.inputs)
    return id_, outs, checked.inputs


def live(qpu: RunningEmulator) -> list[dict[str, Any]]:
    return [s for s in qpu.sessions() if s["status"] in ("starting", "running")]


def test_host_takes_credentials_from_stack_config_alone(
    qpu: RunningEmulator, tmp_path: Path
) -> None:
    env = {"SCW_CONFIG_PATH": str(tmp_path / "none.yaml")}
    with ProviderHost(env) as host:
        host.configure(stack_config(qpu))
        id_, outs, _ = create(host)
    assert outs["status"] == "running"
    assert [s["id"] for s in live(qpu)] == [id_]


def test_lifecycle_over_grpc(host: ProviderHost, qpu: RunningEmulator) -> None:
    id_, outs, inputs = create(host, name="a", tags=["x"])
    changed = host.check(URN, inputs, news(name="b", tags=["x"])).inputs
    diff = host.diff(id_, URN, outs, changed, old_inputs=inputs)
    # "unknown": the engine diffs the inputs itself, so it learns the changed keys.
    assert (diff.changes, diff.replaces) == ("unknown", [])
    outs = host.update(id_, URN, outs, changed, old_inputs=inputs)
    assert outs["name"] == "b"
    assert host.read(id_, URN, outs).outputs["name"] == "b"
    host.delete(id_, URN, outs)
    assert [s["status"] for s in qpu.sessions()] == ["stopped"]


def test_no_change_diff_over_grpc(host: ProviderHost) -> None:
    id_, outs, inputs = create(host, max_duration="1h")
    again = host.check(URN, inputs, news(max_duration=3600)).inputs
    assert host.diff(id_, URN, outs, again).changes == "none"


def test_outputs_keep_every_field_through_the_wire(host: ProviderHost) -> None:
    _, outs, _ = create(host, name="wire")
    assert outs["waiting_job_count"] == 0
    assert outs["deduplication_id"].startswith("pulumi-qpu-")
    assert outs["__provider"] == PROVIDER


def test_check_failures_travel_with_their_property(host: ProviderHost) -> None:
    result = host.check(URN, {}, news(max_duration="forever", on_delete="boom"))
    assert {prop for prop, _ in result.failures} == {"max_duration", "on_delete"}


def test_check_over_grpc_keeps_preview_unknowns(host: ProviderHost) -> None:
    result = host.check(URN, {}, news(platform_name=rpc.UNKNOWN, name=rpc.UNKNOWN))
    assert result.failures == []
    assert (result.inputs["platform_id"], result.inputs["name"]) == (rpc.UNKNOWN, rpc.UNKNOWN)


def test_diff_over_grpc_with_unknown_name_plans_an_update(host: ProviderHost) -> None:
    id_, outs, inputs = create(host, name="a")
    planned = host.check(URN, inputs, news(name=rpc.UNKNOWN)).inputs
    # "unknown": the engine's own diff of the inputs then sees the computed name.
    assert host.diff(id_, URN, outs, planned).changes == "unknown"


def test_provider_errors_reach_the_engine_and_the_host_survives(
    host: ProviderHost, qpu: RunningEmulator
) -> None:
    _, outs, _ = create(host, name="first")
    other = {**outs, "session_id": "00000000-0000-0000-0000-000000000000"}
    with pytest.raises(HostCallError, match="cannot adopt the session named by session_id"):
        host.create(URN, other)
    assert create(host, urn=URN + "2", resource_key="project/stack/s2")[1]["status"] == "running"


def test_host_runs_four_creates_at_once(host: ProviderHost, qpu: RunningEmulator) -> None:
    ids: list[str] = []
    lock = threading.Lock()

    def one(index: int) -> None:
        id_, _, _ = create(host, urn=f"{URN}{index}", resource_key=f"project/stack/s{index}")
        with lock:
            ids.append(id_)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(set(ids)) == 8
    assert len(live(qpu)) == 8


def test_nothing_secret_in_outputs_provider_or_logs(
    host: ProviderHost, qpu: RunningEmulator
) -> None:
    id_, outs, inputs = create(host, name="quiet")
    host.delete(id_, URN, outs)
    secret = qpu.secret_key
    assert secret not in repr(outs)
    assert secret not in repr(inputs)
    assert secret not in host.logs()
    assert f"session {id_} of s is running" in host.logs()  # the progress lines did arrive


def test_no_input_value_reaches_the_logs(host: ProviderHost, qpu: RunningEmulator) -> None:
    # The engine strips secrets before calling the provider: a secret name arrives plain,
    # so no progress line may print any input value.
    qpu.configure(start_delay=0.5)
    id_, outs, inputs = create(host, name="classified-name", tags=["classified-tag"])
    host.check(URN, inputs, news(name="classified-name", platform_name="EMU-AER-H100"))
    host.diff(id_, URN, outs, inputs)
    host.delete(id_, URN, outs)
    assert "classified" not in host.logs()
