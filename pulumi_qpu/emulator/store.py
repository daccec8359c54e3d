"""SQLite state of the emulator: sessions (with tombstones) and a few settings.

One connection guarded by a re-entrant lock, so the store is safe from the event loop
and from threads alike; compound operations (create with deduplication, settle then
update) hold :attr:`SessionStore.lock` across their calls. Without a file the database
lives in memory; with one, WAL mode and a commit per write mean a restart loses nothing.

A session row is its :class:`SessionRecord` as JSON plus the columns used to look it up.
Deleted sessions stay as tombstones (``deleted_at`` set): the API never shows them, the
admin dump does (the oracle of "no duplicates" tests).
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
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
        data = dataclasses.asdict(self)
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


class SessionStore:
    """Sessions and settings in SQLite (a file, or memory when ``path`` is None)."""

    def __init__(self, path: str | None = None) -> None:
        """Open (and create when needed) the database."""
        self.lock = threading.RLock()
        self._conn = sqlite3.connect(
            path or ":memory:", check_same_thread=False, isolation_level=None
        )
        if path:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        row = self._conn.execute("SELECT COALESCE(MAX(seq), 0) FROM sessions").fetchone()
        self._seq = int(row[0])

    def close(self) -> None:
        """Close the database."""
        with self.lock:
            self._conn.close()

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

    def update(self, record: SessionRecord) -> None:
        """Write back a changed session."""
        with self.lock:
            self._conn.execute(
                "UPDATE sessions SET deleted = ?, data = ? WHERE id = ?",
                (int(record.deleted_at is not None), json.dumps(record.to_json()), record.id),
            )

    def get(self, session_id: str) -> SessionRecord | None:
        """Return the session with this id, or None; tombstones are None too."""
        with self.lock:
            row = self._conn.execute(
                "SELECT data FROM sessions WHERE id = ? AND deleted = 0", (session_id,)
            ).fetchone()
        return SessionRecord.from_json(json.loads(row[0])) if row else None

    def in_project(self, project_id: str) -> list[SessionRecord]:
        """Every live (not deleted) session of a project, oldest first."""
        with self.lock:
            rows = self._conn.execute(
                "SELECT data FROM sessions WHERE project_id = ? AND deleted = 0 ORDER BY seq",
                (project_id,),
            ).fetchall()
        return [SessionRecord.from_json(json.loads(row[0])) for row in rows]

    def with_deduplication_id(self, project_id: str, deduplication_id: str) -> list[SessionRecord]:
        """Not-deleted sessions of a project carrying this deduplication id, oldest first."""
        with self.lock:
            rows = self._conn.execute(
                "SELECT data FROM sessions WHERE project_id = ? AND deduplication_id = ?"
                " AND deleted = 0 ORDER BY seq",
                (project_id, deduplication_id),
            ).fetchall()
        return [SessionRecord.from_json(json.loads(row[0])) for row in rows]

    def everything(self) -> list[SessionRecord]:
        """Every session ever created, tombstones included, oldest first."""
        with self.lock:
            rows = self._conn.execute("SELECT data FROM sessions ORDER BY seq").fetchall()
        return [SessionRecord.from_json(json.loads(row[0])) for row in rows]

    def clear(self) -> None:
        """Forget every session (settings stay)."""
        with self.lock:
            self._conn.execute("DELETE FROM sessions")

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
