"""Whole Pulumi programs declaring Sessions, run by the mock engine on the real host."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime import rpc

from pulumi_qpu.resource import Session, SessionArgs, _options
from pulumi_qpu.retry import PULUMI_RETRY_POLICY
from tests.provider.conftest import OTHER_PLATFORM, PLATFORM, host_env
from tests.support.emulator import RunningEmulator
from tests.support.engine import MockEngine, RunFailedError
from tests.support.host import HostCallError, ProviderHost, killed_midway

POST = "POST /qaas/v1alpha1/sessions"
URN = "urn:pulumi:stack::project::pulumi-python:dynamic/qpu:Session::s"


def one_session(**args: Any) -> Callable[[], None]:
    """A program with one Session named "s" that exports its id, name and status."""
    args.setdefault("platform_name", PLATFORM)

    def program() -> None:
        session = Session("s", SessionArgs(**args))
        pulumi.export("id", session.id)
        pulumi.export("name", session.name)
        pulumi.export("status", session.status)
        pulumi.export("waiting_job_count", session.waiting_job_count)

    return program


def trio() -> None:
    """A program of three Sessions, "a", "b" and "c"."""
    for name in ("a", "b", "c"):
        Session(name, SessionArgs(platform_name=PLATFORM))


def by_id(qpu: RunningEmulator) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in qpu.sessions()}


def live(qpu: RunningEmulator) -> list[str]:
    return [s["id"] for s in qpu.sessions() if s["status"] in ("starting", "running")]


def test_preview_creates_nothing_and_leaves_outputs_unknown(
    engine: MockEngine, qpu: RunningEmulator
) -> None:
    result = engine.preview(one_session(name="a"))
    assert result.ops("create") == [URN]
    assert result.exports["id"] == rpc.UNKNOWN
    assert result.exports["name"] == "a"  # an input is known in a preview
    assert POST not in qpu.counters()
    assert engine.state() == {}


def test_up_change_up_refresh_destroy(engine: MockEngine, qpu: RunningEmulator) -> None:
    first = engine.up(one_session(name="a", tags=["t"]))
    session_id = first.exports["id"]
    assert (first.ops("create"), first.exports["status"]) == ([URN], "running")
    assert type(first.exports["waiting_job_count"]) is int

    planned = engine.preview(one_session(name="b", tags=["t"]))
    assert planned.ops("update") == [URN]

    second = engine.up(one_session(name="b", tags=["t"]))
    assert (second.ops("update"), second.exports["id"]) == ([URN], session_id)
    assert by_id(qpu)[session_id]["name"] == "b"

    qpu.admin.patch(f"/qaas/v1alpha1/sessions/{session_id}", json={"tags": ["drift"]})
    engine.refresh()
    assert engine.state()[URN]["outputs"]["tags"] == ["drift"]
    assert engine.up(one_session(name="b", tags=["t"])).ops("update") == [URN]

    assert engine.up(one_session(name="b", tags=["t"])).ops("same") == [URN]
    engine.destroy()
    assert engine.state() == {}
    assert by_id(qpu)[session_id]["status"] == "stopped"
    assert qpu.counters()[POST] == 1


def test_replacement_creates_the_new_session_before_ending_the_old(
    engine: MockEngine, qpu: RunningEmulator
) -> None:
    old = engine.up(one_session()).exports["id"]
    assert engine.preview(one_session(platform_name=OTHER_PLATFORM)).ops("replace") == [URN]
    new = engine.up(one_session(platform_name=OTHER_PLATFORM)).exports["id"]
    sessions = by_id(qpu)
    assert new != old
    assert live(qpu) == [new]
    assert sessions[new]["created_at"] <= sessions[old]["terminated_at"]


def test_a_replaced_session_that_failed_to_end_is_ended_by_the_next_up(
    engine: MockEngine, qpu: RunningEmulator
) -> None:
    old = engine.up(one_session()).exports["id"]
    terminate = "POST /qaas/v1alpha1/sessions/{session_id}/terminate"
    refused = {"kind": "error", "route": terminate, "status": 403, "type": "permissions_denied"}
    qpu.set_faults(script=[refused])
    with pytest.raises(HostCallError, match="permissions_denied"):
        engine.up(one_session(platform_name=OTHER_PLATFORM))
    new = engine.state()[URN]["id"]
    assert [(urn, state["id"]) for urn, state in engine.pending_deletes()] == [(URN, old)]
    assert engine.up(one_session(platform_name=OTHER_PLATFORM)).ops("delete") == [URN]
    assert engine.pending_deletes() == []
    assert live(qpu) == [new]


def test_replacement_can_end_the_old_session_first(
    engine: MockEngine, qpu: RunningEmulator
) -> None:
    old = engine.up(one_session()).exports["id"]
    engine.delete_before_replace = {"s"}
    new = engine.up(one_session(platform_name=OTHER_PLATFORM)).exports["id"]
    sessions = by_id(qpu)
    assert sessions[old]["terminated_at"] <= sessions[new]["created_at"]
    assert live(qpu) == [new]


def test_a_session_that_expired_is_planned_for_replacement_and_recreated(
    engine: MockEngine, qpu: RunningEmulator
) -> None:
    program = one_session(max_idle_duration="10m")
    old = engine.up(program).exports["id"]
    qpu.advance(601)
    assert engine.preview(program).ops("replace") == [URN]
    new = engine.up(program).exports["id"]
    assert new != old
    assert live(qpu) == [new]
    engine.destroy()
    assert live(qpu) == []


def test_an_up_interrupted_after_the_post_ends_with_one_session(
    qpu: RunningEmulator, tmp_path: Path
) -> None:
    qpu.configure(start_delay=1000)
    state = tmp_path / "state.json"
    with ProviderHost(host_env(qpu, tmp_path)) as first:
        engine = MockEngine(first, state)
        killed_midway(
            first, lambda: bool(qpu.sessions()), lambda: engine.up(one_session()), "Create failed"
        )
    assert engine.state() == {}
    qpu.advance(1000)
    with ProviderHost(host_env(qpu, tmp_path)) as second:
        engine.host = second
        result = engine.up(one_session())
    assert [s["id"] for s in qpu.sessions()] == [result.exports["id"]]


def test_a_failed_run_finishes_every_operation_and_reports_each(
    engine: MockEngine, qpu: RunningEmulator
) -> None:
    # Every create fails once its attempts are spent (429s asking no wait, so it is
    # quick). The engine must not return before all three have (a straggler would
    # overlap the next run) and must report each failure.
    attempts = PULUMI_RETRY_POLICY.max_attempts
    throttle = {"kind": "throttle", "retry_after": 0, "route": POST, "count": 3 * attempts}
    qpu.set_faults(script=[throttle])
    with pytest.raises(RunFailedError) as failed:
        engine.up(trio)
    assert len(failed.value.errors) == 3
    assert all("too_many_requests" in str(error) for error in failed.value.errors)
    assert qpu.sessions() == []
    assert engine.state() == {}
    engine.up(trio)
    assert len(engine.state()) == len(qpu.sessions()) == 3


def test_coarse_checkpoints_still_leave_the_whole_state_when_a_run_ends(
    host: ProviderHost, qpu: RunningEmulator, tmp_path: Path
) -> None:
    engine = MockEngine(host, tmp_path / "coarse.json", checkpoint_every=1000)
    engine.up(trio)
    assert sorted(res["id"] for res in engine.state().values()) == sorted(by_id(qpu))
    engine.destroy()
    assert engine.state() == {}


def test_adoption_takes_over_an_existing_session(engine: MockEngine, qpu: RunningEmulator) -> None:
    platforms = qpu.admin.get("/qaas/v1alpha1/platforms", params={"name": PLATFORM}).json()
    existing = qpu.admin.post(
        "/qaas/v1alpha1/sessions",
        json={"project_id": qpu.project_id, "platform_id": platforms["platforms"][0]["id"]},
    ).json()
    qpu.advance(10)
    result = engine.up(one_session(session_id=existing["id"], name="adopted"))
    assert result.exports["id"] == existing["id"]
    assert qpu.counters()[POST] == 1
    assert engine.up(one_session(session_id=existing["id"], name="adopted")).ops("same") == [URN]
    engine.destroy()
    assert by_id(qpu)[existing["id"]]["status"] == "stopped"


def test_a_resource_removed_from_the_program_is_ended(
    engine: MockEngine, qpu: RunningEmulator
) -> None:
    def two() -> None:
        Session("s", platform_name=PLATFORM)
        Session("t", platform_name=PLATFORM)

    engine.up(two)
    result = engine.up(one_session())
    assert len(result.ops("delete")) == 1
    assert len(live(qpu)) == 1


def test_state_and_logs_hold_no_secret(engine: MockEngine, qpu: RunningEmulator) -> None:
    secret_parameters = pulumi.Output.secret({"token": "tok-123"})
    engine.up(one_session(name="a", parameters=secret_parameters))
    engine.up(one_session(name="b", parameters=secret_parameters))
    engine.refresh()
    text = engine.state_path.read_text()
    resource = engine.state()[URN]
    engine.destroy()
    assert qpu.secret_key not in text
    assert qpu.secret_key not in engine.host.logs()
    assert len(resource["inputs"]["__provider"]) <= 512
    # A value the program made secret is stored marked as a secret, in and out.
    assert rpc.is_rpc_secret(resource["inputs"]["parameters"])
    assert rpc.is_rpc_secret(resource["outputs"]["parameters"])


def test_a_secret_name_never_reaches_the_logs(engine: MockEngine, qpu: RunningEmulator) -> None:
    program = one_session(name=pulumi.Output.secret("classified-name"))
    engine.up(program)
    engine.up(program, replace=["s"])
    engine.refresh()
    engine.destroy()
    assert "classified" not in engine.host.logs()
    assert "of s is running" in engine.host.logs()  # the progress lines did arrive


def test_up_with_replace_makes_another_session_then_ends_the_old(
    engine: MockEngine, qpu: RunningEmulator
) -> None:
    old = engine.up(one_session()).exports["id"]
    result = engine.up(one_session(), replace=["s"])
    new = result.exports["id"]
    assert (result.ops("replace"), result.ops("delete")) == ([URN], [URN])
    assert new != old
    assert live(qpu) == [new]


def test_a_no_op_up_leaves_the_stored_inputs_as_they_were(engine: MockEngine) -> None:
    program = one_session(name="n", tags=["t"], max_duration="1h")
    engine.up(program)
    before = engine.state()[URN]
    assert engine.up(program).ops("same") == [URN]
    assert engine.state()[URN] == before


def test_a_given_deduplication_id_asks_for_delete_before_replace() -> None:
    assert _options(None, "team") is not None
    assert _options(None, "team").delete_before_replace is True  # type: ignore[union-attr]
    assert _options(None, None) is None
    mine = pulumi.ResourceOptions(delete_before_replace=False)
    assert _options(mine, "team") is mine


class _EchoMocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[Any, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], None]:
        return {}, None


def _chain_depth() -> int:
    method = pickle._Pickler.__dict__["_batch_setitems"]
    depth = 0
    while getattr(method, "__closure__", None):
        inner = [c.cell_contents for c in method.__closure__ if callable(c.cell_contents)]
        if not inner:
            break
        method, depth = inner[0], depth + 1
    return depth


@pytest.mark.timeout(300)
def test_a_program_declares_two_thousand_sessions() -> None:
    from pulumi.runtime import settings

    settings.ROOT.set(None)
    pulumi.runtime.set_mocks(_EchoMocks(), preview=False)
    ids: list[str] = []

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def program() -> Any:
        sessions = [Session(f"s{i}", platform_id="p", name=f"n{i}") for i in range(2000)]
        return pulumi.Output.all(*[s.id for s in sessions]).apply(ids.extend)

    program()
    assert len(ids) == 2000
    assert _chain_depth() <= 1
