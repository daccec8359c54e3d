"""Lookups for Pulumi programs: platforms and sessions, plain and as Outputs.

In the style of Pulumi's generated providers, each lookup comes twice:

* ``get_platform(name=...)`` runs at once and returns the value;
* ``get_platform_output(name=...)`` takes Inputs (Outputs of other resources included)
  and returns an ``Output``; it does not run while an input is still unknown (during a
  preview), exactly like the engine's own invokes.

Dynamic providers cannot register invokes with the engine, so these call the QaaS API
directly from the program, with the credentials the provider would use: stack config
``qpu:secretKey`` / ``qpu:projectId`` / ``qpu:apiUrl`` / ``qpu:profile``, then the
environment (``SCW_*``), then the scw config file.

Results are the wire models (:class:`~pulumi_qpu.models.Platform`,
:class:`~pulumi_qpu.models.Session`): typed attributes, e.g. ``platform.id``. To export a
whole result, export ``result.model_dump(mode="json")``.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import pulumi
import pulumi.runtime

from pulumi_qpu.client import QaasClient
from pulumi_qpu.config import for_stack, resolve_config
from pulumi_qpu.cost import total_by_currency
from pulumi_qpu.errors import ConfigurationError, InvalidInputError
from pulumi_qpu.models import (
    ListPlatformsOrderBy,
    ListSessionsOrderBy,
    Platform,
    PlatformTechnology,
    PlatformType,
    Session,
)
from pulumi_qpu.retry import PULUMI_RETRY_POLICY

__all__ = [
    "estimate_cost",
    "get_platform",
    "get_platform_output",
    "get_session",
    "get_session_output",
    "list_platforms",
    "list_platforms_output",
    "list_sessions",
    "list_sessions_output",
]

_STACK_KEYS = ("qpu:secretKey", "qpu:projectId", "qpu:apiUrl", "qpu:profile")

_lock = threading.Lock()
_client: QaasClient | None = None
_client_key: tuple[str | None, ...] | None = None  # (secret key, project, URL)


def _stack_config() -> dict[str, str]:
    # runtime.get_config reads the raw value without the "use get_secret" warning that
    # pulumi.Config.get prints for secrets; the value never leaves this process.
    values = {key: pulumi.runtime.get_config(key) for key in _STACK_KEYS}
    return {key: str(value) for key, value in values.items() if value is not None}


def _get_client() -> QaasClient:
    """Return the program's client, shared by lookups until the configuration changes."""
    global _client, _client_key  # noqa: PLW0603 - one connection pool per process
    try:
        config = resolve_config(stack_config=_stack_config())
    except ConfigurationError as exc:
        # A program passes no secret_key=: the fix is the stack's (pulumi config set ...).
        raise for_stack(exc) from None
    key = (config.secret_key, config.project_id, config.api_url)
    with _lock:
        if _client is None or key != _client_key:
            if _client is not None:
                _client.close()
            _client = QaasClient.from_config(config, retry=PULUMI_RETRY_POLICY)
            _client_key = key
        return _client


def get_platform(*, name: str | None = None, platform_id: str | None = None) -> Platform:
    """Return one platform, by ``name`` (``"EMU-AER-16C-128M"``) or by ``platform_id``.

    Raises :class:`~pulumi_qpu.errors.PlatformNotFoundError` (listing the closest names)
    for an unknown name, :class:`~pulumi_qpu.errors.NotFoundError` for an unknown id,
    :class:`~pulumi_qpu.errors.InvalidInputError` (suggesting ``name=``) for a
    ``platform_id`` that is not a UUID.
    """
    if (name is None) == (platform_id is None):
        raise ValueError("get_platform: give exactly one of name= or platform_id=")
    if platform_id is not None and not _looks_like_uuid(platform_id):
        # A name in platform_id= would reach the API and come back as a bare 400.
        raise InvalidInputError(
            "platform_id",
            f"{platform_id!r} is not a platform id (a UUID); to look a platform up by its "
            f"name, call get_platform(name={platform_id!r})",
        )
    client = _get_client()
    if platform_id is not None:
        return client.get_platform(platform_id)
    assert name is not None  # for mypy: checked above
    return client.find_platform(name)


def _looks_like_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def get_platform_output(
    *, name: pulumi.Input[str] | None = None, platform_id: pulumi.Input[str] | None = None
) -> pulumi.Output[Platform]:
    """:func:`get_platform` taking Inputs and returning an Output."""
    return pulumi.Output.all(name, platform_id).apply(
        lambda args: get_platform(name=args[0], platform_id=args[1])
    )


def list_platforms(
    *,
    provider_name: str | None = None,
    backend_name: str | None = None,
    name: str | None = None,
    platform_type: PlatformType | str | None = None,
    platform_technology: PlatformTechnology | str | None = None,
    order_by: ListPlatformsOrderBy | str | None = None,
) -> list[Platform]:
    """Return every platform matching the filters (all pages)."""
    return list(
        _get_client().list_platforms(
            provider_name=provider_name,
            backend_name=backend_name,
            name=name,
            platform_type=platform_type,
            platform_technology=platform_technology,
            order_by=order_by,
        )
    )


def list_platforms_output(
    *,
    provider_name: pulumi.Input[str] | None = None,
    backend_name: pulumi.Input[str] | None = None,
    name: pulumi.Input[str] | None = None,
    platform_type: pulumi.Input[str] | None = None,
    platform_technology: pulumi.Input[str] | None = None,
    order_by: pulumi.Input[str] | None = None,
) -> pulumi.Output[list[Platform]]:
    """:func:`list_platforms` taking Inputs and returning an Output."""
    inputs: dict[str, Any] = {
        "provider_name": provider_name,
        "backend_name": backend_name,
        "name": name,
        "platform_type": platform_type,
        "platform_technology": platform_technology,
        "order_by": order_by,
    }
    return pulumi.Output.all(**inputs).apply(lambda args: list_platforms(**args))


def get_session(*, session_id: str) -> Session:
    """Return the session with this id (:class:`~pulumi_qpu.errors.NotFoundError` if none)."""
    return _get_client().get_session(session_id)


def get_session_output(*, session_id: pulumi.Input[str]) -> pulumi.Output[Session]:
    """:func:`get_session` taking an Input and returning an Output."""
    return pulumi.Output.from_input(session_id).apply(lambda sid: get_session(session_id=sid))


def list_sessions(
    *,
    project_id: str | None = None,
    platform_id: str | None = None,
    tags: Sequence[str] | None = None,
    order_by: ListSessionsOrderBy | str | None = None,
) -> list[Session]:
    """Return every session of the project matching the filters (all pages).

    ``project_id`` defaults to the configured project; ``tags`` keeps sessions carrying
    every given tag.
    """
    return list(
        _get_client().list_sessions(
            project_id=project_id, platform_id=platform_id, tags=tags, order_by=order_by
        )
    )


def list_sessions_output(
    *,
    project_id: pulumi.Input[str] | None = None,
    platform_id: pulumi.Input[str] | None = None,
    tags: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
    order_by: pulumi.Input[str] | None = None,
) -> pulumi.Output[list[Session]]:
    """:func:`list_sessions` taking Inputs and returning an Output."""
    inputs: dict[str, Any] = {
        "project_id": project_id,
        "platform_id": platform_id,
        "tags": tags,
        "order_by": order_by,
    }
    return pulumi.Output.all(**inputs).apply(lambda args: list_sessions(**args))


class _Costed(Protocol):
    """What :func:`estimate_cost` reads of a Session: its worst case and its currency."""

    @property
    def worst_case_cost(self) -> pulumi.Output[str | None]: ...

    @property
    def currency(self) -> pulumi.Output[str | None]: ...


def estimate_cost(sessions: Iterable[_Costed]) -> pulumi.Output[dict[str, str] | None]:
    """Sum the worst cases of ``sessions`` per currency: ``Output({"EUR": "41.30"})``.

    For a stack output (``pulumi.export("worst_case_cost", estimate_cost(sessions))``).
    Each worst case is the Session's rounded ``worst_case_cost`` (price per hour times
    ``max_duration``; per-shot and per-circuit prices are not in it: docs/cost.md).
    Currencies are never added together or converted. The result is unknown while any
    worst case is unknown (at preview), and ``None`` when one cannot be known (no
    ``max_duration`` on a paid platform before the session exists, no published price):
    a sum that leaves a session out is not a worst case. Calls no API.
    """
    pairs = [pulumi.Output.all(s.worst_case_cost, s.currency) for s in sessions]
    return pulumi.Output.all(*pairs).apply(
        lambda values: total_by_currency((amount, currency) for amount, currency in values)
    )
