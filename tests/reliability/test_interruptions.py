"""Runs that are cut short: the host killed in the middle of creates, of replacements or
of deletes, and the emulator restarted on its state file between up and destroy or in
the middle of an up."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulumi_qpu.identity import is_creating_tag
from tests.provider.conftest import OTHER_PLATFORM, host_env
from tests.reliability.helpers import (
    Figures,
    assert_one_live_session_each,
    count_retries,
    fleet,
    is_live,
    live_by_name,
    logging_env,
    parallel_destroy,
    until_converged,
)
from tests.support.emulator import EmulatorFactory, RunningEmulator
from tests.support.engine import MockEngine
from tests.support.host import ProviderHost, killed_midway, when

COUNT = 12
NAMES = [f"s{i:03d}" for i in range(COUNT)]


def _persistent(factory: EmulatorFactory, tmp_path: Path, start_delay: float) -> RunningEmulator:
    """A dedicated emulator on a state file, so that a restart loses nothing."""
    return factory(state_file=tmp_path / "qaas.sqlite", start_delay=start_delay, stop_delay=0.1)


@pytest.mark.timeout(90)
def test_up_killed_amid_creates_ends_with_one_session_per_resource(
    qpu: RunningEmulator, tmp_path: Path
) -> None:
    # Creates wait for running (0.6 s), so with 4 host workers the kill lands while some
    # resources are in state, some are POSTed but unanswered, and some are not begun.
    qpu.configure(start_delay=0.6)
    state = tmp_path / "state.json"
    with ProviderHost(host_env(qpu, tmp_path)) as first:
        engine = MockEngine(first, state)
        killed_midway(
            first, lambda: len(qpu.sessions()) >= COUNT // 2, lambda: engine.up(fleet(COUNT))
        )
    kept = {res["outputs"]["name"]: res["id"] for res in engine.state().values()}
    orphans = [name for name, ids in live_by_name(qpu).items() if name not in kept]
    # The kill really was in the middle: made sessions outside state, and undone work.
    assert orphans, "the kill came after every create had finished"
    assert len(qpu.sessions()) < COUNT, "the kill came after every POST"
    # The one ambiguity (docs/provider.md): a create that finished (creating tag removed)
    # whose reply the kill lost looks like a session a state holds, and is kept running.
    finished_unrecorded = {
        s["id"]
        for s in qpu.sessions()
        if s["id"] not in kept.values()
        and not any(is_creating_tag(tag) for tag in s["wire"]["tags"] or ())
    }

    with ProviderHost(host_env(qpu, tmp_path)) as second:
        engine.host = second
        engine.up(fleet(COUNT))
    for session_id in finished_unrecorded:
        qpu.admin.post(f"/qaas/v1alpha1/sessions/{session_id}/terminate", json={})
    state_ids = assert_one_live_session_each(qpu, engine, NAMES)
    # Nothing else was made twice: the orphans were taken back, not replaced.
    assert len(qpu.sessions()) == COUNT + len(finished_unrecorded)
    assert all(state_ids[name] == id_ for name, id_ in kept.items())


@pytest.mark.timeout(90)
def test_emulator_restart_between_up_and_destroy_loses_nothing(
    emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    emulator = _persistent(emulator_factory, tmp_path, start_delay=0.2)
    with ProviderHost(host_env(emulator, tmp_path)) as host:
        engine = MockEngine(host, tmp_path / "state.json")
        engine.up(fleet(COUNT))
        before = live_by_name(emulator)

        emulator.restart()  # same port: the host's pooled connections are now dead

        assert live_by_name(emulator) == before
        assert set(engine.preview(fleet(COUNT)).ops("same")) == set(engine.state())
        refreshed = engine.refresh()
        assert len(refreshed.ops("read")) == COUNT
        engine.destroy()
    assert engine.state() == {}
    assert live_by_name(emulator) == {}
    assert len(emulator.sessions()) == COUNT


@pytest.mark.timeout(90)
def test_destroy_killed_midway_leaks_nothing_and_the_next_destroy_finishes(
    qpu: RunningEmulator, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    with ProviderHost(host_env(qpu, tmp_path)) as first:
        engine = MockEngine(first, state)
        engine.up(fleet(COUNT))
        # Deletes wait for stopped (0.6 s): the kill lands with some resources gone from
        # state, some terminated but still in state, and some not touched yet.
        qpu.configure(stop_delay=0.6)
        # Once a third of the deletes finished (the state file says so), while more are
        # terminated but still waiting for stopped.
        killed_midway(
            first,
            lambda: len(engine.state()) <= COUNT - COUNT // 3,
            lambda: parallel_destroy(engine),
        )
    left = {res["id"] for res in engine.state().values()}
    assert 0 < len(left) < COUNT, "the kill did not land in the middle of the destroy"
    stopping = [s for s in qpu.sessions() if s["id"] in left and not is_live(s)]
    assert stopping, "no delete was in flight at the kill"
    # Nothing left state while it still ran: every live session is still in state.
    assert {ids[0] for ids in live_by_name(qpu).values()} <= left

    with ProviderHost(host_env(qpu, tmp_path)) as second:
        engine.host = second
        parallel_destroy(engine)
    assert engine.state() == {}
    assert live_by_name(qpu) == {}
    assert len(qpu.sessions()) == COUNT


@pytest.mark.timeout(120)
def test_emulator_restart_in_the_middle_of_an_up_converges_to_one_session_each(
    emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    emulator = _persistent(emulator_factory, tmp_path, start_delay=0.3)
    with ProviderHost(logging_env(emulator, tmp_path)) as host:
        engine = MockEngine(host, tmp_path / "state.json")
        # The restart cuts the requests in flight and refuses new ones for a while.
        restarter = when(lambda: len(emulator.sessions()) >= COUNT // 3, emulator.restart)
        failures: list[str] = []
        try:
            runs = until_converged(lambda: engine.up(fleet(COUNT)), failures)
        finally:
            restarter.join(timeout=60)
        retries = count_retries(host.logs())
        Figures("restart_during_up").add(
            "up",
            runs=runs,
            failures=failures,
            retries_by_cause=dict(retries),
            sessions_created=len(emulator.sessions()),
        ).publish()
        assert retries, "the restart did not land in the middle of the up"
        assert_one_live_session_each(emulator, engine, NAMES)
        assert len(emulator.sessions()) <= COUNT + len(failures)
        parallel_destroy(engine)
    assert live_by_name(emulator) == {}


@pytest.mark.timeout(90)
def test_replacement_killed_midway_ends_with_one_session_each_on_the_new_platform(
    qpu: RunningEmulator, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    with ProviderHost(host_env(qpu, tmp_path)) as first:
        engine = MockEngine(first, state)
        engine.up(fleet(COUNT))
        old = assert_one_live_session_each(qpu, engine, NAMES)
        # Moving platform replaces every Session (create the new one, then end the old);
        # the creates wait for running, so the kill lands amid them.
        qpu.configure(start_delay=0.6)
        killed_midway(
            first,
            lambda: len(qpu.sessions()) >= COUNT + COUNT // 2,
            lambda: engine.up(fleet(COUNT, platform_name=OTHER_PLATFORM)),
        )
    assert len(qpu.sessions()) < 2 * COUNT, "the kill came after every replacement's POST"
    # Create-before-delete: nothing was lost meanwhile, every resource still has a session.
    assert sorted(live_by_name(qpu)) == NAMES

    with ProviderHost(host_env(qpu, tmp_path)) as second:
        engine.host = second
        engine.up(fleet(COUNT, platform_name=OTHER_PLATFORM))
    new = assert_one_live_session_each(qpu, engine, NAMES)
    assert not set(new.values()) & set(old.values())
    by_id = {s["id"]: s for s in qpu.sessions()}
    assert {by_id[id_]["platform_id"] for id_ in new.values()} == {_platform_id(qpu)}
    # Each resource made exactly one replacement: orphaned POSTs were taken back.
    assert len(by_id) == 2 * COUNT
    assert engine.pending_deletes() == []


def _platform_id(qpu: RunningEmulator) -> str:
    reply = qpu.admin.get("/qaas/v1alpha1/platforms", params={"name": OTHER_PLATFORM})
    return str(reply.json()["platforms"][0]["id"])
