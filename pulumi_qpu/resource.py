"""``Session``: a Scaleway QaaS quantum computing session as a Pulumi resource.

A dynamic resource (type token ``pulumi-python:dynamic/qpu:Session``) run by
:class:`pulumi_qpu.provider.SessionProvider`. Every session field is a typed Output;
every input, its default and whether a change updates in place or replaces is listed in
``docs/provider.md``.
"""

import importlib.metadata
import pickle
from collections.abc import Awaitable, Mapping
from dataclasses import fields
from datetime import timedelta
from decimal import Decimal
from typing import Any, cast

import pulumi
import pulumi.dynamic
from pydantic import BaseModel

from pulumi_qpu._session_fields import SessionArgs, SessionOutputs
from pulumi_qpu.checks import canonical_parameters
from pulumi_qpu.errors import QpuError
from pulumi_qpu.provider import OUTPUT_KEYS, SessionProvider
from pulumi_qpu.sweeper import ensure_sweeper

__all__ = ["Session", "SessionArgs"]


_DURATION_FIELDS = ("max_idle_duration", "max_duration", "create_timeout", "delete_timeout")
# Sent as text or numbers (no Decimal or timedelta on the wire): the durations and a budget.
_PLAIN_FIELDS = (*_DURATION_FIELDS, "max_cost")

# One provider object for every Session: it pickles to the same 76-byte reference, so
# the host deserializes it once and all Sessions share one client.
_PROVIDER = SessionProvider()


def _original_batch_setitems() -> Any:
    """``pickle._Pickler._batch_setitems`` as the standard library defines it.

    The SDK's ``serialize_provider`` wraps it again on every call and never restores it
    (pulumi 3.272); if something already serialized a provider, walk back the closures.
    """
    method = pickle._Pickler.__dict__["_batch_setitems"]
    while getattr(method, "__qualname__", "") != "_Pickler._batch_setitems":
        inner = [
            cell.cell_contents
            for cell in (getattr(method, "__closure__", None) or ())
            if callable(cell.cell_contents)
        ]
        if not inner:
            break
        method = inner[0]
    return method


_BATCH_SETITEMS = _original_batch_setitems()


def _restore_pickler() -> None:
    # Undo the SDK's wrapper chain before each construction: it would otherwise grow by
    # one closure per dynamic resource and raise RecursionError after a few hundred.
    pickle._Pickler._batch_setitems = _BATCH_SETITEMS  # type: ignore[attr-defined]


_STACK_TYPE = "pulumi:pulumi:Stack"


def _resource_key(
    type_token: str, resource_name: str, parent: pulumi.Resource | None
) -> pulumi.Input[str]:
    """Return what tells this Session apart from every other, for its deduplication ids.

    The engine tells resources apart by URN: stack, project, the chain of parent types,
    and the name. A Session at the top of the stack keeps the key it always had,
    ``<organization>/<project>/<stack>/<name>``; one under a component adds the chain as
    its URN spells it, so that two Sessions named alike under components of different
    types never share a session.
    """
    organization = pulumi.get_organization() or "organization"
    flat = f"{organization}/{pulumi.get_project()}/{pulumi.get_stack()}/{resource_name}"
    if parent is None:
        return flat

    def under(parent_urn: str) -> str:
        # urn:pulumi:<stack>::<project>::<qualified type>::<name>
        head, project, qualified_type, _ = parent_urn.split("::", 3)
        if qualified_type == _STACK_TYPE:
            return flat
        # The engine leaves the stack out of its children's types; the SDK's mocks do not.
        qualified_type = qualified_type.removeprefix(f"{_STACK_TYPE}$")
        urn = f"{head}::{project}::{qualified_type}${type_token}::{resource_name}"
        return f"{organization}/{urn}"

    # The parent's URN without the parent as a dependency: depending on a component means
    # waiting for its children, this Session among them, which the SDK reports as a cycle.
    # The URN itself is known as soon as the component registers, before its children.
    urn = parent.urn
    value = cast("Awaitable[str]", urn.future())  # None only while unknown: apply skips it
    detached: pulumi.Output[str] = pulumi.Output(set(), value, urn.is_known(), urn.is_secret())
    return detached.apply(under)


def _options(
    opts: pulumi.ResourceOptions | None, deduplication_id: object
) -> pulumi.ResourceOptions | None:
    """Add ``delete_before_replace`` when the session's deduplication id is the user's.

    A given id is shared by design, so a replacement created first would join the very
    session it replaces. Diff asks for delete-before-replace too, but ``pulumi up
    --replace`` and taint never call diff: only the resource option reaches them. An
    explicit ``delete_before_replace`` of the user's wins.
    """
    if deduplication_id is None or (opts is not None and opts.delete_before_replace is not None):
        return opts
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(delete_before_replace=True))


GET_SDK_FLOOR: tuple[int, int, int] = (3, 268, 0)
"""The first pulumi SDK whose dynamic host can read a resource by id (``Session.get``).

Before it, the host looks for the provider in the Read's old outputs only, which a read
by id has none of, and fails with ``KeyError: '__provider'``."""


def _sdk_version() -> tuple[int, ...]:
    release = importlib.metadata.version("pulumi").split("+")[0].split("-")[0]
    return tuple(int(part) for part in release.split(".")[:3] if part.isdigit())


def _plain_duration(value: Any) -> Any:
    # Pulumi cannot send a timedelta or Decimal; check parses every other form.
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _parameters_text(value: Any) -> Any:
    """Return a dict of parameters as its canonical JSON text; anything else as is.

    The engine carries every number as a float64: a dict sent as such would reach the
    API as ``1.0`` for ``1`` and rounded past 2**53 (``12345678901234567`` becomes
    ``12345678901234568``). As text, the numbers cross the engine exactly as declared.
    What cannot be written as JSON is left for check, which names the property.
    """
    if isinstance(value, Mapping):
        try:
            return canonical_parameters(value)
        except (TypeError, ValueError):
            return value
    return value


def _parameters_input(value: Any) -> pulumi.Input[Any]:
    """``parameters`` as the engine should see it: text, made from a dict here."""
    if isinstance(value, (pulumi.Output, Mapping)):
        # from_input resolves Outputs nested in the dict (a secret one makes the whole
        # text secret; an unknown one, at preview, makes it unknown).
        return pulumi.Output.from_input(value).apply(_parameters_text)
    return value


class Session(SessionOutputs, pulumi.dynamic.Resource, module="qpu", name="Session"):
    """A quantum computing session on one platform: created, updated and ended by Pulumi.

    ``Session("s", SessionArgs(platform_name="EMU-AER-16C-128M"))`` or, equally,
    ``Session("s", platform_name="EMU-AER-16C-128M")``.
    """

    # Every output, typed, is declared in the generated SessionOutputs (from the spec). The
    # SDK reads a resource's output types from the class's own annotations only (it casts
    # the engine's floats back to int by them), so they are copied here too.
    __annotations__ = dict(SessionOutputs.__annotations__)

    def __init__(
        self,
        resource_name: str,
        args: SessionArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        """Declare a session; give ``args`` or the same fields as keyword arguments."""
        if args is not None and kwargs:
            raise TypeError("give SessionArgs or keyword arguments, not both")
        args = args if args is not None else SessionArgs(**kwargs)
        # Not dataclasses.asdict: it deep-copies, and Outputs must stay the same objects.
        values = {f.name: getattr(args, f.name) for f in fields(args)}
        props: dict[str, Any] = {}
        for key, value in values.items():
            if value is None:
                continue
            if isinstance(value, BaseModel):
                props[key] = value.model_dump(mode="json", exclude_none=True)
            elif key == "parameters":
                props[key] = _parameters_input(value)
            elif key in _PLAIN_FIELDS and isinstance(value, pulumi.Output):
                props[key] = value.apply(_plain_duration)
            elif key in _PLAIN_FIELDS:
                props[key] = _plain_duration(value)
            else:
                props[key] = value
        # Stable identity for the derived deduplication id (docs/provider.md).
        # The type token as the SDK builds it from module= and name= below.
        type_token = f"pulumi-python:{self._resource_type_name}"
        props["resource_key"] = _resource_key(
            type_token, resource_name, opts.parent if opts else None
        )
        # Only keys present in props become Output attributes: declare every field.
        for key in OUTPUT_KEYS:
            if key != "id":
                props.setdefault(key, None)
        # The stack's leftover sweeper: destroy ends what interrupted creates left running.
        organization = pulumi.get_organization() or "organization"
        ensure_sweeper(f"{organization}/{pulumi.get_project()}/{pulumi.get_stack()}")
        _restore_pickler()
        super().__init__(
            _PROVIDER, resource_name, props, _options(opts, values["deduplication_id"])
        )

    @staticmethod
    def get(
        resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> "Session":
        """Read the existing session ``id`` as a Pulumi resource, with every output.

        A read, not a management: the stack records the session's fields, and Pulumi never
        changes or ends it (``destroy`` only forgets it); ``pulumi refresh`` reads it again.
        To manage an existing session, declare ``Session(..., session_id=id)`` (adoption);
        for its fields as a plain object, :func:`pulumi_qpu.get_session`. An id that names
        no session the credentials can see fails the run, naming the id.

        Needs the pulumi SDK 3.268 or later (:data:`GET_SDK_FLOOR`); with an older one this
        raises :class:`~pulumi_qpu.errors.QpuError` pointing to those two instead.
        """
        if _sdk_version() < GET_SDK_FLOOR:
            raise QpuError(
                f"Session.get needs pulumi {'.'.join(map(str, GET_SDK_FLOOR))} or later (this "
                f"is {importlib.metadata.version('pulumi')}: its dynamic provider host cannot "
                "read a resource by id); upgrade pulumi, or use pulumi_qpu.get_session("
                "session_id=...) for the session's fields, or Session(..., session_id=...) to "
                "manage it"
            )
        # Only keys present in props become Output attributes: declare every field.
        props: dict[str, Any] = {key: None for key in OUTPUT_KEYS if key != "id"}
        session = Session.__new__(Session)
        _restore_pickler()
        pulumi.dynamic.Resource.__init__(
            session,
            _PROVIDER,
            resource_name,
            props,
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id)),
        )
        return session
