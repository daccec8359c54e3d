"""Property-based fuzzing of every operation we serve against the *published* contract.

schemathesis reads ``schema/published/qaas-v1alpha1.openapi.yml`` (Scaleway's document,
unchanged), generates requests for the eight operations the emulator serves, valid and
invalid, and checks each reply: no server error, and every documented reply (the
successes: the published document lists no error reply) matching its schema, content
type and headers. Half of the generated ids are swapped for real ones (the tenant's
project, catalogue platforms, live sessions), or random strings would never reach past
``400``/``404`` to the replies that matter. Bounded by ``MAX_EXAMPLES`` per operation
(about 10 s in all on a 2-CPU machine).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import Case, HookContext
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
)

from tests.emulator.helpers import API
from tests.emulator.published import OURS, PUBLISHED, load, operations
from tests.support.emulator import RunningEmulator

MAX_EXAMPLES = 60
"""Examples per operation: enough to meet every reply kind, and the run stays short."""
SESSIONS = 30
"""Live sessions to aim at: DELETE removes some, and the later operations need others."""

# Not status_code_conformance: the published document lists success replies only, so
# every documented error (400, 404, ...) would count as "undocumented"; error bodies are
# checked against our copy of the contract by every other emulator test.
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    response_headers_conformance,
]


def _published() -> Any:
    """The published contract, restricted to the paths we serve."""
    return schemathesis.openapi.from_path(str(PUBLISHED)).include(
        path=sorted({path for _, path in operations(load(OURS))})
    )


SCHEMA = _published()
REAL_IDS: dict[str, list[str]] = {}
"""Ids that exist on the emulator under test, filled by the ``real_ids`` fixture."""

# Values that get a request past validation, so its success reply is checked too.
_VALID = {
    "max_duration": st.sampled_from(["60s", "3600s", "2.5s"]),
    "max_idle_duration": st.sampled_from(["60s", "1800s"]),
    "booking_demand": st.none(),
}


def _with_real_values(values: Any) -> st.SearchStrategy[Any]:
    """Either ``values`` as generated, or with real ids and valid durations swapped in."""
    if not isinstance(values, dict):
        return st.just(values)
    swaps: dict[str, st.SearchStrategy[Any]] = {
        name: st.sampled_from(ids) for name, ids in REAL_IDS.items() if name in values
    }
    swaps |= {name: strategy for name, strategy in _VALID.items() if name in values}
    if not swaps:
        return st.just(values)
    swapped = st.fixed_dictionaries(swaps).map(lambda found: {**values, **found})
    return st.one_of(st.just(values), swapped)


def flatmap_path_parameters(_: HookContext, values: Any) -> st.SearchStrategy[Any]:
    """Real session and platform ids in paths, half the time."""
    return _with_real_values(values)


def flatmap_query(_: HookContext, values: Any) -> st.SearchStrategy[Any]:
    """A real project (and platform) in queries, half the time."""
    return _with_real_values(values)


def flatmap_body(context: HookContext, values: Any) -> st.SearchStrategy[Any]:
    """A real project and platform in a create, half the time; terminate's ``{}`` too."""
    if context.operation is not None and context.operation.path.endswith("/terminate"):
        # The published body is "any object"; the API takes only {} (see the departures).
        return st.one_of(st.just(values), st.just({}))
    return _with_real_values(values)


# schemathesis finds hooks by their function name.
for _hook in (flatmap_path_parameters, flatmap_query, flatmap_body):
    SCHEMA.hook(_hook)


@pytest.fixture(scope="module")
def real_ids(emulator_server: RunningEmulator) -> Iterator[RunningEmulator]:
    """The shared emulator with live sessions, their ids in ``REAL_IDS``."""
    emulator = emulator_server
    emulator.reset()
    emulator.configure(start_delay=0, stop_delay=0)
    # A plain client: the set-up must not judge replies, the fuzzing does.
    with httpx.Client(
        base_url=emulator.url + API, headers={"X-Auth-Token": emulator.secret_key}
    ) as client:
        platforms = [p["id"] for p in client.get("/platforms").json()["platforms"]]
        body = {"project_id": emulator.project_id, "platform_id": platforms[0]}
        sessions = [client.post("/sessions", json=body).json()["id"] for _ in range(SESSIONS)]
    REAL_IDS.update(project_id=[emulator.project_id], platform_id=platforms, session_id=sessions)
    yield emulator
    REAL_IDS.clear()
    emulator.reset()


@pytest.mark.parametrize(
    "label", [operation.ok().label for operation in SCHEMA.get_all_operations()]
)
def test_replies_match_the_published_contract(label: str, real_ids: RunningEmulator) -> None:
    emulator = real_ids
    operation = SCHEMA.find_operation_by_label(label)
    assert operation is not None
    headers = {"X-Auth-Token": emulator.secret_key}

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    @given(case=operation.as_strategy())
    def fuzz(case: Case[Any]) -> None:
        response = case.call(base_url=emulator.url, headers=headers)
        case.validate_response(response, checks=CHECKS)

    fuzz()


def test_the_fuzzed_operations_are_the_ones_we_serve() -> None:
    fuzzed = {operation.ok().label for operation in SCHEMA.get_all_operations()}
    assert fuzzed == {f"{method} {path}" for method, path in operations(load(OURS))}
