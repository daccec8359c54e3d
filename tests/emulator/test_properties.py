"""Properties of paging and of the lifecycle, on an in-process emulator (no HTTP).

Hypothesis runs hundreds of cases; a server round trip per case would be overkill, so
these drive :class:`Emulator` directly. The HTTP layer is covered by the other files.
"""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from pulumi_qpu.emulator.service import Emulator, EmulatorOptions, Tenant
from pulumi_qpu.models import ListSessionsOrderBy

PROJECT = "11111111-2222-4333-8444-555566667777"
KEY = "key"
ORDER = ["starting", "running", "stopping", "stopped"]


def _emulator(start_delay: float = 0, stop_delay: float = 0) -> Emulator:
    return Emulator(
        EmulatorOptions(
            tenants=[Tenant(KEY, (PROJECT,))], start_delay=start_delay, stop_delay=stop_delay
        )
    )


@settings(max_examples=40, deadline=None)
@given(
    count=st.integers(min_value=0, max_value=30),
    page_size=st.integers(min_value=1, max_value=12),
    order_by=st.sampled_from([o.value for o in ListSessionsOrderBy]),
    names=st.lists(st.sampled_from(["a", "b", "c"]), min_size=30, max_size=30),
)
def test_pages_partition_the_full_list(
    count: int, page_size: int, order_by: str, names: list[str]
) -> None:
    emulator = _emulator(start_delay=5)
    projects = emulator.authenticate(KEY)
    platform = emulator.catalogue.all()[0].id
    for index in range(count):
        emulator.create_session(
            projects, {"project_id": PROJECT, "platform_id": platform, "name": names[index]}
        )
        emulator.advance(index % 3)  # some start, some do not: started_at varies
    full = emulator.list_sessions(
        projects, {"project_id": PROJECT, "page_size": "100", "order_by": order_by}, []
    )
    pages: list[str] = []
    page = 1
    while True:
        reply = emulator.list_sessions(
            projects,
            {
                "project_id": PROJECT,
                "page": str(page),
                "page_size": str(page_size),
                "order_by": order_by,
            },
            [],
        )
        assert reply.total_count == count
        if not reply.sessions:
            break
        pages.extend(s.id for s in reply.sessions)
        page += 1
    assert pages == [s.id for s in full.sessions]
    assert len(set(pages)) == count
    emulator.store.close()


@settings(max_examples=60, deadline=None)
@given(
    start_delay=st.floats(min_value=0, max_value=100),
    stop_delay=st.floats(min_value=0, max_value=100),
    max_duration=st.integers(min_value=1, max_value=500),
    steps=st.lists(
        st.tuples(
            st.floats(min_value=0, max_value=300),
            st.sampled_from(["get", "terminate", "patch"]),
        ),
        max_size=12,
    ),
)
def test_status_only_moves_forward_and_timestamps_follow_it(
    start_delay: float,
    stop_delay: float,
    max_duration: int,
    steps: list[tuple[float, str]],
) -> None:
    emulator = _emulator(start_delay, stop_delay)
    projects = emulator.authenticate(KEY)
    platform = emulator.catalogue.all()[0].id
    session = emulator.create_session(
        projects,
        {"project_id": PROJECT, "platform_id": platform, "max_duration": f"{max_duration}s"},
    )
    seen = [session.status.value]
    for seconds, action in steps:
        emulator.advance(seconds)
        if action == "terminate":
            session = emulator.terminate_session(projects, session.id, {})
        elif action == "patch":
            session = emulator.update_session(projects, session.id, {"name": str(uuid.uuid4())})
        else:
            session = emulator.get_session(projects, session.id)
        seen.append(session.status.value)
        assert (session.terminated_at is not None) == (session.status.value == "stopped")
        if session.started_at is not None:
            assert session.created_at is not None
            assert session.started_at >= session.created_at
        if session.terminated_at is not None and session.started_at is not None:
            assert session.terminated_at >= session.started_at
    ranks = [ORDER.index(status) for status in seen]
    assert ranks == sorted(ranks)
    emulator.store.close()
