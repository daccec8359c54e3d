"""Which session a Session's create gets: deduplication ids, the creating tag, the chain.

The API returns the existing *live* (``starting``/``running``) session of a project when
a create carries a deduplication id it already knows. A Session without a
``deduplication_id`` of its own uses that for idempotent creates, and everything it
needs to decide is found on the API, never in the olds the engine sends (it sends none
at all to the Check that precedes a replacement's Create, and the dynamic host passes
neither the URN nor the engine's random seed to the provider)::

    root  = "pulumi-qpu-" + sha256(resource_key)[:32]
    after = "pulumi-qpu-" + sha256(resource_key + "/after/" + <session id>)[:32]

``resource_key`` is ``<organization>/<project>/<stack>/<resource name>``, or
``<organization>/<the Session's URN>`` under a component (set by :class:`Session`).

**The creating tag.** Every create POSTs the session with one extra tag,
``pulumi-qpu:creating:<fingerprint>`` (the fingerprint hashes what the API cannot change:
platform, project, model, parameters, booking demand), and removes it with a PATCH of
the tags just before create returns successfully. A session carrying it was made by a
create that never returned, so no state can point to it: it is this resource's to adopt
or to end. A session without it was returned by a create, so a state very likely points
to it: it is never ended here.

**The walk** (:func:`obtain_session`), from ``root``:

* the POST made a session, or returned one carrying the creating tag for the same
  fingerprint (an interrupted create or replacement, run again): that is the session;
* it returned one carrying the creating tag for another fingerprint (an interrupted
  create whose declaration has changed since): terminate it (it is in no state) and
  POST the same id again;
* it returned one without the tag (the session a replacement replaces, whatever
  triggered it: an input change, ``--replace``, taint): keep it, and POST the next id,
  ``after`` that session's id. The chain is deterministic, so the re-run of an
  interrupted replacement walks to the very session it made before.

A session that ended by itself is not live, so the API makes a fresh one at its id.
At most :data:`MAX_STEPS` POSTs, then a clear error.

**The one ambiguity.** A session made by a create that *returned*, whose engine
checkpoint was never written (the engine killed in the milliseconds between), looks like
the session a replacement replaces: it is kept running rather than risking ending the
one a state points to. It ends with its ``max_idle_duration``; see docs/provider.md.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from pulumi_qpu.client import QaasClient
from pulumi_qpu.errors import QpuError
from pulumi_qpu.models import Session as WireSession
from pulumi_qpu.models import SessionStatus

__all__ = [
    "CREATING_TAG",
    "DERIVED_DEDUPLICATION_PREFIX",
    "ENDED",
    "MAX_STEPS",
    "creating_tag",
    "derived_deduplication_id",
    "identity_key",
    "is_creating_tag",
    "matches",
    "obtain_session",
    "terminate_quietly",
    "user_tags",
]

DERIVED_DEDUPLICATION_PREFIX: Final = "pulumi-qpu-"
"""Prefix of the deduplication ids the provider derives."""

CREATING_TAG: Final = "pulumi-qpu:creating"
"""Prefix of the tag a session carries while the create that made it has not returned.

Reserved: check refuses user tags that start with it."""

MAX_STEPS: Final = 5
"""Most POSTs one create makes while walking the chain of derived ids."""

ENDED: Final = frozenset({SessionStatus.STOPPING, SessionStatus.STOPPED})
"""Statuses of a session that can never run again."""

# What the API cannot change in place: a leftover that differs in one of them is not
# the session this declaration would make.
_FINGERPRINTED: Final = ("platform_id", "project_id", "model_id", "parameters", "booking_demand")


def derived_deduplication_id(resource_key: str, after: str | None = None) -> str:
    """Return the derived deduplication id: the root, or the one ``after`` a session id.

    Always 43 characters, whatever the key's length (the API's limit is 128).
    """
    text = resource_key if after is None else f"{resource_key}/after/{after}"
    return DERIVED_DEDUPLICATION_PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def identity_key(inputs: Mapping[str, Any]) -> str:
    """Return the key ids derive from: ``resource_key``, or the declared values."""
    key = inputs.get("resource_key")
    if key:
        return str(key)
    # The provider used outside Session: the declared values are the best stable
    # identity there is.
    return "|".join(str(inputs.get(k) or "") for k in ("project_id", "platform_id", "name"))


def creating_tag(inputs: Mapping[str, Any]) -> str:
    """Return the tag a create puts on the session it makes, for these checked inputs."""
    fixed = {key: inputs.get(key) or None for key in _FINGERPRINTED}
    text = json.dumps(fixed, sort_keys=True, separators=(",", ":"))
    return f"{CREATING_TAG}:{hashlib.sha256(text.encode('utf-8')).hexdigest()[:16]}"


def is_creating_tag(tag: object) -> bool:
    """Tell whether ``tag`` is (or imitates) the reserved creating tag."""
    return isinstance(tag, str) and tag.startswith(CREATING_TAG)


def user_tags(tags: Sequence[str] | None) -> list[str]:
    """Return a session's tags without the creating tag."""
    return [tag for tag in tags or () if not is_creating_tag(tag)]


def _creating_tags(session: WireSession) -> list[str]:
    return [tag for tag in session.tags or () if is_creating_tag(tag)]


def matches(session: WireSession, inputs: Mapping[str, Any]) -> bool:
    """Tell whether ``session`` runs what these inputs declare (what cannot change)."""
    return (
        session.platform_id == inputs.get("platform_id")
        and session.project_id == inputs.get("project_id")
        and (session.model_id or None) == (inputs.get("model_id") or None)
        and (session.parameters or None) == (inputs.get("parameters") or None)
        and bool(session.booking_id) == bool(inputs.get("booking_demand"))
    )


def obtain_session(
    client: QaasClient,
    request: Mapping[str, Any],
    inputs: Mapping[str, Any],
    say: Callable[[str], None],
) -> WireSession:
    """POST along the chain of derived ids until a session this create may own comes back.

    ``request`` holds the POST's fields, tags without the creating tag; the session
    returned carries the creating tag, for the caller to remove once it is done.
    """
    key = identity_key(inputs)
    tag = creating_tag(inputs)
    body = {**request, "tags": [*(request.get("tags") or ()), tag]}
    dedup = derived_deduplication_id(key)
    ended_here: set[str] = set()
    for _ in range(MAX_STEPS):
        session = client.create_session(deduplication_id=dedup, **body)
        marks = _creating_tags(session)
        if session.status in ENDED or session.id in ended_here:
            # The API returned a session that cannot run: never expected (deduplication
            # matches live sessions), so move on rather than POST the same id for ever.
            dedup = derived_deduplication_id(key, after=session.id)
        elif marks and marks == [tag] and matches(session, inputs):
            return session  # made now, or by an interrupted create of this declaration
        elif marks:
            # Made by an interrupted create for another declaration: in no state, and
            # ours by construction (the id derives from this resource). End it; its id is
            # free again once it is no longer live.
            say(
                f"qpu: terminating session {session.id}, left by an interrupted create "
                "for other settings"
            )
            terminate_quietly(client, session.id, say)
            ended_here.add(session.id)
        else:
            # Returned by an earlier create, so a state very likely points to it (the
            # session being replaced): keep it and take the next id of the chain.
            dedup = derived_deduplication_id(key, after=session.id)
    raise QpuError(
        f"could not obtain a fresh session for the deduplication ids derived from {key!r} "
        f"after {MAX_STEPS} attempts (each returned a live session this resource must not "
        "end); end the stale sessions by hand or set deduplication_id explicitly"
    )


def terminate_quietly(client: QaasClient, session_id: str, say: Callable[[str], None]) -> None:
    """Terminate a session, saying so instead of raising when the API refuses."""
    try:
        client.terminate_session(session_id)
    except QpuError as exc:
        say(f"qpu: could not terminate session {session_id}: {exc}; terminate it by hand")
