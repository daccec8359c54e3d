"""The store's in-memory copy: written through to SQLite, settled only where a transition is due.

Listing order and filters are checked end to end in ``test_properties.py``; these pin
the store's own promises that the listing's cost rests on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pulumi_qpu.emulator.lifecycle import next_transition_at, settle
from pulumi_qpu.emulator.store import SessionRecord, SessionStore

PROJECT = "11111111-2222-4333-8444-555566667777"
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _record(number: int, start_in: float) -> SessionRecord:
    return SessionRecord(
        id=f"session-{number:03}",
        project_id=PROJECT,
        platform_id="platform",
        name=f"s{number:03}",
        created_at=T0,
        updated_at=T0,
        max_idle_duration="3600s",
        max_duration="3600s",
        status="starting",
        start_at=T0 + timedelta(seconds=start_in),
        end_floor=T0,
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SessionStore]:
    opened = SessionStore(str(tmp_path / "state.db"), next_due=next_transition_at)
    yield opened
    opened.close()


def _settle_at(moment: datetime, visited: list[str]) -> Callable[[SessionRecord], bool]:
    def settle_one(record: SessionRecord) -> bool:
        visited.append(record.id)
        return settle(record, moment, 0)

    return settle_one


def test_settle_due_visits_only_the_sessions_whose_transition_has_come(
    store: SessionStore,
) -> None:
    for number in range(100):
        store.insert(_record(number, start_in=number))
    visited: list[str] = []
    moment = T0 + timedelta(seconds=9.5)
    assert store.settle_due(PROJECT, moment, _settle_at(moment, visited))
    assert visited == [f"session-{number:03}" for number in range(10)]
    statuses = [r.status for r in store.in_project(PROJECT)]
    assert statuses == ["running"] * 10 + ["starting"] * 90


def test_settled_sessions_are_written_through_to_the_state_file(
    store: SessionStore, tmp_path: Path
) -> None:
    store.insert(_record(1, start_in=1))
    moment = T0 + timedelta(seconds=2)
    store.settle_due(PROJECT, moment, _settle_at(moment, []))
    reopened = SessionStore(str(tmp_path / "state.db"), next_due=next_transition_at)
    try:
        assert [r.to_json() for r in reopened.in_project(PROJECT)] == [
            r.to_json() for r in store.in_project(PROJECT)
        ]
        record = reopened.get("session-001")
        assert record is not None
        assert record.status == "running"
    finally:
        reopened.close()


def test_a_failed_settle_leaves_every_visited_session_scheduled(store: SessionStore) -> None:
    store.insert(_record(1, start_in=1))
    store.insert(_record(2, start_in=1))

    def fail(record: SessionRecord) -> bool:
        raise RuntimeError("settle failed")

    with pytest.raises(RuntimeError):
        store.settle_due(PROJECT, T0 + timedelta(seconds=2), fail)
    visited: list[str] = []
    moment = T0 + timedelta(seconds=2)
    assert store.settle_due(PROJECT, moment, _settle_at(moment, visited))
    assert visited == ["session-001", "session-002"]


def test_callers_get_copies_so_an_unsaved_change_stays_out_of_the_store(
    store: SessionStore,
) -> None:
    store.insert(_record(1, start_in=1))
    record = store.get("session-001")
    assert record is not None
    record.name = "changed but never updated"
    record.tags.append("t")
    kept = store.get("session-001")
    assert kept is not None
    assert (kept.name, kept.tags) == ("s001", [])
