"""The emulator's HTTP face: a small ASGI app on Starlette's request and response types.

Routing is a table of ``(method, path template)`` so that the request counters, the
fault script and the docs share one key per route (``"GET /qaas/v1alpha1/sessions"``).
Every error is an :class:`~pulumi_qpu.emulator.problems.ReplyError` rendered in the API's
format; nothing ever answers FastAPI-style 422. Under ``/_emulator`` sits the admin API
(clock, faults, counters, reset, raw dump), which needs a valid key but meets no fault
and is not counted.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from email.utils import format_datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from pulumi_qpu.emulator import assumptions, connections
from pulumi_qpu.emulator.faults import FaultDecision, FaultSettings
from pulumi_qpu.emulator.problems import (
    ReplyError,
    internal_error,
    invalid_argument,
    too_many_requests,
)
from pulumi_qpu.emulator.service import Emulator
from pulumi_qpu.models import Platform, format_timestamp

__all__ = ["ADMIN_PREFIX", "API_PREFIX", "EmulatorApp", "route_keys"]

_log = logging.getLogger("pulumi_qpu.emulator")

API_PREFIX = "/qaas/v1alpha1"
ADMIN_PREFIX = "/_emulator"

Handler = Callable[[Request, dict[str, str]], Awaitable[Response]]


@dataclass(frozen=True)
class _Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler
    admin: bool

    @property
    def key(self) -> str:
        return f"{self.method} {self.template}"


def _compile(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    if isinstance(data, BaseModel):
        body = data.model_dump_json().encode()
    else:
        body = json.dumps(data).encode()
    return Response(body, status_code=status, headers=headers, media_type="application/json")


# Platform properties the published contract types as objects, never null. The catalogue
# fills booking_requirement and hardware; a price it has none for is left out of the
# reply (the contract requires no property), where a made-up zero would read as free.
_NEVER_NULL_PLATFORM_OBJECTS = (
    "price_per_hour",
    "price_per_shot",
    "price_per_circuit",
    "hardware",
    "booking_requirement",
)


def _platform_wire(platform: Platform) -> dict[str, Any]:
    wire = platform.model_dump(mode="json")
    for name in _NEVER_NULL_PLATFORM_OBJECTS:
        if wire.get(name, ...) is None:
            del wire[name]
    return wire


def _problem(problem: ReplyError) -> Response:
    return _json(problem.body, problem.status, problem.headers)


async def _body(request: Request, *, required: bool = True) -> Any:
    raw = await request.body()
    if not raw.strip():
        if required:
            raise invalid_argument("body", "required", "a JSON object is expected")
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise invalid_argument("body", "format", "the body is not valid JSON") from None


async def _object_body(request: Request) -> dict[str, Any]:
    body = await _body(request)
    if not isinstance(body, dict):
        raise invalid_argument("body", "format", "the body must be a JSON object")
    return body


class EmulatorApp:
    """ASGI application serving :class:`Emulator`."""

    def __init__(self, emulator: Emulator) -> None:
        """Build the route table."""
        self.emulator = emulator
        api, admin = API_PREFIX, ADMIN_PREFIX
        table: list[tuple[str, str, Handler, bool]] = [
            ("GET", f"{api}/sessions", self.list_sessions, False),
            ("POST", f"{api}/sessions", self.create_session, False),
            ("GET", f"{api}/sessions/{{session_id}}", self.get_session, False),
            ("PATCH", f"{api}/sessions/{{session_id}}", self.update_session, False),
            ("DELETE", f"{api}/sessions/{{session_id}}", self.delete_session, False),
            ("POST", f"{api}/sessions/{{session_id}}/terminate", self.terminate_session, False),
            ("GET", f"{api}/platforms", self.list_platforms, False),
            ("GET", f"{api}/platforms/{{platform_id}}", self.get_platform, False),
            ("GET", f"{admin}/state", self.admin_state, True),
            ("PATCH", f"{admin}/config", self.admin_config, True),
            ("POST", f"{admin}/clock/advance", self.admin_advance, True),
            ("GET", f"{admin}/faults", self.admin_get_faults, True),
            ("PUT", f"{admin}/faults", self.admin_set_faults, True),
            ("GET", f"{admin}/counters", self.admin_counters, True),
            ("DELETE", f"{admin}/counters", self.admin_reset_counters, True),
            ("POST", f"{admin}/reset", self.admin_reset, True),
            ("GET", f"{admin}/sessions", self.admin_sessions, True),
        ]
        self.routes = [
            _Route(method, template, _compile(template), handler, is_admin)
            for method, template, handler, is_admin in table
        ]

    # --- dispatch -------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection scope."""
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        response = await self._dispatch(request, scope)
        if response is not None:
            await response(scope, receive, self._dated(send))

    def _dated(self, send: Send) -> Send:
        # Every reply's Date is the emulated clock's time, as a real server's Date is the
        # clock its sessions end by: a client can then tell how long a session has run
        # (started_at to the reply's Date) even after the clock was advanced.
        async def dated(message: Message) -> None:
            if message["type"] == "http.response.start":
                date = format_datetime(self.emulator.now(), usegmt=True).encode("latin-1")
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"date"]
                message = {**message, "headers": [*headers, (b"date", date)]}
            await send(message)

        return dated

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.emulator.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _match(self, method: str, path: str) -> tuple[_Route | None, dict[str, str], bool]:
        path_matched = False
        for route in self.routes:
            match = route.pattern.match(path)
            if match is None:
                continue
            path_matched = True
            if route.method == method:
                return route, match.groupdict(), True
        return None, {}, path_matched

    async def _dispatch(self, request: Request, scope: Scope) -> Response | None:
        route, path_params, path_matched = self._match(request.method, request.url.path)
        if route is None:
            self.emulator.count("UNMATCHED")
            status = 405 if path_matched else 404
            return _json(
                {
                    "type": "not_found" if status == 404 else "method_not_allowed",
                    "message": "no such route" if status == 404 else "method not allowed",
                },
                status,
            )
        if route.admin:
            return await self._run(route, request, path_params)
        self.emulator.count(route.key)
        decision = self.emulator.faults.decide(route.key)
        latency = self.emulator.faults.latency
        if latency > 0:
            await asyncio.sleep(latency)
        if decision is not None and decision.kind != "drop":
            return await self._inject(decision, scope)
        response = await self._run(route, request, path_params)
        if decision is not None and await connections.abort(dict(scope)):
            return None  # commit-then-drop: the work is done, the reply never leaves
        return response

    async def _inject(self, decision: FaultDecision, scope: Scope) -> Response | None:
        if decision.kind == "reset":
            if await connections.abort(dict(scope)):
                return None
            # Not under our uvicorn protocol (an in-process test transport): say so.
            raise ConnectionResetError("injected connection reset")
        if decision.kind == "throttle":
            moment = self.emulator.now() + timedelta(seconds=decision.retry_after)
            return _problem(
                too_many_requests(assumptions.INJECTED_THROTTLE_LIMIT, decision.retry_after, moment)
            )
        if decision.type:
            body: dict[str, object] = {
                "type": decision.type,
                "message": f"{decision.type} (injected fault)",
            }
            body.update(decision.fields)
            return _json(body, decision.status)
        return _problem(internal_error(decision.status))

    async def _run(self, route: _Route, request: Request, params: dict[str, str]) -> Response:
        try:
            return await route.handler(request, params)
        except ReplyError as problem:
            return _problem(problem)
        except Exception:
            # A bug of the emulator: say so in the API's format, and log it for the tests.
            _log.exception("%s %s failed", request.method, request.url.path)
            return _json({"type": "internal_error", "message": "emulator bug; see its log"}, 500)

    def _projects(self, request: Request) -> frozenset[str]:
        return self.emulator.authenticate(request.headers.get("x-auth-token"))

    # --- API ------------------------------------------------------------------------

    async def list_sessions(self, request: Request, _: dict[str, str]) -> Response:
        """``GET /sessions``."""
        projects = self._projects(request)
        query = request.query_params
        # "?tags=" (an empty value) is how some clients send "no tag filter".
        tags = [tag for tag in query.getlist("tags") if tag]
        return _json(self.emulator.list_sessions(projects, dict(query), tags))

    async def create_session(self, request: Request, _: dict[str, str]) -> Response:
        """``POST /sessions``."""
        projects = self._projects(request)
        body = await _object_body(request)
        return _json(self.emulator.create_session(projects, body))

    async def get_session(self, request: Request, params: dict[str, str]) -> Response:
        """``GET /sessions/{session_id}``."""
        projects = self._projects(request)
        return _json(self.emulator.get_session(projects, params["session_id"]))

    async def update_session(self, request: Request, params: dict[str, str]) -> Response:
        """``PATCH /sessions/{session_id}``."""
        projects = self._projects(request)
        body = await _object_body(request)
        return _json(self.emulator.update_session(projects, params["session_id"], body))

    async def delete_session(self, request: Request, params: dict[str, str]) -> Response:
        """``DELETE /sessions/{session_id}``: 204, no body."""
        projects = self._projects(request)
        self.emulator.delete_session(projects, params["session_id"])
        return Response(status_code=204)

    async def terminate_session(self, request: Request, params: dict[str, str]) -> Response:
        """``POST /sessions/{session_id}/terminate``."""
        projects = self._projects(request)
        body = await _body(request, required=False)
        return _json(self.emulator.terminate_session(projects, params["session_id"], body))

    async def list_platforms(self, request: Request, _: dict[str, str]) -> Response:
        """``GET /platforms``."""
        self._projects(request)
        listed = self.emulator.list_platforms(dict(request.query_params))
        return _json(
            {
                "total_count": listed.total_count,
                "platforms": [_platform_wire(platform) for platform in listed.platforms],
            }
        )

    async def get_platform(self, request: Request, params: dict[str, str]) -> Response:
        """``GET /platforms/{platform_id}``."""
        self._projects(request)
        return _json(_platform_wire(self.emulator.get_platform(params["platform_id"])))

    # --- admin ----------------------------------------------------------------------

    async def admin_state(self, request: Request, _: dict[str, str]) -> Response:
        """Clock, delays and settings."""
        self._projects(request)
        return _json(self.emulator.describe())

    async def admin_config(self, request: Request, _: dict[str, str]) -> Response:
        """Change ``start_delay``, ``stop_delay`` or ``time_scale`` while running."""
        self._projects(request)
        body = await _object_body(request)
        for name in body:
            if name not in ("start_delay", "stop_delay", "time_scale"):
                raise invalid_argument(name, "constraint", "unknown setting")
        values: dict[str, float] = {}
        for name, value in body.items():
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise invalid_argument(name, "constraint", "a number >= 0")
            values[name] = float(value)
        if "start_delay" in values:
            self.emulator.start_delay = values["start_delay"]
        if "stop_delay" in values:
            self.emulator.stop_delay = values["stop_delay"]
        if "time_scale" in values:
            if values["time_scale"] <= 0:
                raise invalid_argument("time_scale", "constraint", "greater than zero")
            self.emulator.clock.set_time_scale(values["time_scale"])
        return _json(self.emulator.describe())

    async def admin_advance(self, request: Request, _: dict[str, str]) -> Response:
        """``{"seconds": N}``: move the emulated clock forward."""
        self._projects(request)
        body = await _object_body(request)
        seconds = body.get("seconds")
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
            raise invalid_argument("seconds", "constraint", "a number of seconds >= 0")
        moment = self.emulator.advance(float(seconds))
        return _json({"now": format_timestamp(moment)})

    async def admin_get_faults(self, request: Request, _: dict[str, str]) -> Response:
        """Return the fault settings, with what is left of the script."""
        self._projects(request)
        return _json(self.emulator.faults.settings)

    async def admin_set_faults(self, request: Request, _: dict[str, str]) -> Response:
        """Replace the fault settings (``{}`` turns every fault off)."""
        self._projects(request)
        body = await _object_body(request)
        try:
            settings = FaultSettings.model_validate(body)
        except ValidationError as exc:
            first = exc.errors()[0]
            name = ".".join(str(part) for part in first["loc"]) or "body"
            raise invalid_argument(name, "constraint", first["msg"]) from exc
        self.emulator.faults.configure(settings)
        return _json(self.emulator.faults.settings)

    async def admin_counters(self, request: Request, _: dict[str, str]) -> Response:
        """Return requests per route (``"GET /qaas/v1alpha1/sessions/{session_id}"``)."""
        self._projects(request)
        counters = self.emulator.counters()
        return _json({"counters": counters, "total": sum(counters.values())})

    async def admin_reset_counters(self, request: Request, _: dict[str, str]) -> Response:
        """Zero every counter."""
        self._projects(request)
        self.emulator.reset_counters()
        return Response(status_code=204)

    async def admin_reset(self, request: Request, _: dict[str, str]) -> Response:
        """Forget every session; faults, delays and counters back to start-up values."""
        self._projects(request)
        self.emulator.reset()
        return Response(status_code=204)

    async def admin_sessions(self, request: Request, _: dict[str, str]) -> Response:
        """Every session ever created, deleted ones included, with bookkeeping fields."""
        self._projects(request)
        return _json({"sessions": self.emulator.raw_sessions()})


def route_keys(app: EmulatorApp) -> list[str]:
    """Return the counter key of every API route (for docs and tests)."""
    return [route.key for route in app.routes if not route.admin]
