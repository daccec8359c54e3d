"""Our copy of the contract departs from the published one only as docs/emulator.md lists.

The list is the table under "Departures from the published contract"; the comparison is
``tests/emulator/published.py``. A departure found and not listed fails, and so does one
listed and no longer found, so the table stays the truth in both directions.
"""

from __future__ import annotations

import copy

from openapi_core import OpenAPI

from pulumi_qpu.emulator.app import EmulatorApp, route_keys
from pulumi_qpu.emulator.service import Emulator, EmulatorOptions, Tenant
from tests.emulator.published import (
    OURS,
    PUBLISHED,
    departures,
    documented_departures,
    load,
    operations,
)


def test_the_published_contract_is_valid_openapi() -> None:
    OpenAPI.from_file_path(str(PUBLISHED))  # raises on an invalid document


def test_every_operation_we_serve_is_in_both_documents() -> None:
    emulator = Emulator(EmulatorOptions(tenants=[Tenant("key", ("project",))]))
    try:
        served = set(route_keys(EmulatorApp(emulator)))
    finally:
        emulator.close()
    ours = {f"{method} {path}" for method, path in operations(load(OURS))}
    published = {f"{method} {path}" for method, path in operations(load(PUBLISHED))}
    assert served == ours
    assert ours <= published


def test_every_departure_from_the_published_contract_is_documented() -> None:
    found = departures(load(PUBLISHED), load(OURS))
    listed = documented_departures()
    assert sorted(found - listed) == [], "departures missing from docs/emulator.md"
    assert sorted(listed - found) == [], "listed in docs/emulator.md but no longer found"


def test_a_nullable_object_the_published_contract_forbids_is_a_departure() -> None:
    # The bug this guards against: booking_requirement was nullable in our copy only.
    ours = copy.deepcopy(load(OURS))
    platform = ours["components"]["schemas"]["Platform"]["properties"]
    platform["booking_requirement"] = {
        "oneOf": [{"$ref": "#/components/schemas/PlatformBookingRequirement"}, {"type": "null"}]
    }
    found = departures(load(PUBLISHED), ours)
    assert ("Platform.booking_requirement", "type object -> null or object") in found
    assert found - documented_departures() == {
        ("Platform.booking_requirement", "type object -> null or object")
    }
