"""The platform catalogue: content, stable ids, filters, paging, ordering, replacement."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from pulumi_qpu.emulator.catalogue import PLATFORM_ID_NAMESPACE
from pulumi_qpu.models import ListPlatformsResponse
from tests.emulator.helpers import api
from tests.support.emulator import EmulatorFactory

NAMES_FROM_THE_NOTES = {
    "EMU-AER-H100",
    "EMU-AER-2L40S",
    "EMU-AER-16C-128M",
    "EMU-QSIM-L40S",
    "EMU-CUDAQ-4H100SXM",
    "EMU-IBEX-12PQ-L4",
    "EMU-SAMPLING-L4",
    "EMU-FRESNEL-100PQ",
    "QPU-GARNET-20PQ",
    "QPU-SIRIUS-24PQ",
    "QPU-EMERALD-54PQ",
    "QPU-ASCELLA-6PQ",
    "QPU-ALTAIR-10PQ",
    "QPU-BELENOS-12PQ",
    "QPU-IBEX-12PQ",
    "QPU-FRESNEL-100PQ-FR",
}


def _platforms(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/platforms", params={"page_size": 100, **params})
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()["platforms"]
    return result


def test_catalogue_holds_the_platforms_named_in_the_notes(client: httpx.Client) -> None:
    reply = client.get("/platforms", params={"page_size": 100}).json()
    parsed = ListPlatformsResponse.model_validate(reply)
    assert {p.name for p in parsed.platforms} == NAMES_FROM_THE_NOTES
    assert parsed.total_count == 16
    assert {p.provider_name for p in parsed.platforms} >= {"quandela", "pasqal", "iqm", "aqt"}


def test_platform_ids_are_uuid5_of_the_name(client: httpx.Client) -> None:
    for platform in _platforms(client):
        assert platform["id"] == str(uuid.uuid5(PLATFORM_ID_NAMESPACE, platform["name"]))


def test_bookable_platforms_carry_booking_requirements(client: httpx.Client) -> None:
    for platform in _platforms(client):
        rules = platform["booking_requirement"]
        assert (rules["max_duration"] is not None) == platform["is_bookable"], platform["name"]


def test_booking_requirement_and_hardware_are_objects_on_every_platform(
    client: httpx.Client,
) -> None:
    # The published contract never lets them be null; scaleway-qaas-client crashes on null.
    for platform in _platforms(client):
        assert isinstance(platform["booking_requirement"], dict), platform["name"]
        assert isinstance(platform["hardware"], dict), platform["name"]
    assert {p["name"] for p in _platforms(client) if p["is_bookable"]} == {
        "QPU-GARNET-20PQ",
        "QPU-EMERALD-54PQ",
        "QPU-BELENOS-12PQ",
        "QPU-FRESNEL-100PQ-FR",
    }


def test_prices_are_money(client: httpx.Client) -> None:
    h100 = _platforms(client, name="EMU-AER-H100")[0]
    assert h100["price_per_hour"] == {"currency_code": "EUR", "units": 3, "nanos": 200_000_000}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"provider_name": "iqm"}, {"QPU-GARNET-20PQ", "QPU-SIRIUS-24PQ", "QPU-EMERALD-54PQ"}),
        ({"backend_name": "fresnel"}, {"EMU-FRESNEL-100PQ", "QPU-FRESNEL-100PQ-FR"}),
        ({"name": "QPU-IBEX-12PQ"}, {"QPU-IBEX-12PQ"}),
        ({"platform_type": "qpu", "platform_technology": "trapped_ion"}, {"QPU-IBEX-12PQ"}),
        (
            {"platform_technology": "neutral_atom", "platform_type": "simulator"},
            {"EMU-FRESNEL-100PQ"},
        ),
        ({"platform_type": "unknown_type", "name": "EMU-AER-H100"}, {"EMU-AER-H100"}),
        ({"name": "NOPE"}, set()),
    ],
)
def test_filters(client: httpx.Client, params: dict[str, str], expected: set[str]) -> None:
    assert {p["name"] for p in _platforms(client, **params)} == expected


def test_unknown_platform_type_is_400(client: httpx.Client) -> None:
    response = client.get("/platforms", params={"platform_type": "quantum"})
    assert response.status_code == 400
    assert response.json()["details"][0]["argument_name"] == "platform_type"


_RANK = {
    "type": ["unknown_type", "simulator", "qpu"],
    "technology": [
        "unknown_technology",
        "photonic",
        "general_purpose",
        "trapped_ion",
        "superconducting",
        "neutral_atom",
    ],
}


@pytest.mark.parametrize(
    "order_by",
    [
        "name_asc",
        "name_desc",
        "provider_name_asc",
        "provider_name_desc",
        "type_asc",
        "type_desc",
        "technology_asc",
        "technology_desc",
        "backend_name_asc",
        "backend_name_desc",
    ],
)
def test_every_order_by(client: httpx.Client, order_by: str) -> None:
    field, direction = order_by.rsplit("_", 1)
    platforms = _platforms(client, order_by=order_by)

    def key(p: dict[str, Any]) -> tuple[Any, str]:
        value = p[field]
        return (_RANK[field].index(value) if field in _RANK else value, p["name"])

    keys = [key(p)[0] for p in platforms]
    assert keys == sorted(keys, reverse=direction == "desc")


def test_default_order_is_name_asc(client: httpx.Client) -> None:
    names = [p["name"] for p in _platforms(client)]
    assert names == sorted(names)


def test_platform_paging(client: httpx.Client) -> None:
    reply = client.get("/platforms", params={"page": 2, "page_size": 5}).json()
    assert reply["total_count"] == 16
    assert [p["name"] for p in reply["platforms"]] == sorted(NAMES_FROM_THE_NOTES)[5:10]
    assert client.get("/platforms", params={"page": 9}).json()["platforms"] == []


def test_get_platform_by_id(client: httpx.Client) -> None:
    listed = _platforms(client, name="QPU-EMERALD-54PQ")[0]
    assert client.get(f"/platforms/{listed['id']}").json() == listed


def test_unknown_platform_is_404(client: httpx.Client) -> None:
    response = client.get("/platforms/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.json()["resource"] == "platform"


def test_platforms_file_replaces_the_catalogue(
    emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    path = tmp_path / "platforms.json"
    path.write_text(
        json.dumps(
            {"platforms": [{"name": "LAB-QPU-1", "type": "qpu", "availability": "available"}]}
        )
    )
    server = emulator_factory(platforms=str(path), start_delay=0)
    with api(server) as client:
        (only,) = _platforms(client)
        assert only["name"] == "LAB-QPU-1"
        assert only["id"] == str(uuid.uuid5(PLATFORM_ID_NAMESPACE, "LAB-QPU-1"))
        created = client.post(
            "/sessions", json={"project_id": server.project_id, "platform_id": only["id"]}
        )
    assert created.json()["status"] == "running"


def test_a_platform_file_without_objects_is_served_without_null(
    emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    path = tmp_path / "platforms.json"
    entry = {"name": "LAB-QPU-2", "booking_requirement": None, "price_per_hour": None}
    path.write_text(json.dumps([entry]))
    server = emulator_factory(platforms=str(path))
    with api(server) as client:
        (listed,) = _platforms(client)
        got = client.get(f"/platforms/{listed['id']}").json()
    for platform in (listed, got):
        assert platform["booking_requirement"]["max_booking_per_day"] == 0
        assert platform["hardware"]["vcpus"] == 0
        # No price is known: left out, not null, and not a made-up free price.
        assert "price_per_hour" not in platform
