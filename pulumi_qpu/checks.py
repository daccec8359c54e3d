"""What a Session's inputs are, what a change of each does, and how check canonicalizes them.

The one place that says which inputs PATCH can change (:data:`UPDATE_KEYS`), which force
a new session (:data:`REPLACE_KEYS`) and which are provider settings
(:data:`SETTING_KEYS`); :class:`InputChecker` turns what a program declared into the
canonical inputs the engine stores, or failures that name the property and the fix;
:func:`adoption_refusal` says why a session cannot be adopted (``session_id``).

Check is a pure function of the declaration (plus the platform name lookup and the
configured project): it never reads the olds, so a no-op ``pulumi up`` gets back exactly
the stored inputs and the engine has nothing to rewrite. One thing it remembers across
resources: which Session of the deployment gave which ``deduplication_id``
(:class:`DeduplicationClaims`), so two resources never share one by mistake.

A failure's reason never repeats an input value: the engine strips secretness before it
calls the provider, so the provider cannot know which values were secret, and the
engine prints the reason as is (it prints the value itself next to it, masked when it
is secret). Reasons give the position and the shape instead ("tag 3 starts with ...").
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

import httpx
from pulumi.dynamic import CheckFailure
from pulumi.output import Unknown
from pulumi.runtime import rpc
from pydantic import ValidationError

from pulumi_qpu import spec
from pulumi_qpu.config import stack_problem
from pulumi_qpu.cost import COST_OUTPUT_KEYS
from pulumi_qpu.durations import to_wire_duration
from pulumi_qpu.errors import (
    ConfigurationError,
    DeniedAuthenticationError,
    InvalidDurationError,
    NotFoundError,
    QpuError,
    TransportError,
)
from pulumi_qpu.identity import (
    ADOPTED_TAG,
    CREATING_TAG,
    ENDED,
    is_adopted_tag,
    is_creating_tag,
    managed_elsewhere,
)
from pulumi_qpu.models import (
    MAX_DEDUPLICATION_ID_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PARAMETERS_LENGTH,
    MAX_TAG_LENGTH,
    UUID_PATTERN,
    BookingDemand,
)
from pulumi_qpu.models import Session as WireSession

__all__ = [
    "DEFAULT_CREATE_TIMEOUT",
    "DEFAULT_DELETE_TIMEOUT",
    "INPUT_KEYS",
    "MAX_TAGS",
    "ON_DELETE_MODES",
    "OUTPUT_KEYS",
    "REPLACE_KEYS",
    "SETTING_KEYS",
    "UPDATE_KEYS",
    "DeduplicationClaims",
    "InputChecker",
    "access_problem",
    "adoption_refusal",
    "canonical_parameters",
    "contains_unknown",
    "is_unknown",
    "resource_name_of",
    "rewrap",
    "unwrap",
]

UPDATE_KEYS: Final = spec.keys("update")
"""Inputs PATCH can change in place (the API's UpdateSessionRequest)."""

REPLACE_KEYS: Final = spec.keys("replace")
"""Inputs the API cannot change: a new value means a new session."""

SETTING_KEYS: Final = spec.keys("setting")
"""Provider settings: recorded in state (delete reads them), never sent to the API."""

# platform_name is resolved to platform_id; session_id adopts; resource_key is where
# derived deduplication ids come from (pulumi_qpu/identity.py).
INPUT_KEYS: Final = (
    *UPDATE_KEYS,
    *REPLACE_KEYS,
    *SETTING_KEYS,
    *spec.keys("resolve", "adopt", "internal"),
)
"""Every input a Session accepts (plus ``__provider``)."""

OUTPUT_KEYS: Final = (*WireSession.model_fields, *COST_OUTPUT_KEYS)
"""Every session field and the cost outputs (pulumi_qpu/cost.py), each an output."""

DEFAULT_CREATE_TIMEOUT: Final = spec.DEFAULT_CREATE_TIMEOUT
DEFAULT_DELETE_TIMEOUT: Final = spec.DEFAULT_DELETE_TIMEOUT
ON_DELETE_MODES: Final = spec.ON_DELETE_MODES
MAX_TAGS: Final = spec.DECLARABLE_TAGS
"""Most tags a Session declares: the API takes 50, and create needs one while it runs."""

_MAX_NAME: Final = MAX_NAME_LENGTH
_MAX_TAG: Final = MAX_TAG_LENGTH
_MAX_DEDUPLICATION_ID: Final = MAX_DEDUPLICATION_ID_LENGTH
_MAX_PARAMETERS: Final = MAX_PARAMETERS_LENGTH
_UUID = re.compile(UUID_PATTERN)


# --- values as they arrive from the host --------------------------------------------


def is_unknown(value: object) -> bool:
    """Tell whether ``value`` is a preview's not-yet-known value."""
    # In the host, check/diff see pulumi.output.Unknown; elsewhere the sentinel string.
    return isinstance(value, Unknown) or (isinstance(value, str) and value == rpc.UNKNOWN)


def contains_unknown(value: object) -> bool:
    """Tell whether ``value`` is, or holds at any depth, a not-yet-known value."""
    if is_unknown(value):
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return False


def unwrap(props: Mapping[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """Plain values and the names of the keys that arrived as secrets."""
    plain: dict[str, Any] = {}
    secret: set[str] = set()
    for key, value in props.items():
        if rpc.is_rpc_secret(value):
            secret.add(key)
        plain[key] = rpc.unwrap_rpc_secret(value)
    return plain, secret


def rewrap(props: dict[str, Any], secret: Iterable[str]) -> dict[str, Any]:
    """Mark ``secret`` keys of ``props`` secret again (in place); return ``props``."""
    # A value the program marked secret stays secret in inputs and outputs alike.
    for key in secret:
        if key in props and props[key] is not None:
            props[key] = rpc.wrap_rpc_secret(props[key])
    return props


_EXACT_FLOAT_INTEGERS: Final = 2**53
"""Every whole number up to this size is exactly a float, so a float this size is an int."""


def _integers_again(value: object) -> object:
    """``value`` with every whole-number float of at most 2**53 written as an int.

    The engine carries every number as a float64, so a dict that crossed it has ``1.0``
    where the program said ``1``; JSON has one number type, and this makes ``1.0`` and
    ``1`` one canonical text. Beyond 2**53 a float no longer tells which integer it was
    (the engine already rounded it): it stays a float rather than pretend otherwise.
    """
    if isinstance(value, float) and value.is_integer() and abs(value) <= _EXACT_FLOAT_INTEGERS:
        return int(value)
    if isinstance(value, Mapping):
        return {key: _integers_again(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_integers_again(item) for item in value]
    return value


def canonical_parameters(value: object) -> str:
    """Canonical JSON text of a dict or JSON text: sorted keys, no spaces, integers as such.

    A dict and the JSON text of the same content give the same text, whether the dict
    came straight from a program (ints) or through the engine (floats): whole numbers
    are written as integers (``1``, not ``1.0``), and an integer given as JSON text is
    kept exactly however large. NaN and infinities are refused (``ValueError``): they
    are not JSON.
    """
    parsed = json.loads(value) if isinstance(value, str) else value
    return json.dumps(
        _integers_again(parsed),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def resource_name_of(resource_key: str) -> str:
    """Return the resource name in a ``resource_key`` (``org/project/stack/name``, or a URN)."""
    if "::" in resource_key:
        return resource_key.rsplit("::", 1)[1]
    return resource_key.split("/", 3)[-1]


class DeduplicationClaims:
    """Which resource of one deployment gave which ``deduplication_id``.

    The host shares one provider instance among all the Sessions of a deployment, so
    what it remembers here spans exactly one deployment (one ``preview``, ``up`` or
    ``destroy``), and nothing of it reaches the state. A resource that gives another id
    later in the same process (never, in one deployment) gives up its first.
    Thread-safe: the host runs checks on 4 threads.
    """

    def __init__(self) -> None:
        """Start with no claim."""
        self._lock = threading.Lock()
        self._holder: dict[str, str] = {}  # deduplication_id -> resource_key
        self._held: dict[str, str] = {}  # resource_key -> deduplication_id

    def claim(self, deduplication_id: str, resource_key: str) -> str | None:
        """Claim ``deduplication_id`` for ``resource_key``; the other holder's key, or None."""
        with self._lock:
            holder = self._holder.setdefault(deduplication_id, resource_key)
            if holder != resource_key:
                return holder
            previous = self._held.get(resource_key)
            if previous is not None and previous != deduplication_id:
                del self._holder[previous]
            self._held[resource_key] = deduplication_id
            return None


def _without_values(text: str, *values: object) -> str:
    """``text`` with each of ``values`` that it quotes replaced by a placeholder."""
    for value in values:
        if isinstance(value, str) and value and value in text:
            text = text.replace(value, "<the value>")
    return text


def access_problem(exc: QpuError) -> str | None:
    """Say a failure no input causes as what it is, or None for any other failure.

    Configuration (a setting missing or malformed), credentials (401: the key was
    refused, and where it came from) and reachability (the API URL, and where it came
    from): each is the stack's problem, not a property's, and its fix is the stack's.
    Never quotes a setting's value.
    """
    if isinstance(exc, ConfigurationError):
        return stack_problem(exc)
    if isinstance(exc, DeniedAuthenticationError):
        api = httpx.URL(exc.url)
        return (
            f"{exc.hint} ({exc.status_code} {exc.type} from {api.scheme}://{api.netloc.decode()})"
        )
    if isinstance(exc, TransportError):
        # The request line holds the inputs the lookup sent; the rest says it all.
        return str(exc).removeprefix(f"{exc.method} {exc.url}: ")
    return None


# --- check --------------------------------------------------------------------------


class InputChecker:
    """One run of check over one set of inputs, collecting failures.

    ``platform_id`` resolves a platform name (raising the client's errors);
    ``default_project_id`` gives the configured project, or None (it may raise
    :class:`ConfigurationError`); ``deduplication_claims``, when given, remembers the
    given ``deduplication_id`` of every resource of the deployment. All come from the
    provider, so that nothing here holds a client.
    """

    def __init__(
        self,
        news: Mapping[str, Any],
        *,
        platform_id: Callable[[str], str],
        default_project_id: Callable[[], str | None],
        deduplication_claims: DeduplicationClaims | None = None,
    ) -> None:
        """Prepare a check of ``news`` (plain values, secrets unwrapped)."""
        self.platform_id = platform_id
        self.default_project_id = default_project_id
        self.deduplication_claims = deduplication_claims
        self.news = news
        self.failures: list[CheckFailure] = []
        self.out: dict[str, Any] = {}
        self.cut_off = False
        """True once the API cannot be asked (configuration, key, URL): no more lookups."""

    def fail(self, prop: str, reason: str) -> None:
        """Record that ``prop`` is wrong and how to fix it (never quoting its value)."""
        self.failures.append(CheckFailure(prop, reason))

    def cannot_reach(self, exc: QpuError) -> bool:
        """Record a configuration, key or URL failure once; True if ``exc`` is one.

        It is the resource's failure, not a property's: no input caused it.
        """
        problem = access_problem(exc)
        if problem is None:
            return False
        if not self.cut_off:
            self.cut_off = True
            self.fail("", problem)
        return True

    def run(self) -> dict[str, Any]:
        """Check every input; return the canonical inputs (failures in ``failures``)."""
        news = self.news
        for key in news:
            if key not in INPUT_KEYS and key != "__provider":
                self.fail(key, f"unknown property {key!r}; a Session takes {', '.join(INPUT_KEYS)}")
        for key, value in news.items():
            if key in INPUT_KEYS and value is not None:
                self.out[key] = value
        self._platform()
        self._project()
        self._string("name", _MAX_NAME)
        if self.out.get("name") == "":
            self.fail("name", "name must not be empty; leave it out for a generated name")
        self._uuid("model_id", "the UUID of a model of the platform")
        self._session_id()
        self._string("resource_key", 1024)
        self._string("platform_name", 255)
        self._deduplication_id()
        for key in ("max_idle_duration", "max_duration"):
            self._duration(key, None)
        self._duration("create_timeout", DEFAULT_CREATE_TIMEOUT)
        self._duration("delete_timeout", DEFAULT_DELETE_TIMEOUT)
        self._tags()
        self._parameters()
        self._booking_demand()
        self._settings()
        return self.out

    def _known(self, key: str) -> bool:
        # Only a value that is itself unknown waits for the up: a dict or list holding an
        # unknown is already the wrong type for a string field, and preview should say so.
        value = self.out.get(key)
        return value is not None and not is_unknown(value)

    def _string(self, key: str, limit: int) -> None:
        if not self._known(key):
            return
        value = self.out[key]
        if not isinstance(value, str):
            self.fail(key, f"{key} must be a string, not {type(value).__name__}")
        elif len(value) > limit:
            self.fail(key, f"{key} is {len(value)} characters long; the limit is {limit}")

    def _uuid(self, key: str, what: str) -> None:
        # The API answers a malformed id with a 400 at up; say it at preview instead.
        if not self._known(key):
            return
        value = self.out[key]
        if not isinstance(value, str) or not _UUID.match(value):
            self.fail(key, f"{key} must be {what}, like 11111111-2222-3333-4444-555555555555")

    def _session_id(self) -> None:
        # The API answers a malformed id with a 400 at up; say it at preview instead.
        if not self._known("session_id"):
            return
        value = self.out["session_id"]
        if not isinstance(value, str) or not _UUID.match(value):
            self.fail(
                "session_id",
                "session_id must be the UUID of an existing session, like "
                "11111111-2222-3333-4444-555555555555 (list sessions with "
                "pulumi_qpu.list_sessions, or leave session_id out to create one)",
            )

    def _platform(self) -> None:
        has_id = self.out.get("platform_id") is not None
        has_name = self.out.get("platform_name") is not None
        if has_id and has_name:
            self.fail(
                "platform_name",
                "give platform_id or platform_name, not both (remove one of them)",
            )
            return
        if not has_id and not has_name:
            self.fail(
                "platform_id",
                "a session needs a platform: set platform_id, or platform_name such as "
                "'EMU-AER-16C-128M'",
            )
            return
        if has_id:
            value = self.out["platform_id"]
            if not is_unknown(value) and (not isinstance(value, str) or not value):
                self.fail("platform_id", "platform_id must be a non-empty string (a UUID)")
            return
        name = self.out["platform_name"]
        if is_unknown(name):
            self.out["platform_id"] = rpc.UNKNOWN
            return
        if not isinstance(name, str) or not name:
            self.fail("platform_name", "platform_name must be a non-empty string")
            return
        if self.cut_off:
            return  # the API cannot be asked; that failure is said once already
        try:
            self.out["platform_id"] = self.platform_id(name)
        except NotFoundError as exc:
            # The names suggested are the API's, not the input.
            closest = getattr(exc, "closest_names", None)
            hint = f"; did you mean {', '.join(map(repr, closest))}?" if closest else ""
            self.fail(
                "platform_name",
                f"no platform has this name among the {getattr(exc, 'listed', 'ones')} the API "
                f"lists{hint} (list them with pulumi_qpu.list_platforms, or set platform_id to "
                "the platform's UUID instead)",
            )
        except QpuError as exc:
            if not self.cannot_reach(exc):
                self.fail("platform_name", f"cannot look up the platform: {exc}")

    def _project(self) -> None:
        value = self.out.get("project_id")
        if value is None:
            try:
                resolved = self.default_project_id()
            except ConfigurationError as exc:
                self.cannot_reach(exc)  # a malformed setting: the stack's, said once
                return
            if resolved:
                self.out["project_id"] = resolved
                return
            self.fail(
                "project_id",
                "no project: set project_id on the Session, or `pulumi config set "
                "qpu:projectId <project uuid>`, SCW_DEFAULT_PROJECT_ID, or "
                "default_project_id in the scw config file",
            )
            return
        if is_unknown(value):
            return
        if not isinstance(value, str) or not _UUID.match(value):
            self.fail(
                "project_id",
                "project_id must be a UUID like 11111111-2222-3333-4444-555555555555 "
                "(the project's id in the Scaleway console), or left out for the default",
            )

    def _deduplication_id(self) -> None:
        value = self.out.get("deduplication_id")
        if not self._known("deduplication_id"):
            return
        if not isinstance(value, str) or not value:
            self.fail("deduplication_id", "deduplication_id must be a non-empty string")
        elif len(value) > _MAX_DEDUPLICATION_ID:
            self.fail(
                "deduplication_id",
                f"deduplication_id is {len(value)} characters; the limit is "
                f"{_MAX_DEDUPLICATION_ID}",
            )
        else:
            self._claim_deduplication_id(value)

    def _claim_deduplication_id(self, value: str) -> None:
        # Two resources of one stack with one id would share one session, each PATCHing
        # its own name and tags over the other's: the last writer wins and refresh never
        # agrees. The ids are compared within this deployment only (docs/provider.md).
        key = self.out.get("resource_key")
        if self.deduplication_claims is None or not isinstance(key, str) or is_unknown(key):
            return
        holder = self.deduplication_claims.claim(value, key)
        if holder is None:
            return
        self.fail(
            "deduplication_id",
            f"Session {resource_name_of(holder)!r} of this stack gives the same "
            "deduplication_id; two resources with one id would share one session, each "
            "overwriting the other's name and tags. Give each resource its own "
            "deduplication_id (or none: the derived one is unique per resource); to "
            "share one session between stacks, give the same id in each stack",
        )

    def _duration(self, key: str, default: str | None) -> None:
        value = self.out.get(key)
        if value is None:
            if default is not None:
                self.out[key] = default
            return
        if is_unknown(value):
            return
        try:
            self.out[key] = to_wire_duration(value)
        except InvalidDurationError as exc:
            self.fail(key, f"invalid duration: {exc.reason}. {exc.FORMS}")

    def _tags(self) -> None:
        value = self.out.get("tags")
        if value is None or is_unknown(value):
            return
        if not isinstance(value, list):
            self.fail("tags", f"tags must be a list of strings, not {type(value).__name__}")
            return
        if len(value) > MAX_TAGS:
            self.fail(
                "tags",
                f"{len(value)} tags; a Session takes at most {MAX_TAGS} (the API's 50, less "
                "the one the provider uses while creating)",
            )
        for position, tag in enumerate(value, start=1):
            if is_unknown(tag):
                continue
            if is_creating_tag(tag):
                self.fail(
                    "tags",
                    f"tag {position} starts with the reserved prefix {CREATING_TAG!r}, "
                    "which marks a session whose create has not returned; choose another tag",
                )
                continue
            if is_adopted_tag(tag):
                self.fail(
                    "tags",
                    f"tag {position} starts with the reserved prefix {ADOPTED_TAG!r}, "
                    "which marks a session a Session adopted (session_id); choose another tag",
                )
                continue
            if not isinstance(tag, str):
                self.fail("tags", f"tag {position} is a {type(tag).__name__}, not a string")
            elif not tag or len(tag) > _MAX_TAG:
                self.fail(
                    "tags",
                    f"tag {position} is {len(tag)} characters long; a tag has 1 to "
                    f"{_MAX_TAG} characters",
                )

    def _parameters(self) -> None:
        value = self.out.get("parameters")
        if value is None or contains_unknown(value):
            return
        try:
            text = canonical_parameters(value)
        except json.JSONDecodeError as exc:
            # exc.msg and the position only: str(exc) is the same, but says it plainly.
            self.fail(
                "parameters",
                f"parameters is not valid JSON text ({exc.msg} at line {exc.lineno} column "
                f"{exc.colno}); give a dict or JSON text such as '{{\"shots\": 100}}'",
            )
            return
        except (TypeError, ValueError) as exc:
            # json's messages name types ("Object of type set ..."), never the values.
            self.fail(
                "parameters",
                f"parameters must be a dict or JSON text ({exc}); e.g. {{'shots': 100}}",
            )
            return
        if len(text.encode("utf-8")) > _MAX_PARAMETERS:
            self.fail("parameters", f"parameters are longer than {_MAX_PARAMETERS} bytes")
            return
        self.out["parameters"] = text

    def _booking_demand(self) -> None:
        value = self.out.get("booking_demand")
        if value is None or contains_unknown(value):
            return
        try:
            demand = BookingDemand.model_validate(value)
        except ValidationError as exc:
            # Field names and pydantic's words; a message that quotes the value (a
            # custom validator's) has the value taken out.
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'value'}: "
                f"{_without_values(e['msg'], e.get('input'), (e.get('ctx') or {}).get('value'))}"
                for e in exc.errors()
            )
            self.fail(
                "booking_demand",
                f"booking_demand is invalid ({problems}); give started_at and finished_at "
                "as RFC 3339 timestamps such as '2030-01-01T10:00:00Z'",
            )
            return
        self.out["booking_demand"] = demand.model_dump(mode="json", exclude_none=True)

    def _settings(self) -> None:
        wait = self.out.setdefault("wait_for_running", True)
        if not is_unknown(wait) and not isinstance(wait, bool):
            self.fail("wait_for_running", "wait_for_running must be True or False")
        mode = self.out.setdefault("on_delete", "terminate")
        if not is_unknown(mode) and mode not in ON_DELETE_MODES:
            self.fail(
                "on_delete",
                f"on_delete must be one of {', '.join(map(repr, ON_DELETE_MODES))}",
            )


# --- adoption -------------------------------------------------------------------------

# Inputs the API cannot change that an adopted session must already have, or the next
# diff would replace the session just adopted (platform and project are told apart).
_ADOPTION_MUST_MATCH: Final = ("model_id", "parameters", "deduplication_id")


def adoption_refusal(
    session: WireSession, inputs: Mapping[str, Any], *, platform_name: Callable[[str], str]
) -> str | None:
    """Say why a Session declaring ``inputs`` cannot adopt ``session``, or None.

    For a first adoption: a session that carries this resource's adoption tag was
    adopted already (a replacement then makes a fresh session, provider.create). Only
    what the API returned is quoted, never an input value (it may be secret):
    ``platform_name`` turns a platform id into the API's name of it.
    """
    why = managed_elsewhere(session, inputs)
    if why is not None:
        return (
            f"the session named by session_id is managed by a Pulumi stack: {why}. Adopting "
            "it would take it from that stack, whose destroy would then end it under this "
            "one. Leave session_id out to create a session of this resource's own"
        )
    problems: list[str] = []
    if session.status in ENDED:
        problems.append(
            f"is {session.status.value} and cannot run again (remove session_id to create a "
            "new session, or name a live one)"
        )
    declared_platform = inputs.get("platform_id")
    if (
        isinstance(declared_platform, str)
        and not is_unknown(declared_platform)
        and session.platform_id != declared_platform
    ):
        actual, wanted = platform_name(session.platform_id), platform_name(declared_platform)
        problems.append(
            f"runs on platform {actual}, not on the declared platform {wanted} (declare "
            f"platform_name={actual!r}, or name a session that runs on {wanted})"
        )
    declared_project = inputs.get("project_id")
    if (
        isinstance(declared_project, str)
        and not is_unknown(declared_project)
        and session.project_id != declared_project
    ):
        problems.append(
            f"is in project {session.project_id}, not in the declared project (set "
            "project_id or qpu:projectId to its project, or name a session of yours)"
        )
    for key in _ADOPTION_MUST_MATCH:
        wanted_value = inputs.get(key)
        if wanted_value is None or contains_unknown(wanted_value):
            continue
        if wanted_value != (getattr(session, key) or None):
            problems.append(
                f"has another {key} than the declaration (an adopted session keeps its "
                f"{key}: declare the session's own, or leave {key} out)"
            )
    if not problems:
        return None
    return "the session named by session_id " + "; ".join(problems)
