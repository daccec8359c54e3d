"""A tiny QaaS look-alike on loopback that answers exactly what a test tells it to.

For the replies the emulator never gives (a non-JSON error body, a session without its
id, an unknown status, a body cut short), so that the provider in the real host can be
shown one over a real socket. Each route has a :class:`Reply`; unset routes answer 404.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Loopback", "Reply", "session_body"]

SESSION_ROUTE = re.compile(r"^/qaas/v1alpha1/sessions/[^/]+$")


@dataclass
class Reply:
    """One reply: status, body bytes and content type; ``cut`` closes after that many bytes
    of a body announced in full (a reply truncated on the wire)."""

    status: int
    body: bytes
    content_type: str = "application/json"
    cut: int | None = None

    @classmethod
    def json(cls, status: int, payload: Any) -> Reply:
        """A well-formed JSON reply."""
        return cls(status, json.dumps(payload).encode())


def session_body(project_id: str, platform_id: str, **fields: Any) -> dict[str, Any]:
    """A complete, valid session as the API writes it, with ``fields`` laid over it."""
    body: dict[str, Any] = {
        "id": "0b5c6f1e-0000-4000-8000-000000000001",
        "name": "s",
        "platform_id": platform_id,
        "project_id": project_id,
        "created_at": "2030-01-01T10:00:00.000000Z",
        "started_at": None,
        "updated_at": "2030-01-01T10:00:00.000000Z",
        "terminated_at": None,
        "max_idle_duration": "1800s",
        "max_duration": "3600s",
        "waiting_job_count": 0,
        "finished_job_count": 0,
        "status": "starting",
        "tags": [],
        "deduplication_id": "",
        "origin_type": "customer",
        "origin_id": None,
        "progress_message": "Allocating resources",
        "booking_id": None,
        "model_id": None,
        "parameters": None,
    }
    body.update(fields)
    return body


def _with_fields_sent(reply: Reply, sent: bytes) -> Reply:
    """A session reply carrying the name and tags the request sent, as the API stores them.

    The provider tags the session it is creating and checks the tag on what comes back
    (pulumi_qpu/identity.py); a reply that dropped it would be someone else's session.
    """
    try:
        request, payload = json.loads(sent or b"{}"), json.loads(reply.body)
    except ValueError:
        return reply
    if reply.cut is not None or not isinstance(request, dict) or not isinstance(payload, dict):
        return reply
    laid = {key: request[key] for key in ("name", "tags") if request.get(key) is not None}
    if "id" not in payload or not laid:
        return reply
    return Reply(reply.status, json.dumps({**payload, **laid}).encode())


class Loopback:
    """The server; set ``replies[(method, route)]``, read ``requests`` afterwards.

    Routes are ``"sessions"`` (the collection), ``"session"`` (one session) and
    ``"terminate"``.
    """

    def __init__(self) -> None:
        """Start serving on a free loopback port."""
        self.replies: dict[tuple[str, str], Reply] = {}
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return  # quiet: the tests read self.requests instead

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                sent = self.rfile.read(length) if length else b""
                path = self.path.split("?", 1)[0]
                route = (
                    "sessions"
                    if path == "/qaas/v1alpha1/sessions"
                    else "terminate"
                    if path.endswith("/terminate")
                    else "session"
                    if SESSION_ROUTE.match(path)
                    else path
                )
                with owner._lock:
                    owner.requests.append((self.command, route))
                    reply = owner.replies.get((self.command, route))
                    if reply is None and (self.command, route) == ("PATCH", "session"):
                        # Unless told otherwise, PATCH answers the session POST made.
                        reply = owner.replies.get(("POST", "sessions"))
                if reply is None:
                    reply = Reply.json(404, {"type": "not_found", "message": "no such route"})
                reply = _with_fields_sent(reply, sent)
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                if reply.cut is not None:
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(reply.body if reply.cut is None else reply.body[: reply.cut])
                if reply.cut is not None:
                    self.close_connection = True

            do_GET = do_POST = do_PATCH = do_DELETE = _serve  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def calls(self, method: str, route: str) -> int:
        """How many requests ``method route`` received."""
        with self._lock:
            return self.requests.count((method, route))
