"""Many sessions of one project read with one listing, not one GET each.

A preview of a stack of 100 Sessions reads every live session (a session that ended by
itself plans its replacement), and so does a refresh. One ``GET /sessions/{id}`` each is
100 requests; one listing of the project, newest first, 100 to a page, reads them all in
one or two. :class:`SessionSnapshots` keeps the last listing of each project for
:data:`~pulumi_qpu.retry.SNAPSHOT_FRESH_SECONDS`; a session found in a fresh listing is
answered from it, any other is read with a GET (so an old session beyond the pages read,
a 404 and a project the key cannot list behave exactly as a GET does).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pulumi_qpu.errors import QpuError
from pulumi_qpu.models import Session
from pulumi_qpu.retry import SNAPSHOT_FRESH_SECONDS, SNAPSHOT_MAX_SESSIONS

__all__ = ["SessionSnapshots"]

Lister = Callable[[str], Iterable[Session]]
"""Lists a project's sessions, newest first."""


@dataclass
class _Snapshot:
    taken: float
    sessions: dict[str, Session]


@dataclass
class SessionSnapshots:
    """The last listing of each project, answered from while fresh.

    Attributes:
        list_project: lists one project's sessions, newest first (lazily, page by page).
        get_one: reads one session (``GET``), for what no fresh listing holds.
        clock: monotonic seconds.
        fresh: how long a listing answers (seconds).
        most: how many sessions one listing reads at most.

    """

    list_project: Lister
    get_one: Callable[[str], Session]
    clock: Callable[[], float]
    fresh: float = SNAPSHOT_FRESH_SECONDS
    most: int = SNAPSHOT_MAX_SESSIONS
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _project_locks: dict[str, threading.Lock] = field(default_factory=dict)
    _snapshots: dict[str, _Snapshot] = field(default_factory=dict)

    def get(self, session_id: str, project_id: str | None) -> Session:
        """Return the session, from a fresh listing of ``project_id`` when it holds it."""
        if not project_id:
            return self.get_one(session_id)
        with self._lock:
            project_lock = self._project_locks.setdefault(project_id, threading.Lock())
        # One listing per project at a time: concurrent reads wait for it, not list again.
        with project_lock:
            snapshot = self._snapshots.get(project_id)
            if snapshot is None or self.clock() - snapshot.taken > self.fresh:
                snapshot = self._take(project_id)
            found = snapshot.sessions.get(session_id) if snapshot is not None else None
        return found if found is not None else self.get_one(session_id)

    def forget(self, session_id: str) -> None:
        """Drop a session from every listing: it was just changed, read it again."""
        with self._lock:
            for snapshot in self._snapshots.values():
                snapshot.sessions.pop(session_id, None)

    def _take(self, project_id: str) -> _Snapshot | None:
        taken = self.clock()
        try:
            listed = list(itertools.islice(self.list_project(project_id), self.most))
        except QpuError:
            # Not listable (a key without that project, an outage): each read is a GET,
            # which says what is wrong for that session as it always did.
            return None
        snapshot = _Snapshot(taken, {session.id: session for session in listed})
        with self._lock:
            self._snapshots[project_id] = snapshot
        return snapshot
