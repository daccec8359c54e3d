"""Error replies in the API's own format: ``{"type", "message", <the type's fields>}``.

Handlers raise :class:`ReplyError`; the app turns it into the JSON reply. One helper per
error type, so every reply of a type has the same fields and status.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pulumi_qpu.emulator import assumptions
from pulumi_qpu.models import format_timestamp

__all__ = [
    "ReplyError",
    "denied_authentication",
    "internal_error",
    "invalid_argument",
    "invalid_arguments",
    "not_found",
    "permissions_denied",
    "precondition_failed",
    "quotas_exceeded",
    "too_many_requests",
]


class ReplyError(Exception):
    """An error reply: HTTP status, JSON body and extra headers."""

    def __init__(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        """Keep the reply parts; ``body`` holds at least ``type`` and ``message``."""
        super().__init__(body.get("message", ""))
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def invalid_arguments(details: list[dict[str, str]]) -> ReplyError:
    """400 ``invalid_arguments`` with ``details: [{argument_name, reason, help_message}]``."""
    names = ", ".join(detail["argument_name"] for detail in details)
    return ReplyError(
        400,
        {
            "type": "invalid_arguments",
            "message": f"invalid argument(s): {names}",
            "details": details,
        },
    )


def invalid_argument(argument_name: str, reason: str, help_message: str) -> ReplyError:
    """400 ``invalid_arguments`` about one argument (reason required|format|constraint)."""
    return invalid_arguments(
        [{"argument_name": argument_name, "reason": reason, "help_message": help_message}]
    )


def denied_authentication(reason: str, message: str) -> ReplyError:
    """401 ``denied_authentication`` (method ``api_key``; reason invalid_argument|not_found)."""
    return ReplyError(
        401,
        {
            "type": "denied_authentication",
            "message": message,
            "method": "api_key",
            "reason": reason,
        },
    )


def permissions_denied(resource: str, action: str) -> ReplyError:
    """403 ``permissions_denied`` with ``details: [{resource, action}]``."""
    return ReplyError(
        403,
        {
            "type": "permissions_denied",
            "message": "insufficient permissions",
            "details": [{"resource": resource, "action": action}],
        },
    )


def quotas_exceeded(resource: str, quota: int, current: int) -> ReplyError:
    """403 ``quotas_exceeded`` with ``details: [{resource, quota, current}]``."""
    return ReplyError(
        403,
        {
            "type": "quotas_exceeded",
            "message": "quota(s) exceeded for this resource",
            "details": [{"resource": resource, "quota": quota, "current": current}],
        },
    )


def not_found(resource: str, resource_id: str) -> ReplyError:
    """404 ``not_found`` naming the resource kind and id."""
    return ReplyError(
        404,
        {
            "type": "not_found",
            "message": "resource is not found",
            "resource": resource,
            "resource_id": resource_id,
        },
    )


def precondition_failed(help_message: str) -> ReplyError:
    """412 ``precondition_failed``; ``help_message`` says why and what to do."""
    return ReplyError(
        412,
        {
            "type": "precondition_failed",
            "message": "precondition is not respected",
            "precondition": assumptions.REFUSAL_PRECONDITION,
            "help_message": help_message,
        },
    )


def too_many_requests(limit: int, reset_seconds: int, reset_at: datetime) -> ReplyError:
    """429 ``too_many_requests`` with ``Retry-After``."""
    return ReplyError(
        429,
        {
            "type": "too_many_requests",
            "message": "too many requests",
            "help_message": f"retry in {reset_seconds} s",
            "limit": limit,
            "reset_seconds": reset_seconds,
            "reset_at": format_timestamp(reset_at),
        },
        {"Retry-After": str(reset_seconds)},
    )


def internal_error(status: int) -> ReplyError:
    """Build a 5xx reply, as an overloaded or failing backend sends it."""
    return ReplyError(
        status, {"type": "internal_error", "message": "internal error (injected fault)"}
    )
