"""Which session each create gets, with the SDK's real host driven in the engine's order.

Each test plays one row of docs/provider.md's identity table: the calls the engine makes
(pkg/resource/deploy/step_generator.go, v3.274.1) in their order, then the sessions on
the emulator: exactly one live per resource at the end, and which one.

* A Diff that replaces is followed by a second Check **with no olds**; the replacement
  is created from that. Create-before-delete unless delete-before-replace.
* ``pulumi up --replace`` and taint: Check with no olds, **no Diff**, Create, Delete.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pulumi.dynamic.dynamic import serialize_provider

from pulumi_qpu.identity import derived_deduplication_id, is_creating_tag
from pulumi_qpu.provider import SessionProvider
from tests.provider.conftest import OTHER_PLATFORM, PLATFORM, host_env
from tests.support.emulator import RunningEmulator
from tests.support.host import HostCallError, ProviderHost, killed_midway

URN = "urn:pulumi:stack::project::pulumi-python:dynamic/qpu:Session::s"
KEY = "organization/project/stack/s"
PROVIDER = serialize_provider(SessionProvider())
BOOKABLE = "QPU-GARNET-20PQ"

Made = tuple[str, dict[str, Any], dict[str, Any]]
"""A resource in state: id, outputs, inputs."""


def news(**values: Any) -> dict[str, Any]:
    """The program's declaration of Session "s", as the engine sends it."""
    return {"__provider": PROVIDER, "platform_name": PLATFORM, "resource_key": KEY, **values}


def check(host: ProviderHost, olds: dict[str, Any], declared: dict[str, Any]) -> dict[str, Any]:
    result = host.check(URN, olds, declared)
    assert result.failures == []
    return result.inputs


def new_resource(host: ProviderHost, declared: dict[str, Any]) -> Made:
    """A resource the state does not hold: Check with no olds, Create."""
    inputs = check(host, {}, declared)
    id_, outs = host.create(URN, inputs)
    return id_, outs, inputs


def replace_by_diff(host: ProviderHost, old: Made, declared: dict[str, Any]) -> Made:
    """An up whose Diff replaces: Check with olds, Diff, Check with no olds, Create."""
    old_id, old_outs, old_inputs = old
    first = check(host, old_inputs, declared)
    diff = host.diff(old_id, URN, old_outs, first, old_inputs=old_inputs)
    assert diff.replaces, diff
    return new_resource(host, declared)


def live(qpu: RunningEmulator) -> list[str]:
    return [s["id"] for s in qpu.sessions() if s["status"] in ("starting", "running")]


def session(qpu: RunningEmulator, session_id: str) -> dict[str, Any]:
    return next(s for s in qpu.sessions() if s["id"] == session_id)


@pytest.fixture
def fresh_host(qpu: RunningEmulator, tmp_path: Path) -> Iterator[ProviderHost]:
    """A second host, as the next ``pulumi up`` starts one."""
    with ProviderHost(host_env(qpu, tmp_path)) as running:
        running.configure({})
        yield running


def killed_after_post(host: ProviderHost, qpu: RunningEmulator, inputs: dict[str, Any]) -> None:
    """Create, with the host SIGKILLed as soon as the API holds one session more."""
    before = len(qpu.sessions())
    killed_midway(
        host,
        lambda: len(qpu.sessions()) > before,
        lambda: host.create(URN, inputs),
        "Create failed",
        HostCallError,
    )


def assert_created_before_delete(
    host: ProviderHost, qpu: RunningEmulator, old: Made, new_id: str
) -> None:
    """Both run until the engine deletes the old one; then only the new one runs."""
    assert new_id != old[0]
    assert sorted(live(qpu)) == sorted([old[0], new_id])
    host.delete(old[0], URN, old[1])
    assert live(qpu) == [new_id]


# --- replacement -------------------------------------------------------------------


def test_replacement_by_an_input_change_keeps_the_old_session_until_its_delete(
    host: ProviderHost, qpu: RunningEmulator
) -> None:
    old = new_resource(host, news())
    new_id, _, _ = replace_by_diff(host, old, news(platform_name=OTHER_PLATFORM))
    assert_created_before_delete(host, qpu, old, new_id)


def test_targeted_replace_makes_another_session_and_keeps_the_old_until_its_delete(
    host: ProviderHost, qpu: RunningEmulator
) -> None:
    # `pulumi up --replace` or taint: the same declaration, Check with no olds, no Diff.
    old = new_resource(host, news())
    new_id, _, _ = new_resource(host, news())
    assert_created_before_delete(host, qpu, old, new_id)


def test_a_second_targeted_replace_walks_past_both_earlier_sessions(
    host: ProviderHost, qpu: RunningEmulator
) -> None:
    # Two --replace runs whose deletes both failed: three sessions, none ended by create.
    first = new_resource(host, news())
    second = new_resource(host, news())
    third = new_resource(host, news())
    assert len({first[0], second[0], third[0]}) == 3
    assert sorted(live(qpu)) == sorted([first[0], second[0], third[0]])


def test_replacement_of_a_session_that_ended_by_itself_reuses_the_root_id(
    host: ProviderHost, qpu: RunningEmulator
) -> None:
    old = new_resource(host, news(max_idle_duration="60s"))
    qpu.advance(61)  # idle time ran out
    assert live(qpu) == []
    new_id, outs, _ = replace_by_diff(host, old, news(max_idle_duration="60s"))
    host.delete(old[0], URN, old[1])
    assert live(qpu) == [new_id]
    assert outs["deduplication_id"] == derived_deduplication_id(KEY)


def test_booking_demand_change_books_another_session(
    host: ProviderHost, qpu: RunningEmulator
) -> None:
    now = datetime.fromisoformat(qpu.state()["now"].replace("Z", "+00:00")).replace(microsecond=0)

    def booking(days: int) -> dict[str, str]:
        start = now + timedelta(days=days)
        return {
            "started_at": start.isoformat(),
            "finished_at": (start + timedelta(hours=1)).isoformat(),
        }

    old = new_resource(host, news(platform_name=BOOKABLE, booking_demand=booking(2)))
    new_id, outs, _ = replace_by_diff(
        host, old, news(platform_name=BOOKABLE, booking_demand=booking(3))
    )
    assert new_id != old[0]
    assert outs["booking_id"] != old[1]["booking_id"]
    host.delete(old[0], URN, old[1])
    assert live(qpu) == [new_id]


def test_given_deduplication_id_is_replaced_by_ending_the_old_session_first(
    host: ProviderHost, qpu: RunningEmulator
) -> None:
    # Session sets delete_before_replace for a given id: Delete, then Check, Create.
    old = new_resource(host, news(deduplication_id="team"))
    host.delete(old[0], URN, old[1])
    new_id, _, _ = new_resource(host, news(deduplication_id="team"))
    assert new_id != old[0]
    assert live(qpu) == [new_id]


# --- interrupted runs ----------------------------------------------------------------


def test_interrupted_create_run_again_gets_back_its_one_session_without_the_creating_tag(
    host: ProviderHost, fresh_host: ProviderHost, qpu: RunningEmulator
) -> None:
    qpu.configure(start_delay=1000)
    killed_after_post(host, qpu, check(host, {}, news(tags=["mine"])))
    qpu.advance(1000)  # the session made before the kill reaches running
    id_, outs, _ = new_resource(fresh_host, news(tags=["mine"]))
    assert live(qpu) == [id_]
    assert session(qpu, id_)["tags"] == outs["tags"] == ["mine"]


def test_interrupted_replacement_run_again_gets_back_the_session_it_made(
    host: ProviderHost, fresh_host: ProviderHost, qpu: RunningEmulator
) -> None:
    old = new_resource(host, news())
    qpu.configure(start_delay=1000)
    changed = news(platform_name=OTHER_PLATFORM)
    old_id, old_outs, old_inputs = old
    first = check(host, old_inputs, changed)
    assert host.diff(old_id, URN, old_outs, first, old_inputs=old_inputs).replaces
    killed_after_post(host, qpu, check(host, {}, changed))
    made = [s["id"] for s in qpu.sessions() if s["id"] != old_id]
    qpu.advance(1000)
    # The state still holds the old session only: the engine replays the whole row.
    new_id, _, _ = replace_by_diff(fresh_host, old, changed)
    assert [new_id] == made
    fresh_host.delete(old_id, URN, old_outs)
    assert live(qpu) == [new_id]
    assert not any(is_creating_tag(t) for t in session(qpu, new_id)["tags"])


def test_leftover_of_an_interrupted_create_for_other_settings_is_terminated(
    host: ProviderHost, fresh_host: ProviderHost, qpu: RunningEmulator
) -> None:
    qpu.configure(start_delay=1000)
    killed_after_post(host, qpu, check(host, {}, news()))
    leftover = qpu.sessions()[0]["id"]
    qpu.configure(start_delay=0.3)
    # The user changed the platform before running up again.
    id_, _, _ = new_resource(fresh_host, news(platform_name=OTHER_PLATFORM))
    assert live(qpu) == [id_]
    assert session(qpu, leftover)["status"] in ("stopping", "stopped")


# --- no-op up and refresh ----------------------------------------------------------------


def test_no_op_up_checks_to_exactly_the_stored_inputs_and_diffs_to_none(
    host: ProviderHost,
) -> None:
    id_, outs, inputs = new_resource(host, news(name="n", tags=["t"], max_duration="1h"))
    again = check(host, inputs, news(name="n", tags=["t"], max_duration=3600))
    assert again == inputs
    assert host.diff(id_, URN, outs, again, old_inputs=inputs).changes == "none"


@pytest.mark.parametrize(
    "declared",
    [{}, {"name": "n", "tags": ["t"], "max_idle_duration": "1h"}, {"deduplication_id": "team"}],
    ids=["minimal", "fields", "given-id"],
)
def test_refresh_of_a_healthy_session_returns_the_stored_inputs_and_no_change(
    host: ProviderHost, declared: dict[str, Any]
) -> None:
    id_, outs, inputs = new_resource(host, news(**declared))
    read = host.read(id_, URN, outs, inputs=inputs)
    assert read.inputs == inputs
    # Refresh diffs the refreshed state against the stored inputs (step.go, RefreshStep).
    assert host.diff(id_, URN, read.outputs, inputs, old_inputs=read.inputs).changes == "none"


def test_refresh_shows_a_session_renamed_by_hand(host: ProviderHost, qpu: RunningEmulator) -> None:
    id_, outs, inputs = new_resource(host, news(name="n"))
    qpu.admin.patch(f"/qaas/v1alpha1/sessions/{id_}", json={"name": "renamed"})
    read = host.read(id_, URN, outs, inputs=inputs)
    assert read.inputs is not None
    assert read.inputs["name"] == "renamed"
    assert host.diff(id_, URN, read.outputs, inputs, old_inputs=read.inputs).has_changes


def test_refresh_shows_a_session_ended_by_hand_as_a_replacement(
    host: ProviderHost, qpu: RunningEmulator
) -> None:
    id_, outs, inputs = new_resource(host, news())
    qpu.admin.post(f"/qaas/v1alpha1/sessions/{id_}/terminate", json={})
    read = host.read(id_, URN, outs, inputs=inputs)
    assert host.diff(id_, URN, read.outputs, inputs).replaces == ["status"]
