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

**The creating tag.** Every create POSTs the session with one extra tag::

    pulumi-qpu:creating:<fingerprint>:<stack>:<run>:<beat>

``fingerprint`` hashes what the API cannot change (platform, project, model, parameters,
booking demand); ``stack`` hashes ``<organization>/<project>/<stack>``; ``run`` is random
per create call; ``beat`` counts the create's heartbeats. The create removes the tag with
a PATCH just before it returns successfully, and while it waits it *beats*: every
:data:`HEARTBEAT_SECONDS` it PATCHes the tag with the next beat. So a session carrying the
tag was made by a create that has not returned, and

* if the tag changes while it is watched (:func:`observe`), that create is alive: it is
  another run's, typically a second backend with the same project and stack names (two
  CI jobs), and it is left alone;
* if the tag does not change for :data:`STALE_AFTER` seconds, that create is dead (a
  killed or failed run): no state can hold the session, and it is this resource's to take
  back (same fingerprint) or to end (another fingerprint). ``qpu-leftovers`` and the
  stack's leftover sweeper (destroy) find these too.

A session without the tag was returned by a create, so a state very likely points to it:
it is never ended here.

**The walk** (:func:`obtain_session`), from ``root``:

* the POST made a session (it carries this create's own tag): that is the session;
* it returned one carrying a stale tag for the same fingerprint (an interrupted create or
  replacement, run again): take it back, by putting this create's tag on it;
* it returned one carrying a stale tag for another fingerprint (an interrupted create
  whose declaration has changed since): terminate it (it is in no state) and POST the
  same id again;
* it returned one carrying a live tag (a concurrent run's create), or no tag at all (the
  session a replacement replaces, or one a state forgot): keep it, and POST the next id,
  ``after`` that session's id. The chain is deterministic, so the re-run of an
  interrupted replacement walks to the very session it made before.

A session that ended by itself is not live, so the API makes a fresh one at its id.
At most :data:`MAX_STEPS` POSTs, then an error naming the sessions walked past.

**The one ambiguity.** A session made by a create that *returned*, whose engine
checkpoint was never written (the engine killed in the milliseconds between), looks like
the session a replacement replaces: it is kept running rather than risking ending the
one a state points to. It ends with its ``max_idle_duration``; see docs/provider.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from pulumi_qpu.client import QaasClient
from pulumi_qpu.errors import NotFoundError, QpuError
from pulumi_qpu.models import Session as WireSession
from pulumi_qpu.models import SessionStatus

__all__ = [
    "CREATING_TAG",
    "DERIVED_DEDUPLICATION_PREFIX",
    "ENDED",
    "HEARTBEAT_SECONDS",
    "MAX_STEPS",
    "STALE_AFTER",
    "CreatingMark",
    "Observation",
    "creating_mark",
    "creating_tag",
    "derived_deduplication_id",
    "identity_key",
    "is_creating_tag",
    "matches",
    "new_run",
    "observe",
    "obtain_session",
    "stack_hash",
    "stack_key",
    "terminate_quietly",
    "user_tags",
    "without_creating_tags",
]

DERIVED_DEDUPLICATION_PREFIX: Final = "pulumi-qpu-"
"""Prefix of the deduplication ids the provider derives."""

CREATING_TAG: Final = "pulumi-qpu:creating"
"""Prefix of the tag a session carries while the create that made it has not returned.

Reserved: check refuses user tags that start with it."""

MAX_STEPS: Final = 16
"""Most POSTs one create makes while walking the chain of derived ids.

Each step past the first is a live session made earlier for the same resource (retained
by ``retain_on_delete``, forgotten by ``pulumi state delete``, or a concurrent run's)."""

ENDED: Final = frozenset({SessionStatus.STOPPING, SessionStatus.STOPPED})
"""Statuses of a session that can never run again."""


def _heartbeat_seconds() -> float:
    # Tests (and impatient users on a fast API) may shorten it; never below 0.2 s.
    text = os.environ.get("PULUMI_QPU_HEARTBEAT_SECONDS", "")
    try:
        return max(float(text), 0.2) if text else 10.0
    except ValueError:
        return 10.0


HEARTBEAT_SECONDS: Final = _heartbeat_seconds()
"""How often a waiting create renews its creating tag (``PULUMI_QPU_HEARTBEAT_SECONDS``).

One PATCH per waiting Session every 10 s by default: cheap beside the polls of the wait."""

STALE_AFTER: Final = 3 * HEARTBEAT_SECONDS
"""How long a creating tag must stay unchanged before its create is held to be dead.

Three heartbeats: one missed PATCH (a retry, a slow reply) never makes a live create look
dead, and a run taking back its own leftover waits at most this long."""

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


def stack_key(resource_key: str) -> str:
    """Return ``<organization>/<project>/<stack>`` of a Session's ``resource_key``.

    Both spellings of the key hold it: ``<org>/<project>/<stack>/<name>``, and
    ``<org>/urn:pulumi:<stack>::<project>::<type>::<name>`` under a component.
    """
    organization, _, rest = resource_key.partition("/")
    if rest.startswith("urn:pulumi:"):
        stack, project = rest.removeprefix("urn:pulumi:").split("::", 2)[:2]
        return f"{organization}/{project}/{stack}"
    project, _, rest = rest.partition("/")
    stack = rest.partition("/")[0]
    return f"{organization}/{project}/{stack}"


def stack_hash(key: str) -> str:
    """Return the 12 hex digits a creating tag carries for a stack key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def new_run() -> str:
    """Return a fresh run id: 8 random hex digits, one per create call."""
    return secrets.token_hex(4)


def _fingerprint(inputs: Mapping[str, Any]) -> str:
    fixed = {key: inputs.get(key) or None for key in _FINGERPRINTED}
    text = json.dumps(fixed, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def creating_tag(inputs: Mapping[str, Any], run: str, beat: int = 0) -> str:
    """Return the tag a create puts on the session it makes, for these checked inputs."""
    stack = stack_hash(stack_key(identity_key(inputs)))
    return f"{CREATING_TAG}:{_fingerprint(inputs)}:{stack}:{run}:{beat}"


@dataclass(frozen=True)
class CreatingMark:
    """A creating tag, parsed. ``stack`` and ``run`` are None in an earlier pulumi-qpu's tags."""

    tag: str
    fingerprint: str
    stack: str | None
    run: str | None
    beat: int


def is_creating_tag(tag: object) -> bool:
    """Tell whether ``tag`` is (or imitates) the reserved creating tag."""
    return isinstance(tag, str) and tag.startswith(CREATING_TAG)


def _parse(tag: str) -> CreatingMark:
    parts = tag.removeprefix(CREATING_TAG).lstrip(":").split(":")
    if len(parts) == 4 and parts[3].isdigit():
        return CreatingMark(tag, parts[0], parts[1], parts[2], int(parts[3]))
    # An older provider's tag (fingerprint only): its create cannot be alive any more
    # once watched for STALE_AFTER, which observe() finds like any other.
    return CreatingMark(tag, parts[0], None, None, 0)


def creating_mark(session: WireSession) -> CreatingMark | None:
    """Return the creating tag a session carries, parsed; None if it carries none."""
    for tag in session.tags or ():
        if is_creating_tag(tag):
            return _parse(tag)
    return None


def user_tags(tags: Sequence[str] | None) -> list[str]:
    """Return a session's tags without the creating tag."""
    return [tag for tag in tags or () if not is_creating_tag(tag)]


def without_creating_tags(tags: Sequence[str] | None) -> list[str]:
    """Return a session's tags without the creating tag, whatever other marks they hold.

    What a PATCH that renews or removes the creating tag keeps.
    """
    return [tag for tag in tags or () if not is_creating_tag(tag)]


def matches(session: WireSession, inputs: Mapping[str, Any]) -> bool:
    """Tell whether ``session`` runs what these inputs declare (what cannot change)."""
    return (
        session.platform_id == inputs.get("platform_id")
        and session.project_id == inputs.get("project_id")
        and (session.model_id or None) == (inputs.get("model_id") or None)
        and (session.parameters or None) == (inputs.get("parameters") or None)
        and bool(session.booking_id) == bool(inputs.get("booking_demand"))
    )


@dataclass(frozen=True)
class Observation:
    """What :func:`observe` saw: the create behind a creating tag, and the session last read."""

    verdict: Literal["alive", "stale", "ended"]
    session: WireSession


def observe(
    client: QaasClient,
    session: WireSession,
    *,
    window: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Observation:
    """Watch a session's creating tag for ``window`` seconds (:data:`STALE_AFTER`).

    ``alive``: the tag changed or went (its create beats, or has returned); ``stale``: it
    stayed the same for the whole window (its create is dead); ``ended``: the session
    stopped or was deleted meanwhile. Clock-free on the API's side: only the tag is
    compared, so no two machines' clocks need to agree.
    """
    window = STALE_AFTER if window is None else window
    seen = creating_mark(session)
    deadline = clock() + window
    while True:
        remaining = deadline - clock()
        if remaining <= 0:
            return Observation("stale", session)
        sleep(min(remaining, max(window / 6, 0.05)))
        try:
            session = client.get_session(session.id)
        except NotFoundError:
            return Observation("ended", session)
        if session.status in ENDED:
            return Observation("ended", session)
        mark = creating_mark(session)
        if mark is None or seen is None or mark.tag != seen.tag:
            return Observation("alive", session)


def _retag(client: QaasClient, session: WireSession, tag: str) -> WireSession:
    """Put ``tag`` in place of the session's creating tag; return the session as stored."""
    tags = [*without_creating_tags(session.tags), tag]
    updated: WireSession = client.update_session(session.id, tags=tags)
    return updated


def obtain_session(
    client: QaasClient,
    request: Mapping[str, Any],
    inputs: Mapping[str, Any],
    say: Callable[[str], None],
    *,
    run: str,
    label: str = "this resource",
    replacing: Collection[str] = (),
) -> WireSession:
    """POST along the chain of derived ids until a session this create may own comes back.

    ``request`` holds the POST's fields, tags without the creating tag; the session
    returned carries ``creating_tag(inputs, run)``, for the caller to renew while it
    waits and to remove once it is done. ``replacing``: ids of sessions the engine is
    replacing in this run (a diff planned it), walked past without a word.
    """
    key = identity_key(inputs)
    tag = creating_tag(inputs, run)
    fingerprint = _fingerprint(inputs)
    body = {**request, "tags": [*(request.get("tags") or ()), tag]}
    dedup = derived_deduplication_id(key)
    ended_here: set[str] = set()
    walked: list[str] = []
    for _ in range(MAX_STEPS):
        session = client.create_session(deduplication_id=dedup, **body)
        mark = creating_mark(session)
        if session.status in ENDED or session.id in ended_here:
            # The API returned a session that cannot run: never expected (deduplication
            # matches live sessions), so move on rather than POST the same id for ever.
            dedup = derived_deduplication_id(key, after=session.id)
            continue
        if mark is not None and mark.tag == tag:
            return session  # made now by this very create
        if mark is None:
            # Returned by an earlier create, so a state very likely points to it (the
            # session being replaced): keep it and take the next id of the chain.
            if session.id not in replacing:
                say(
                    f"qpu: session {session.id}, made earlier for {label}, is live and "
                    "is kept: a replacement's old session is ended by the engine after "
                    "this create; if no state holds it (after `pulumi state delete`), "
                    f"end it with `qpu-leftovers --end --force --session {session.id}`"
                )
            walked.append(session.id)
            dedup = derived_deduplication_id(key, after=session.id)
            continue
        seen = observe(client, session)
        if seen.verdict == "ended":
            ended_here.add(session.id)
            continue  # not live any more: the same id makes a fresh session
        if seen.verdict == "alive":
            say(
                f"qpu: session {session.id} is being created by another run with the "
                f"same resource names (a second backend or CI job?); {label} gets a "
                "session of its own"
            )
            walked.append(session.id)
            dedup = derived_deduplication_id(key, after=session.id)
            continue
        if mark.fingerprint == fingerprint and matches(seen.session, inputs):
            # Left by an interrupted create of this declaration: take it back, then make
            # sure no other run took it back at the same moment (the last PATCH wins).
            say(f"qpu: taking back session {session.id}, left by an interrupted create")
            _retag(client, seen.session, tag)
            current = client.get_session(session.id)
            if (creating_mark(current) or mark).tag == tag:
                return current
            walked.append(session.id)
            dedup = derived_deduplication_id(key, after=session.id)
            continue
        # Left by an interrupted create for another declaration: in no state, and ours by
        # construction (the id derives from this resource). End it; its id is free again
        # once it is no longer live.
        say(
            f"qpu: terminating session {session.id}, left by an interrupted create "
            "for other settings"
        )
        terminate_quietly(client, session.id, say)
        ended_here.add(session.id)
    listed = ", ".join(walked) or "none"
    raise QpuError(
        f"could not obtain a fresh session for {label} after {MAX_STEPS} attempts: each "
        f"returned a live session made earlier for it, which it must not end ({listed}). "
        "End those no state holds (`qpu-leftovers --end --force --session <id>`, or terminate "
        "them in the console), or set deduplication_id explicitly"
    )


def terminate_quietly(client: QaasClient, session_id: str, say: Callable[[str], None]) -> bool:
    """Terminate a session, saying so instead of raising when the API refuses.

    Returns whether the API accepted the terminate (a session already gone counts).
    """
    try:
        client.terminate_session(session_id)
    except NotFoundError:
        return True
    except QpuError as exc:
        say(f"qpu: could not terminate session {session_id}: {exc}")
        return False
    return True


# --- adoption: the mark of a session a Session adopted ---------------------------------
#
# A Session with ``session_id`` adopts that session and tags it
# ``pulumi-qpu:adopted:<hash of the resource key>``. The tag is how create tells a first
# adoption from a replacement of the adopted Session (``--replace``, an input that cannot
# change in place, the session ended by itself): a session carrying this resource's mark
# was adopted already, so the replacement makes a fresh session instead of adopting it
# again (the engine's delete would then end the session the state points to). Another
# resource's mark, like a derived deduplication id or a creating tag, says that some
# stack manages the session: it is not adopted.

__all__ += [
    "ADOPTED_TAG",
    "adopted_tag",
    "hidden_tags",
    "is_adopted_tag",
    "is_hidden_tag",
    "managed_elsewhere",
    "visible_tags",
]

ADOPTED_TAG: Final = "pulumi-qpu:adopted"
"""Prefix of the tag a session carries once a Session adopted it (``session_id``).

Reserved like the creating tag: check refuses user tags that start with it, and it
never appears in the ``tags`` output."""


def adopted_tag(inputs: Mapping[str, Any]) -> str:
    """Return the tag create puts on the session this resource adopts."""
    digest = hashlib.sha256(identity_key(inputs).encode("utf-8")).hexdigest()[:16]
    return f"{ADOPTED_TAG}:{digest}"


def is_adopted_tag(tag: object) -> bool:
    """Tell whether ``tag`` is (or imitates) the reserved adoption tag."""
    return isinstance(tag, str) and tag.startswith(ADOPTED_TAG)


def is_hidden_tag(tag: object) -> bool:
    """Tell whether ``tag`` is one of the provider's own (creating or adoption tag)."""
    return is_creating_tag(tag) or is_adopted_tag(tag)


def visible_tags(tags: Sequence[str] | None) -> list[str]:
    """Return a session's tags without the provider's own: what ``tags`` shows."""
    return [tag for tag in tags or () if not is_hidden_tag(tag)]


def hidden_tags(tags: Sequence[str] | None) -> list[str]:
    """Return the provider's own tags of a session, in their order."""
    return [tag for tag in tags or () if is_hidden_tag(tag)]


def managed_elsewhere(session: WireSession, inputs: Mapping[str, Any]) -> str | None:
    """Say why ``session`` is managed by some stack other than this resource, or None.

    Only what the API returned is quoted (the session's deduplication id and tags), never
    an input value.
    """
    dedup = session.deduplication_id or ""
    if dedup.startswith(DERIVED_DEDUPLICATION_PREFIX) and dedup != derived_deduplication_id(
        identity_key(inputs)
    ):
        return (
            f"its deduplication id {dedup} is one pulumi-qpu derives for the session a "
            "Session creates"
        )
    creating = [tag for tag in session.tags or () if is_creating_tag(tag)]
    if creating:
        return (
            f"it carries pulumi-qpu's creating tag {creating[0]} (a Session's create that "
            "has not returned, or was interrupted, made it)"
        )
    ours = adopted_tag(inputs)
    others = [tag for tag in session.tags or () if is_adopted_tag(tag) and tag != ours]
    if others:
        return f"it was adopted by another Pulumi resource (it carries the tag {others[0]})"
    return None
