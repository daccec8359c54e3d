"""SQLite state of the emulator: sessions (with tombstones) and a few settings.

One connection guarded by a re-entrant lock, so the store is safe from the event loop
and from threads alike; compound operations (create with deduplication, settle then
update) hold :attr:`SessionStore.lock` across their calls. Without a file the database
lives in memory; with one, WAL mode and a commit per write mean a restart loses nothing.

A session row is its :class:`SessionRecord` as JSON plus the columns used to look it up.
Deleted sessions stay as tombstones (``deleted_at`` set): the API never shows them, the
admin dump does (the oracle of "no duplicates" tests).

SQLite is the durable copy; live sessions are also kept decoded in memory (loaded at
start, written through on every change), so a read never decodes JSON. Cached records
are never changed in place: every write replaces the record and callers get copies, so
a cached record handed out stays consistent without the lock. Per project the store
keeps a schedule of the next lifecycle transition of each session (a heap keyed by the
``next_due`` time it is given), so settling a project touches only the sessions with a
transition due, and each ordering of a project's sessions asked for is sorted once, then
kept sorted through every write (a binary search per write).
"""

from __future__ import annotations

import bisect
import copy
import dataclasses
import heapq
import json
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["SessionRecord", "SessionStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    project_id TEXT NOT NULL,
    deduplication_id TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_project ON sessions (project_id, deleted);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

_TIME_FIELDS = (
    "created_at",
    "updated_at",
    "started_at",
    "terminated_at",
    "start_at",
    "stop_at",
    "stopped_due_at",
    "end_floor",
    "booking_started_at",
    "booking_finished_at",
    "deleted_at",
)


@dataclass
class SessionRecord:
    """Everything the emulator knows about one session.

    The first block mirrors the wire :class:`~pulumi_qpu.models.Session`; the second is
    the emulator's own bookkeeping for the lazy lifecycle (see ``lifecycle.py``).
    """

    id: str
    project_id: str
    platform_id: str
    name: str
    created_at: datetime
    updated_at: datetime
    max_idle_duration: str
    max_duration: str
    status: str
    start_at: datetime
    end_floor: datetime
    tags: list[str] = field(default_factory=list)
    deduplication_id: str = ""
    origin_type: str = "customer"
    origin_id: str | None = None
    progress_message: str | None = None
    booking_id: str | None = None
    model_id: str | None = None
    parameters: str | None = None
    started_at: datetime | None = None
    terminated_at: datetime | None = None
    # Bookkeeping: when stopping began and why, when stopped is due, booking slot.
    stop_at: datetime | None = None
    stop_reason: str | None = None
    stopped_due_at: datetime | None = None
    booking_started_at: datetime | None = None
    booking_finished_at: datetime | None = None
    booking_description: str | None = None
    booking_time_zone: str | None = None
    deleted_at: datetime | None = None
    seq: int = 0

    def to_json(self) -> dict[str, Any]:
        """Return the record as JSON-ready data (timestamps in ISO 8601)."""
        # Field by field rather than dataclasses.asdict, whose deep copies cost 20 times
        # more; tags is the only field that is not an immutable scalar.
        data = {name: getattr(self, name) for name in _FIELD_NAMES}
        data["tags"] = list(self.tags)
        for name in _TIME_FIELDS:
            value = data[name]
            data[name] = value.isoformat() if value is not None else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SessionRecord:
        """Rebuild a record from :meth:`to_json` data."""
        values = dict(data)
        for name in _TIME_FIELDS:
            value = values.get(name)
            values[name] = datetime.fromisoformat(value) if value is not None else None
        return cls(**values)


_FIELD_NAMES = tuple(f.name for f in dataclasses.fields(SessionRecord))
_Key = Callable[[SessionRecord], Any]


def _reposition(
    ordering: list[SessionRecord], key: _Key, old: SessionRecord | None, new: SessionRecord | None
) -> None:
    """Replace ``old`` by ``new`` in a list sorted by ``key`` (either may be None).

    Keys are distinct, so a binary search finds ``old`` exactly; a write that leaves the
    key as it was (most do, for most orders) swaps the record in place.
    """
    new_key = key(new) if new is not None else None
    if old is not None:
        old_key = key(old)
        index = bisect.bisect_left(ordering, old_key, key=key)
        if new is not None and new_key == old_key:
            ordering[index] = new
            return
        del ordering[index]
    if new is not None:
        bisect.insort(ordering, new, key=key)


class SessionStore:
    """Sessions and settings in SQLite (a file, or memory when ``path`` is None).

    ``next_due`` tells when a session's next lifecycle transition is due (None: never);
    :meth:`settle_due` uses it to visit only the sessions whose time has come.
    """

    def __init__(
        self,
        path: str | None = None,
        *,
        next_due: Callable[[SessionRecord], datetime | None],
    ) -> None:
        """Open (and create when needed) the database and load the live sessions."""
        self.lock = threading.RLock()
        self._next_due = next_due
        self._conn = sqlite3.connect(
            path or ":memory:", check_same_thread=False, isolation_level=None
        )
        if path:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        row = self._conn.execute("SELECT COALESCE(MAX(seq), 0) FROM sessions").fetchone()
        self._seq = int(row[0])
        # Live sessions by project, each dict in creation (seq) order.
        self._projects: dict[str, dict[str, SessionRecord]] = {}
        self._project_of: dict[str, str] = {}
        # Transition schedule: per project a heap of (due, seq, id); an entry counts only
        # while it matches _due[id] (a later write supersedes it without a heap search).
        self._heaps: dict[str, list[tuple[datetime, int, str]]] = {}
        self._due: dict[str, datetime] = {}
        # Ascending orderings per project and sort name, with their key; kept up to date.
        self._orderings: dict[str, dict[str, tuple[_Key, list[SessionRecord]]]] = {}
        self._load()

    def _load(self) -> None:
        rows = self._conn.execute(
            "SELECT data FROM sessions WHERE deleted = 0 ORDER BY seq"
        ).fetchall()
        for (data,) in rows:
            self._keep(SessionRecord.from_json(json.loads(data)))

    def close(self) -> None:
        """Close the database."""
        with self.lock:
            self._conn.close()

    # --- the in-memory copy ---------------------------------------------------------

    @staticmethod
    def _copy(record: SessionRecord) -> SessionRecord:
        # Shallow copy plus the one mutable field: datetimes and strings are immutable.
        duplicate = copy.copy(record)
        duplicate.tags = list(record.tags)
        return duplicate

    def _keep(self, record: SessionRecord) -> None:
        """Make ``record`` (owned by the store from now on) the cached state of its id."""
        project_id = record.project_id
        live = self._projects.setdefault(project_id, {})
        old = live.get(record.id)
        new = record if record.deleted_at is None else None
        for key, ordering in self._orderings.get(project_id, {}).values():
            _reposition(ordering, key, old, new)
        if new is None:
            live.pop(record.id, None)
            self._project_of.pop(record.id, None)
            self._due.pop(record.id, None)
            return
        live[record.id] = record
        self._project_of[record.id] = project_id
        self._schedule(record)

    def _schedule(self, record: SessionRecord) -> None:
        due = self._next_due(record)
        if due is None:
            self._due.pop(record.id, None)
            return
        if self._due.get(record.id) == due:
            return
        self._due[record.id] = due
        heap = self._heaps.setdefault(record.project_id, [])
        heapq.heappush(heap, (due, record.seq, record.id))
        if len(heap) > 64 + 4 * len(self._projects[record.project_id]):
            # Superseded entries pile up under frequent writes: keep only the current ones.
            heap[:] = [entry for entry in heap if self._due.get(entry[2]) == entry[0]]
            heapq.heapify(heap)

    def _write(self, records: Sequence[SessionRecord]) -> None:
        """Write changed sessions to SQLite (one transaction) and to the cache."""
        rows = [(int(r.deleted_at is not None), json.dumps(r.to_json()), r.id) for r in records]
        if len(rows) == 1:
            self._conn.execute("UPDATE sessions SET deleted = ?, data = ? WHERE id = ?", rows[0])
        elif rows:
            self._conn.execute("BEGIN")
            try:
                self._conn.executemany(
                    "UPDATE sessions SET deleted = ?, data = ? WHERE id = ?", rows
                )
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        for record in records:
            self._keep(record)

    # --- sessions -------------------------------------------------------------------

    def insert(self, record: SessionRecord) -> None:
        """Store a new session (assigns its ``seq``)."""
        with self.lock:
            self._seq += 1
            record.seq = self._seq
            self._conn.execute(
                "INSERT INTO sessions (id, seq, project_id, deduplication_id, deleted, data)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.seq,
                    record.project_id,
                    record.deduplication_id,
                    int(record.deleted_at is not None),
                    json.dumps(record.to_json()),
                ),
            )
            self._keep(self._copy(record))

    def update(self, record: SessionRecord) -> None:
        """Write back a changed session (the caller keeps its own copy)."""
        with self.lock:
            self._write([self._copy(record)])

    def get(self, session_id: str) -> SessionRecord | None:
        """Return (a copy of) the session with this id, or None; tombstones are None too."""
        with self.lock:
            project_id = self._project_of.get(session_id)
            if project_id is None:
                return None
            return self._copy(self._projects[project_id][session_id])

    def in_project(self, project_id: str) -> list[SessionRecord]:
        """Every live (not deleted) session of a project (copies), oldest first."""
        with self.lock:
            return [self._copy(r) for r in self._projects.get(project_id, {}).values()]

    def settle_due(
        self, project_id: str, now: datetime, settle: Callable[[SessionRecord], bool]
    ) -> bool:
        """Apply ``settle`` to every session of a project with a transition due by ``now``.

        ``settle`` changes the record it is given and says whether it did; changed
        records are written back. Sessions whose ``next_due`` is later are not visited,
        so this costs the number of due transitions, not the size of the project.
        Returns True if any session changed.
        """
        with self.lock:
            heap = self._heaps.get(project_id)
            live = self._projects.get(project_id, {})
            visited: list[str] = []
            changed: list[SessionRecord] = []
            try:
                while heap and heap[0][0] <= now:
                    due, _, session_id = heapq.heappop(heap)
                    if self._due.get(session_id) != due:
                        continue  # superseded by a later write
                    del self._due[session_id]
                    visited.append(session_id)
                    record = self._copy(live[session_id])
                    if settle(record):
                        changed.append(record)
                self._write(changed)
            finally:
                # Written records were rescheduled; put back any other visited one (also
                # if settle or the write failed), so no session drops off the schedule.
                for session_id in visited:
                    if session_id not in self._due and session_id in live:
                        self._schedule(live[session_id])
            return bool(changed)

    def ordered(
        self, project_id: str, name: str, key: Callable[[SessionRecord], Any]
    ) -> Sequence[SessionRecord]:
        """Return a project's live sessions sorted ascending by ``key``, kept as ``name``.

        ``key`` must give every session a distinct value (end it with ``seq``). The list
        is sorted once, then kept in order through every write; read it under
        :attr:`lock` (its records never change, so they can be used after it).
        """
        with self.lock:
            cached = self._orderings.setdefault(project_id, {})
            entry = cached.get(name)
            if entry is None:
                entry = (key, sorted(self._projects.get(project_id, {}).values(), key=key))
                cached[name] = entry
            return entry[1]

    def with_deduplication_id(self, project_id: str, deduplication_id: str) -> list[SessionRecord]:
        """Not-deleted sessions of a project carrying this deduplication id, oldest first."""
        with self.lock:
            rows = self._conn.execute(
                "SELECT id FROM sessions WHERE project_id = ? AND deduplication_id = ?"
                " AND deleted = 0 ORDER BY seq",
                (project_id, deduplication_id),
            ).fetchall()
            live = self._projects.get(project_id, {})
            return [self._copy(live[session_id]) for (session_id,) in rows]

    def everything(self) -> list[SessionRecord]:
        """Every session ever created, tombstones included, oldest first."""
        with self.lock:
            rows = self._conn.execute("SELECT data FROM sessions ORDER BY seq").fetchall()
        return [SessionRecord.from_json(json.loads(row[0])) for row in rows]

    def clear(self) -> None:
        """Forget every session (settings stay)."""
        with self.lock:
            self._conn.execute("DELETE FROM sessions")
            self._projects.clear()
            self._project_of.clear()
            self._heaps.clear()
            self._due.clear()
            self._orderings.clear()

    # --- settings -------------------------------------------------------------------

    def get_meta(self, key: str) -> Any:
        """Return a stored setting (JSON), or None."""
        with self.lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_meta(self, key: str, value: Any) -> None:
        """Store a setting (JSON)."""
        with self.lock:
            self._conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value)),
            )
