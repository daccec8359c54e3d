"""Properties of paging and of the lifecycle, on an in-process emulator (no HTTP).

Hypothesis runs hundreds of cases; a server round trip per case would be overkill, so
these drive :class:`Emulator` directly. The HTTP layer is covered by the other files.
"""

from __future__ import annotations

import tempfile
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pulumi_qpu.emulator.problems import ReplyError
from pulumi_qpu.emulator.service import Emulator, EmulatorOptions, Tenant
from pulumi_qpu.models import ListSessionsOrderBy, SessionStatus

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


_TAG_SETS = [[], ["a"], ["b"], ["a", "b"], ["a", "b", "c"]]
_PATCHES: dict[str, dict[str, Any]] = {
    "rename": {"name": "b"},
    "retag": {"tags": ["a", "c"]},
    "shorten": {"max_duration": "1s"},  # ends a running session at once
    "lengthen": {"max_idle_duration": "600s"},
}
_STEP = st.one_of(
    st.tuples(
        st.just("create"),
        st.integers(0, 3),  # name
        st.integers(0, 1),  # platform
        st.integers(0, len(_TAG_SETS) - 1),
        st.integers(1, 400),  # max_duration
        st.integers(1, 400),  # max_idle_duration
    ),
    st.tuples(st.just("advance"), st.sampled_from([0, 1, 5, 10, 60, 150]), st.floats(0, 50)),
    st.tuples(st.sampled_from(["terminate", "delete", "get"]), st.integers(0, 50)),
    st.tuples(st.just("patch"), st.integers(0, 50), st.sampled_from(sorted(_PATCHES))),
    st.tuples(st.just("stop_delay"), st.sampled_from([0, 2, 30])),
    st.tuples(st.just("restart")),
)


def _reference_page(
    dump: list[dict[str, Any]], query: tuple[str, str | None, list[str], int, int]
) -> tuple[int, list[dict[str, Any]]]:
    """What GET /sessions must answer, from the admin dump (settled, creation order).

    Written from docs/emulator.md, independently of the service: every filter, the sort
    field with ties in creation order, no started_at last ascending (first descending),
    status in the contract's enum order, then the requested page.
    """
    order_by, platform_id, tags, page, page_size = query
    rows = [
        d
        for d in dump
        if d["project_id"] == PROJECT
        and d["deleted_at"] is None
        and (platform_id is None or d["platform_id"] == platform_id)
        and set(tags) <= set(d["tags"])
    ]
    field_name, direction = order_by.rsplit("_", 1)
    statuses = [status.value for status in SessionStatus]

    def key(d: dict[str, Any]) -> tuple[Any, ...]:
        if field_name == "name":
            return (d["name"], d["seq"])
        if field_name == "status":
            return (statuses.index(d["status"]), d["seq"])
        moment = d[field_name]
        if moment is None:
            return (1, datetime.min, d["seq"])
        return (0, datetime.fromisoformat(moment).replace(tzinfo=None), d["seq"])

    rows.sort(key=key, reverse=direction == "desc")
    start = (page - 1) * page_size
    return len(rows), [d["wire"] for d in rows[start : start + page_size]]


def _apply(emulator: Emulator, step: tuple[Any, ...], ids: list[str]) -> None:
    """Carry out one generated step (a restart is the caller's)."""
    projects = emulator.authenticate(KEY)
    action = step[0]
    if action == "create":
        _, name, platform, tag_set, duration, idle = step
        created = emulator.create_session(
            projects,
            {
                "project_id": PROJECT,
                "platform_id": emulator.catalogue.all()[platform].id,
                "name": "abcd"[name],
                "tags": _TAG_SETS[tag_set],
                "max_duration": f"{duration}s",
                "max_idle_duration": f"{idle}s",
            },
        )
        ids.append(created.id)
    elif action == "advance":
        emulator.advance(step[1] + step[2])
    elif action == "stop_delay":
        emulator.stop_delay = step[1]
    elif ids:
        target = ids[step[1] % len(ids)]
        try:
            if action == "terminate":
                emulator.terminate_session(projects, target, {})
            elif action == "delete":
                emulator.delete_session(projects, target)
            elif action == "get":
                emulator.get_session(projects, target)
            else:
                emulator.update_session(projects, target, _PATCHES[step[2]])
        except ReplyError as error:
            if error.status != 404:  # a deleted session; nothing else may fail
                raise


@settings(max_examples=150, deadline=None)
@given(
    steps=st.lists(_STEP, min_size=1, max_size=25),
    start_delay=st.sampled_from([0, 5, 20]),
    page_size=st.integers(min_value=1, max_value=7),
    first=st.integers(min_value=0, max_value=100),
)
def test_listing_follows_the_documented_order_as_time_moves_sessions_along(
    steps: list[tuple[Any, ...]], start_delay: int, page_size: int, first: int
) -> None:
    """Every order_by, filter and page lists the settled sessions as documented.

    After each step of a random mix of creates, PATCHes, terminates, deletes, clock
    advances, stop delay changes and restarts on the state file. The clock is frozen
    (a tiny time scale) so only advances move it, and the listing and its reference see
    one instant. The listings run before the reference, in a rotating order, so each
    order_by in turn is the one that must settle sessions whose transition came due.
    """
    with tempfile.TemporaryDirectory() as directory:
        options = EmulatorOptions(
            tenants=[Tenant(KEY, (PROJECT,))],
            start_delay=start_delay,
            stop_delay=1,
            time_scale=1e-12,
            state_file=str(Path(directory) / "state.db"),
        )
        emulator = Emulator(options)
        platforms = [p.id for p in emulator.catalogue.all()[:2]]
        filters = [(None, []), (platforms[1], []), (None, ["a"]), (platforms[0], ["a", "b"])]
        combos = [(o.value, *f) for o in ListSessionsOrderBy for f in filters]
        ids: list[str] = []
        try:
            for index, step in enumerate(steps):
                if step[0] == "restart":
                    emulator.close()
                    emulator = Emulator(options)
                else:
                    _apply(emulator, step, ids)
                shift = (first + index) % len(combos)
                queries = [
                    (order_by, platform_id, tags, 1 + (index + n) % 3, page_size)
                    for n, (order_by, platform_id, tags) in enumerate(
                        combos[shift:] + combos[:shift]
                    )
                ]
                replies = [_list(emulator, query) for query in queries]
                dump = emulator.raw_sessions()
                for query, reply in zip(queries, replies, strict=True):
                    assert reply == _reference_page(dump, query), query
        finally:
            emulator.close()


def _list(
    emulator: Emulator, query: tuple[str, str | None, list[str], int, int]
) -> tuple[int, list[dict[str, Any]]]:
    order_by, platform_id, tags, page, page_size = query
    params = {"project_id": PROJECT, "order_by": order_by}
    params |= {"page": str(page), "page_size": str(page_size)}
    if platform_id is not None:
        params["platform_id"] = platform_id
    reply = emulator.list_sessions(emulator.authenticate(KEY), params, tags)
    return reply.total_count, [s.model_dump(mode="json") for s in reply.sessions]
