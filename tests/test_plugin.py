"""The plugin's edge: names, the package schema, DiffConfig (the lifecycle is in tests/e2e)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pulumi.runtime import proto, rpc

from pulumi_qpu._version import __version__
from pulumi_qpu.checks import INPUT_KEYS, OUTPUT_KEYS
from pulumi_qpu.package_schema import SESSION_TYPE, camel, package_schema, snake
from pulumi_qpu.plugin import QpuProviderServicer, _inside, _outside, resource_key_of
from pulumi_qpu.provider import CONFIG_KEYS


@pytest.mark.parametrize("key", sorted({*INPUT_KEYS, *OUTPUT_KEYS}))
def test_every_property_name_crosses_the_edge_and_back(key: str) -> None:
    assert snake(camel(key)) == key


def test_the_schema_carries_the_version_and_every_setting() -> None:
    schema = package_schema()
    assert schema["version"] == __version__
    variables = schema["config"]["variables"]
    assert {f"qpu:{name}" for name in variables} == set(CONFIG_KEYS)
    assert variables["secretKey"]["secret"] is True
    session = schema["resources"][SESSION_TYPE]
    assert set(session["inputProperties"]) == {camel(k) for k in INPUT_KEYS} - {"resourceKey"}
    assert "id" not in session["properties"]  # reserved by Pulumi


def test_properties_cross_in_snake_case_with_the_key_of_the_urn() -> None:
    urn = "urn:pulumi:dev::proj::qpu:index:Session::s"
    inside = _inside({"maxDuration": "1h", "bookingDemand": {"startedAt": "x"}}, urn)
    assert inside == {
        "max_duration": "1h",
        "booking_demand": {"started_at": "x"},
        "resource_key": f"organization/{urn}",
    }
    assert resource_key_of(urn) == f"organization/{urn}"
    outside = _outside({"id": "i", "max_duration": "3600s", "booking_demand": {"time_zone": "z"}})
    assert outside == {"maxDuration": "3600s", "bookingDemand": {"timeZone": "z"}}


def _diff_config(olds: dict[str, Any], news: dict[str, Any]) -> Any:
    async def run() -> Any:
        request = proto.DiffRequest(
            olds=await rpc.serialize_properties(olds, {}),
            news=await rpc.serialize_properties(news, {}),
        )
        return await QpuProviderServicer().DiffConfig(request, None)

    return asyncio.run(run())


def test_diff_config_answers_in_the_protocol_enum() -> None:
    # pulumi.provider.experimental (SDK 3.272.0) sent a bool here: an explicit provider
    # then showed an update on every preview (the plugin is built without that layer).
    same = _diff_config({"apiUrl": "u", "version": "1"}, {"apiUrl": "u", "version": "2"})
    assert same.changes == proto.DiffResponse.DIFF_NONE
    changed = _diff_config({"apiUrl": "u"}, {"apiUrl": "v"})
    assert changed.changes == proto.DiffResponse.DIFF_SOME
    assert list(changed.diffs) == ["apiUrl"]
    assert not changed.replaces
