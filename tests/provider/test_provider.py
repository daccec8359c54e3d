"""SessionProvider called directly, against the emulator: one behaviour per test."""

from __future__ import annotations

import base64
import json
import pickle
import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.output import UNKNOWN
from pulumi.runtime import rpc

from pulumi_qpu.errors import QpuError
from pulumi_qpu.identity import CREATING_TAG, MAX_STEPS, adopted_tag, new_run, obtain_session
from pulumi_qpu.models import Session as WireSession
from pulumi_qpu.provider import (
    INPUT_KEYS,
    OUTPUT_KEYS,
    SessionProvider,
    derived_deduplication_id,
)
from tests.provider.conftest import OTHER_PLATFORM, PLATFORM, stack_config
from tests.support.emulator import RunningEmulator

POST = "POST /qaas/v1alpha1/sessions"
Made = tuple[str, dict[str, Any], dict[str, Any]]
"""A session made for a test: its id, outputs and checked inputs."""
PATCH = "PATCH /qaas/v1alpha1/sessions/{session_id}"

MODEL = "7e2a9c1d-1111-4222-8333-444455556666"  # a model id (a UUID)


def checked(
    provider: SessionProvider, olds: dict[str, Any] | None = None, **news: Any
) -> dict[str, Any]:
    """Run check and insist it passes."""
    news.setdefault("platform_name", PLATFORM)
    news.setdefault("resource_key", "project/stack/s")
    result = provider.check(olds or {}, news)
    assert [(f.property, f.reason) for f in result.failures] == []
    return result.inputs


def failures(provider: SessionProvider, **news: Any) -> dict[str, str]:
    result = provider.check({}, news)
    return {f.property: f.reason for f in result.failures}


def live(qpu: RunningEmulator) -> list[dict[str, Any]]:
    return [s for s in qpu.sessions() if s["status"] in ("starting", "running")]


def _session(qpu: RunningEmulator, session_id: str) -> dict[str, Any]:
    """The session as the API shows it now."""
    return next(s for s in qpu.sessions() if s["id"] == session_id)


# --- check ------------------------------------------------------------------------


def test_check_writes_durations_canonically(provider: SessionProvider) -> None:
    inputs = checked(provider, max_idle_duration="1h", max_duration=5400)
    assert (inputs["max_idle_duration"], inputs["max_duration"]) == ("3600s", "5400s")


def test_check_writes_parameters_as_canonical_json(provider: SessionProvider) -> None:
    as_dict = checked(provider, parameters={"b": 1, "a": [1, 2]})["parameters"]
    as_text = checked(provider, parameters='{ "a": [1, 2], "b": 1 }')["parameters"]
    assert as_dict == as_text == '{"a":[1,2],"b":1}'


def test_check_turns_the_engines_whole_number_floats_back_into_integers(
    provider: SessionProvider,
) -> None:
    # What a dict of ints becomes through the engine (every number a float64).
    through_engine = checked(provider, parameters={"b": 1.0, "a": [1.0, 2.5], "n": -3.0})
    as_text = checked(provider, parameters='{"n": -3, "a": [1, 2.5], "b": 1}')
    assert through_engine["parameters"] == as_text["parameters"] == '{"a":[1,2.5],"b":1,"n":-3}'


def test_check_keeps_a_large_integer_given_as_json_text_exactly(
    provider: SessionProvider,
) -> None:
    inputs = checked(provider, parameters='{"seed": 12345678901234567}')
    assert inputs["parameters"] == '{"seed":12345678901234567}'


def test_check_resolves_platform_name_to_its_id(
    provider: SessionProvider, qpu: RunningEmulator
) -> None:
    platforms = qpu.admin.get("/qaas/v1alpha1/platforms", params={"name": OTHER_PLATFORM}).json()
    inputs = checked(provider, platform_name=OTHER_PLATFORM)
    assert inputs["platform_id"] == platforms["platforms"][0]["id"]


def test_check_fills_project_and_settings_defaults(
    provider: SessionProvider, qpu: RunningEmulator
) -> None:
    inputs = checked(provider)
    assert inputs["project_id"] == qpu.project_id
    assert inputs["wait_for_running"] is True
    assert inputs["on_delete"] == "terminate"
    assert (inputs["create_timeout"], inputs["delete_timeout"]) == ("600s", "600s")


def test_check_suggests_close_names_for_an_unknown_platform(provider: SessionProvider) -> None:
    reason = failures(provider, platform_name="EMU-AER-16C-12")["platform_name"]
    assert "EMU-AER-16C-128M" in reason


@pytest.mark.parametrize(
    ("news", "prop"),
    [
        ({"max_duration": "soon"}, "max_duration"),
        ({"max_idle_duration": -5}, "max_idle_duration"),
        ({"project_id": "not-a-uuid"}, "project_id"),
        ({"tags": "a,b"}, "tags"),
        ({"tags": ["ok", ""]}, "tags"),
        ({"parameters": "{not json"}, "parameters"),
        ({"on_delete": "explode"}, "on_delete"),
        ({"wait_for_running": "yes"}, "wait_for_running"),
        ({"create_timeout": "0s"}, "create_timeout"),
        ({"deduplication_id": "x" * 129}, "deduplication_id"),
        ({"booking_demand": {"started_at": "tomorrow"}}, "booking_demand"),
        ({"name": "n" * 256}, "name"),
        ({"name": ""}, "name"),
        ({"colour": "blue"}, "colour"),
        ({"platform_id": "p", "platform_name": PLATFORM}, "platform_name"),
    ],
)
def test_check_names_the_property_to_fix(
    provider: SessionProvider, news: dict[str, Any], prop: str
) -> None:
    news = {"platform_name": PLATFORM, **news} if "platform_id" not in news else news
    assert prop in failures(provider, **news)


def test_check_without_platform_says_how_to_set_one(provider: SessionProvider) -> None:
    assert "platform_name" in failures(provider)["platform_id"]


def test_a_bad_duration_names_the_property_once(provider: SessionProvider) -> None:
    reason = failures(provider, platform_name=PLATFORM, max_duration="1 hour")["max_duration"]
    # The engine prints "property max_duration ... has a problem: <reason>": the reason
    # itself must not start with the name again.
    assert reason.startswith("invalid duration: it is not a duration this parser knows")


def test_a_malformed_session_id_fails_at_check(provider: SessionProvider) -> None:
    reason = failures(provider, platform_name=PLATFORM, session_id="x")["session_id"]
    assert reason.startswith("session_id must be the UUID of an existing session, like ")


def test_check_changes_nothing_remotely(provider: SessionProvider, qpu: RunningEmulator) -> None:
    failures(provider, platform_name=PLATFORM, max_duration="soon", tags=[""])
    checked(provider)
    counters = qpu.counters()
    assert [route for route in counters if not route.startswith("GET")] == []


def test_check_passes_unknowns_through(provider: SessionProvider) -> None:
    result = provider.check(
        {},
        {
            "platform_name": UNKNOWN,
            "max_duration": rpc.UNKNOWN,
            "tags": ["a", UNKNOWN],
            "parameters": UNKNOWN,
        },
    )
    assert result.failures == []
    assert result.inputs["platform_id"] == rpc.UNKNOWN
    assert result.inputs["max_duration"] == rpc.UNKNOWN


def test_check_rejects_a_container_holding_an_unknown_where_a_string_belongs(
    provider: SessionProvider,
) -> None:
    # The unknown inside cannot make a dict a string: preview must fail, not up.
    result = provider.check(
        {},
        {
            "platform_name": PLATFORM,
            "name": {"a": UNKNOWN},
            "deduplication_id": [UNKNOWN],
        },
    )
    reasons = {f.property: f.reason for f in result.failures}
    assert reasons["name"] == "name must be a string, not dict"
    assert reasons["deduplication_id"] == "deduplication_id must be a non-empty string"


def test_check_of_an_unchanged_declaration_returns_exactly_the_stored_inputs(
    provider: SessionProvider,
) -> None:
    stored = checked(provider, name="s", tags=["a"], max_duration="1h")
    again = checked(provider, olds=stored, name="s", tags=["a"], max_duration=3600)
    assert again == stored


def test_check_refuses_the_reserved_creating_tag(provider: SessionProvider) -> None:
    reason = failures(provider, platform_name=PLATFORM, tags=[f"{CREATING_TAG}:x"])["tags"]
    assert "reserved" in reason


def test_check_takes_at_most_49_tags_and_says_why(provider: SessionProvider) -> None:
    checked(provider, tags=[f"t{i}" for i in range(49)])
    reason = failures(provider, platform_name=PLATFORM, tags=[f"t{i}" for i in range(50)])["tags"]
    assert "at most 49" in reason
    assert "50" in reason


# --- create -----------------------------------------------------------------------


def test_create_waits_for_running(provider: SessionProvider) -> None:
    result = provider.create(checked(provider, name="first"))
    assert result.outs is not None
    assert result.outs["status"] == "running"


def test_create_returns_complete_json_safe_outputs(provider: SessionProvider) -> None:
    outs = provider.create(checked(provider, name="x", tags=["t"])).outs
    assert outs is not None
    assert json.loads(json.dumps(outs)) == outs
    always_set = set(OUTPUT_KEYS) - {
        "terminated_at",
        "booking_id",
        "model_id",
        "parameters",
        "origin_id",
    }
    assert always_set <= set(outs)


def test_create_without_waiting_returns_a_starting_session(
    provider: SessionProvider, qpu: RunningEmulator
) -> None:
    qpu.configure(start_delay=1000)
    outs = provider.create(checked(provider, wait_for_running=False)).outs
    assert outs is not None
    assert outs["status"] == "starting"


def _leftover(provider: SessionProvider, inputs: dict[str, Any]) -> WireSession:
    """What a create killed after its POST leaves: a session with the creating tag."""
    request = {**provider._request(inputs), "tags": inputs.get("tags")}
    return obtain_session(provider._client(), request, inputs, lambda _: None, run=new_run())


def test_create_adopts_the_session_an_interrupted_create_left(
    provider: SessionProvider, qpu: RunningEmulator
) -> None:
    inputs = checked(provider, tags=["mine"])
    leftover = _leftover(provider, inputs)
    result = provider.create(inputs)
    assert result.id == leftover.id
    assert [s["id"] for s in live(qpu)] == [leftover.id]
    assert _session(qpu, leftover.id)["tags"] == ["mine"]


def test_a_session_no_longer_carries_the_creating_tag_once_create_returns(
    provider: SessionProvider, qpu: RunningEmulator
) -> None:
    qpu.configure(start_delay=1000)
    result = provider.create(checked(provider, wait_for_running=False))
    assert _session(qpu, result.id)["tags"] == []


def test_a_second_create_for_the_same_resource_never_gets_back_the_first(
    provider: SessionProvider, qpu: RunningEmulator
) -> None:
    # The first create returned, so a state may point to its session: never taken again.
    first = provider.create(checked(provider))
    second = provider.create(checked(provider))
    assert second.id != first.id
    assert len(live(qpu)) == 2


def test_create_that_times_out_terminates_its_session(
    provider: SessionProvider, qpu: RunningEmulator
) -> None:
    qpu.configure(start_delay=1000)
    with pytest.raises(QpuError, match="terminated so that nothing is left running"):
        provider.create(checked(provider, create_timeout="0.5s"))
    assert live(qpu) == []


def test_create_with_a_shared_deduplication_id_joins_the_live_session(
    provider: SessionProvider, qpu: RunningEmulator
) -> None:
    # Two stacks, so two provider hosts: one provider instance each.
    other_stack = SessionProvider()
    other_stack.configure(ConfigureRequest(Config(stack_config(qpu), "project")))
    one = provider.create(checked(provider, deduplication_id="team", resource_key="p/s/one"))
    two = other_stack.create(
        checked(other_stack, deduplication_id="team", resource_key="p/other/one")
    )
    other_stack.close()
    assert one.id == two.id
    assert len(live(qpu)) == 1


def test_check_refuses_a_deduplication_id_another_resource_of_the_deployment_gives(
    provider: SessionProvider,
) -> None:
    checked(provider, deduplication_id="team", resource_key="org/p/s/first")
    reason = failures(
        provider, platform_name=PLATFORM, deduplication_id="team", resource_key="org/p/s/second"
    )["deduplication_id"]
    assert reason.startswith("Session 'first' of this stack gives the same deduplication_id")
    assert "give the same id in each stack" in reason
    # The same resource checked again (preview then up, a replacement's second check).
    checked(provider, deduplication_id="team", resource_key="org/p/s/first")


def test_create_refuses_a_shared_id_held_on_another_platform(
    provider: SessionProvider, qpu: RunningEmulator
) -> None:
    provider.create(checked(provider, deduplication_id="team"))
    with pytest.raises(QpuError, match="the given deduplication_id is held by live session"):
        provider.create(checked(provider, deduplication_id="team", platform_name=OTHER_PLATFORM))
    assert len(live(qpu)) == 1


def test_create_terminates_a_leftover_made_for_other_inputs(
    provider: SessionProvider, qpu: RunningEmulator
) -> None:
    # An interrupted create on one platform, then the user changed the platform.
    leftover = _leftover(provider, checked(provider))
    fresh = provider.create(checked(provider, platform_name=OTHER_PLATFORM))
    assert [s["id"] for s in live(qpu)] == [fresh.id]
    assert fresh.id != leftover.id


def test_create_with_a_booking_returns_once_accepted(
    provider: SessionProvider, qpu: RunningEmulator
) -> None:
    now = datetime.fromisoformat(qpu.state()["now"].replace("Z", "+00:00"))
    start = (now + timedelta(days=2)).replace(microsecond=0)
    outs = provider.create(
        checked(
            provider,
            platform_name="QPU-GARNET-20PQ",
            booking_demand={
                "started_at": start.isoformat(),
                "finished_at": (start + timedelta(hours=1)).isoformat(),
            },
        )
    ).outs
    assert outs is not None
    assert (outs["status"], bool(outs["booking_id"])) == ("starting", True)


# --- adoption ---------------------------------------------------------------------


def _foreign_session(qpu: RunningEmulator, platform: str = PLATFORM) -> dict[str, Any]:
    platforms = qpu.admin.get("/qaas/v1alpha1/platforms", params={"name": platform}).json()
    response = qpu.admin.post(
        "/qaas/v1alpha1/sessions",
        json={
            "project_id": qpu.project_id,
            "platform_id": platforms["platforms"][0]["id"],
            "name": "made-elsewhere",
        },
    )
    response.raise_for_status()
    session: dict[str, Any] = response.json()
    return session


def test_adoption_takes_over_the_session_and_applies_the_declaration(
    provider: SessionProvider, qpu: RunningEmulator
) -> None:
    existing = _foreign_session(qpu)
    result = provider.create(checked(provider, session_id=existing["id"], name="mine"))
    assert result.id == existing["id"]
    assert result.outs is not None
    assert result.outs["name"] == "mine"
    assert qpu.counters().get(POST, 0) == 1  # only the foreign create


def test_adoption_tags_the_session_and_hides_the_tag(
    provider: SessionProvider, qpu: RunningEmulator
) -> None:
    existing = _foreign_session(qpu)
    inputs = checked(provider, session_id=existing["id"], tags=["mine"])
    result = provider.create(inputs)
    assert result.outs is not None
    assert result.outs["tags"] == ["mine"]
    assert _session(qpu, existing["id"])["tags"] == ["mine", adopted_tag(inputs)]
    # An update of the tags keeps the adoption tag.
    news = checked(provider, olds=inputs, session_id=existing["id"], tags=["other"])
    updated = provider.update(result.id, result.outs, news)
    assert updated.outs is not None
    assert updated.outs["tags"] == ["other"]
    assert _session(qpu, existing["id"])["tags"] == ["other", adopted_tag(inputs)]


def test_a_create_that_finds_its_own_adoption_tag_makes_a_fresh_session(
    provider: SessionProvider, qpu: RunningEmulator
) -> None:
    existing = _foreign_session(qpu)
    inputs = checked(provider, session_id=existing["id"])
    assert provider.create(inputs).id == existing["id"]
    # What the engine does for `up --replace`: Check without olds, then Create.
    again = provider.create(checked(provider, session_id=existing["id"]))
    assert again.id != existing["id"]
    assert again.outs is not None
    assert again.outs["session_id"] == existing["id"]  # the declared value, for diff
    assert _session(qpu, again.id)["deduplication_id"].startswith("pulumi-qpu-")


@pytest.mark.parametrize(
    ("platform", "inputs", "reason"),
    [
        (OTHER_PLATFORM, {}, f"runs on platform {OTHER_PLATFORM}, not on the declared platform"),
        (PLATFORM, {"parameters": {"a": 1}}, "has another parameters than the declaration"),
        (PLATFORM, {"model_id": MODEL}, "has another model_id than the declaration"),
    ],
    ids=["platform", "parameters", "model_id"],
)
def test_adoption_of_a_session_that_does_not_match_fails_at_check(
    provider: SessionProvider,
    qpu: RunningEmulator,
    platform: str,
    inputs: dict[str, Any],
    reason: str,
) -> None:
    existing = _foreign_session(qpu, platform)
    found = failures(
        provider,
        platform_name=PLATFORM,
        resource_key="project/stack/s",
        session_id=existing["id"],
        **inputs,
    )
    assert reason in found["session_id"]
    assert existing["id"] not in found["session_id"]  # an input value is never quoted


def test_adoption_of_an_ended_session_fails_at_check(
    provider: SessionProvider, qpu: RunningEmulator
) -> None:
    existing = _foreign_session(qpu)
    qpu.admin.post(f"/qaas/v1alpha1/sessions/{existing['id']}/terminate", json={})
    found = failures(
        provider, platform_name=PLATFORM, resource_key="project/stack/s", session_id=existing["id"]
    )
    assert "cannot run again (remove session_id" in found["session_id"]


def test_check_does_not_read_a_session_the_olds_already_adopted(
    provider: SessionProvider, qpu: RunningEmulator
) -> None:
    existing = _foreign_session(qpu)
    inputs = checked(provider, session_id=existing["id"])
    qpu.reset_counters()
    checked(provider, olds=inputs, session_id=existing["id"])
    assert qpu.counters().get("GET /qaas/v1alpha1/sessions/{session_id}", 0) == 0


# --- diff -------------------------------------------------------------------------


@pytest.fixture
def made(provider: SessionProvider) -> Made:
    inputs = checked(provider, name="s", max_idle_duration="3600s", tags=["a"])
    result = provider.create(inputs)
    assert result.outs is not None
    return result.id, result.outs, inputs


def test_diff_ignores_a_change_of_spelling(provider: SessionProvider, made: Made) -> None:
    id_, outs, inputs = made
    news = checked(provider, olds=inputs, name="s", max_idle_duration="1h", tags=["a"])
    assert provider.diff(id_, outs, news).changes is False


def test_diff_keeps_a_session_whose_state_holds_parameters_written_as_floats(
    provider: SessionProvider, made: Made
) -> None:
    # States written before parameters kept their integers hold {"b":1.0}: the same
    # declaration as {"b": 1}, which must not replace a running session.
    id_, outs, inputs = made
    news = checked(provider, olds=inputs, name="s", tags=["a"], parameters={"b": 1})
    assert provider.diff(id_, {**outs, "parameters": '{"b":1}'}, news).replaces == []
    assert provider.diff(id_, {**outs, "parameters": '{"b":1.0}'}, news).replaces == []
    assert provider.diff(id_, {**outs, "parameters": '{"b":1.5}'}, news).replaces == ["parameters"]


@pytest.mark.parametrize(
    "change", [{"name": "t"}, {"tags": ["b"]}, {"max_duration": "2h"}, {"max_idle_duration": 60}]
)
def test_diff_updates_mutable_fields_in_place(
    provider: SessionProvider,
    made: Made,
    change: dict[str, Any],
) -> None:
    id_, outs, inputs = made
    result = provider.diff(id_, outs, checked(provider, olds=inputs, **change))
    # "Unknown": the engine diffs the inputs itself and so learns the changed keys.
    assert (result.changes, result.replaces) == (None, [])


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"platform_name": OTHER_PLATFORM}, "platform_id"),
        ({"parameters": {"shots": 1}}, "parameters"),
        ({"model_id": MODEL}, "model_id"),
        ({"deduplication_id": "shared"}, "deduplication_id"),
    ],
)
def test_diff_replaces_what_the_api_cannot_change(
    provider: SessionProvider,
    made: Made,
    change: dict[str, Any],
    key: str,
) -> None:
    id_, outs, inputs = made
    result = provider.diff(id_, outs, checked(provider, olds=inputs, **change))
    assert result.replaces == [key]


def test_diff_replaces_a_session_that_stopped_by_itself(
    provider: SessionProvider,
    qpu: RunningEmulator,
    made: Made,
) -> None:
    id_, outs, inputs = made
    qpu.advance(3601)  # past max_idle_duration
    result = provider.diff(id_, outs, checked(provider, olds=inputs, name="s"))
    assert result.replaces == ["status"]


def test_diff_replaces_a_session_deleted_behind_its_back(
    provider: SessionProvider,
    qpu: RunningEmulator,
    made: Made,
) -> None:
    id_, outs, inputs = made
    qpu.admin.delete(f"/qaas/v1alpha1/sessions/{id_}")
    assert provider.diff(id_, outs, checked(provider, olds=inputs)).replaces == ["status"]


def test_diff_asks_to_end_a_shared_session_before_recreating_it(
    provider: SessionProvider,
) -> None:
    inputs = checked(provider, deduplication_id="team")
    created = provider.create(inputs)
    assert created.outs is not None
    news = checked(provider, olds=inputs, deduplication_id="team", model_id=MODEL)
    assert provider.diff(created.id, created.outs, news).delete_before_replace is True


def test_diff_plans_an_unknown_replacing_value_as_a_replacement(
    provider: SessionProvider, made: Made
) -> None:
    id_, outs, inputs = made
    result = provider.diff(id_, outs, {**inputs, "platform_id": UNKNOWN})
    assert result.replaces == ["platform_id"]


# --- read, update, delete ---------------------------------------------------------


def test_read_reports_changes_made_outside(
    provider: SessionProvider,
    qpu: RunningEmulator,
    made: Made,
) -> None:
    id_, outs, _ = made
    qpu.admin.patch(f"/qaas/v1alpha1/sessions/{id_}", json={"name": "renamed"})
    result = provider.read(id_, outs)
    assert result.outs is not None
    assert result.inputs is not None
    assert (result.outs["name"], result.inputs["name"]) == ("renamed", "renamed")


def test_read_of_a_deleted_session_empties_the_id(
    provider: SessionProvider,
    qpu: RunningEmulator,
    made: Made,
) -> None:
    id_, outs, _ = made
    qpu.admin.delete(f"/qaas/v1alpha1/sessions/{id_}")
    assert provider.read(id_, outs).id == ""


def test_update_patches_only_what_changed(
    provider: SessionProvider,
    qpu: RunningEmulator,
    made: Made,
) -> None:
    id_, outs, inputs = made
    qpu.reset_counters()
    news = checked(provider, olds=inputs, name="s", max_idle_duration="1h", tags=["b"])
    result = provider.update(id_, outs, news)
    assert result.outs is not None
    assert result.outs["tags"] == ["b"]
    assert qpu.counters().get(PATCH) == 1


def test_update_of_settings_alone_sends_no_patch(
    provider: SessionProvider,
    qpu: RunningEmulator,
    made: Made,
) -> None:
    id_, outs, inputs = made
    qpu.reset_counters()
    news = checked(provider, olds=inputs, name="s", tags=["a"], on_delete="terminate_and_delete")
    result = provider.update(id_, outs, news)
    assert result.outs is not None
    assert result.outs["on_delete"] == "terminate_and_delete"
    assert PATCH not in qpu.counters()


def test_delete_terminates_and_waits_for_stopped(
    provider: SessionProvider,
    qpu: RunningEmulator,
    made: Made,
) -> None:
    id_, outs, _ = made
    provider.delete(id_, outs)
    assert [s["status"] for s in qpu.sessions()] == ["stopped"]


def test_delete_of_a_session_still_starting_ends_it(
    provider: SessionProvider, qpu: RunningEmulator
) -> None:
    qpu.configure(start_delay=1000)
    created = provider.create(checked(provider, wait_for_running=False))
    assert created.outs is not None
    provider.delete(created.id, created.outs)
    assert [s["status"] for s in qpu.sessions()] == ["stopped"]


def test_delete_of_a_stopped_or_gone_session_succeeds(
    provider: SessionProvider,
    qpu: RunningEmulator,
    made: Made,
) -> None:
    id_, outs, _ = made
    provider.delete(id_, outs)
    provider.delete(id_, outs)
    qpu.admin.delete(f"/qaas/v1alpha1/sessions/{id_}")
    provider.delete(id_, outs)


def test_delete_can_also_delete_the_session(
    provider: SessionProvider,
    qpu: RunningEmulator,
    made: Made,
) -> None:
    id_, outs, _ = made
    provider.delete(id_, {**outs, "on_delete": "terminate_and_delete"})
    assert qpu.admin.get(f"/qaas/v1alpha1/sessions/{id_}").status_code == 404


# --- serialization, secrets, threads, progress --------------------------------------


def test_provider_pickles_by_reference_and_small(provider: SessionProvider) -> None:
    text = serialize_provider(provider)
    raw = base64.b64decode(text)
    assert len(text) <= 512
    assert b"pulumi_qpu.provider" in raw
    assert b"co_code" not in raw


def test_provider_pickle_holds_no_credentials_after_configure(
    provider: SessionProvider, qpu: RunningEmulator, made: Any
) -> None:
    raw = base64.b64decode(serialize_provider(provider))
    assert qpu.secret_key.encode() not in raw
    assert type(pickle.loads(raw)) is SessionProvider


def test_secret_inputs_stay_secret_in_outputs(provider: SessionProvider) -> None:
    inputs = checked(provider, parameters=rpc.wrap_rpc_secret({"token": "abc"}))
    assert rpc.is_rpc_secret(inputs["parameters"])
    outs = provider.create(inputs).outs
    assert outs is not None
    assert rpc.is_rpc_secret(outs["parameters"])


def test_one_provider_serves_parallel_creates(
    provider: SessionProvider, qpu: RunningEmulator
) -> None:
    ids: list[str] = []
    lock = threading.Lock()

    def create(index: int) -> None:
        result = provider.create(checked(provider, resource_key=f"p/s/r{index}"))
        with lock:
            ids.append(result.id)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(set(ids)) == 8
    assert len(live(qpu)) == 8


def test_waiting_prints_one_line_per_state_change(
    provider: SessionProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    provider.create(checked(provider, resource_key="org/project/stack/watched"))
    lines = [line for line in capsys.readouterr().err.splitlines() if "of watched" in line]
    assert [line.split(" is ")[1].split(":")[0] for line in lines] == ["starting", "running"]


def test_configure_without_credentials_fails_check_with_the_fix(
    qpu: RunningEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    for name in ("SCW_SECRET_KEY", "SCW_DEFAULT_PROJECT_ID", "SCW_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SCW_CONFIG_PATH", str(tmp_path / "none.yaml"))
    bare = SessionProvider()
    bare.configure(ConfigureRequest(Config({}, "project")))
    reasons = {f.property: f.reason for f in bare.check({}, {"platform_name": PLATFORM}).failures}
    # The key is the stack's problem (said once); the project is set nowhere either.
    assert set(reasons) == {"", "project_id"}
    assert "`pulumi config set --secret qpu:secretKey <secret key>`" in reasons[""]
    assert "export SCW_SECRET_KEY=<secret key>" in reasons[""]
    assert "qpu:projectId" in reasons["project_id"]


def test_derived_ids_fit_the_api_limit() -> None:
    assert len(derived_deduplication_id("x" * 5000, after="y" * 5000)) <= 128


_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.floats(allow_nan=True)
    | st.text(max_size=20)
    | st.just(rpc.UNKNOWN),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


@settings(
    max_examples=200,
    deadline=None,
    # The provider keeps no per-call state, so sharing it across examples is the point.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    news=st.dictionaries(
        st.sampled_from([k for k in INPUT_KEYS if k != "platform_name"] + ["junk"]),
        _VALUES,
        max_size=8,
    ),
    olds=st.dictionaries(st.sampled_from(["generation", "name"]), _VALUES, max_size=2),
)
def test_check_never_raises_and_every_failure_names_a_property(
    provider: SessionProvider, news: dict[str, Any], olds: dict[str, Any]
) -> None:
    result = provider.check(olds, news)
    assert all(f.property for f in result.failures)
    assert result.inputs == provider.check({}, news).inputs  # olds never matter


def test_a_walk_that_meets_only_kept_sessions_names_every_one_of_them(
    provider: SessionProvider, qpu: RunningEmulator
) -> None:
    # Sessions made earlier for this resource and returned by their creates (retained
    # replacements, or forgotten by `pulumi state delete`): the walk ends none of them.
    inputs = checked(provider)
    kept = []
    for _ in range(MAX_STEPS):
        session = _leftover(provider, inputs)
        provider._client().update_session(session.id, tags=[])
        kept.append(session.id)
    with pytest.raises(QpuError) as failure:
        _leftover(provider, inputs)
    assert all(session_id in str(failure.value) for session_id in kept)
    assert len(live(qpu)) == MAX_STEPS
