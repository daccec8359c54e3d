"""The dynamic resource provider behind :class:`pulumi_qpu.Session`.

:class:`SessionProvider` runs inside the SDK's dynamic provider host (``python -m
pulumi.dynamic``), one instance shared by the host's 4 worker threads. It pickles *by
reference* (module and class name, no instance state: see ``__reduce__``), so the
``__provider`` property is about 80 bytes, holds no secret, and the host always runs the
installed code. Credentials come from ``configure`` (stack config ``qpu:*``), the
environment or the scw config file, and live only in the host process.

The design (deduplication ids, leak prevention, adoption, destroy modes, every input)
is written down in ``docs/provider.md``; the comments here say why, briefly.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, cast

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.output import Unknown
from pulumi.runtime import rpc
from pydantic import ValidationError

from pulumi_qpu.client import QaasClient
from pulumi_qpu.config import ResolvedConfig, resolve_config
from pulumi_qpu.durations import to_wire_duration
from pulumi_qpu.errors import (
    ConfigurationError,
    InvalidDurationError,
    NotFoundError,
    QpuError,
    SessionEndedError,
    WaitError,
    WaitTimeoutError,
)
from pulumi_qpu.models import BookingDemand, SessionStatus
from pulumi_qpu.models import Session as WireSession
from pulumi_qpu.retry import PULUMI_RETRY_POLICY

__all__ = [
    "CONFIG_KEYS",
    "DEFAULT_CREATE_TIMEOUT",
    "DEFAULT_DELETE_TIMEOUT",
    "DERIVED_DEDUPLICATION_PREFIX",
    "INPUT_KEYS",
    "ON_DELETE_MODES",
    "OUTPUT_KEYS",
    "REPLACE_KEYS",
    "SETTING_KEYS",
    "UPDATE_KEYS",
    "SessionProvider",
    "derived_deduplication_id",
]

# --- the one place that says what each property does --------------------------------

UPDATE_KEYS: Final = ("name", "tags", "max_idle_duration", "max_duration")
"""Inputs PATCH can change in place (the API's UpdateSessionRequest)."""

REPLACE_KEYS: Final = (
    "platform_id",
    "project_id",
    "model_id",
    "parameters",
    "booking_demand",
    "deduplication_id",
)
"""Inputs the API cannot change: a new value means a new session."""

SETTING_KEYS: Final = ("wait_for_running", "create_timeout", "delete_timeout", "on_delete")
"""Provider settings: recorded in state (delete reads them), never sent to the API."""

# platform_name is resolved to platform_id; session_id adopts; resource_key and
# generation derive the deduplication id (see derived_deduplication_id).
INPUT_KEYS: Final = (
    *UPDATE_KEYS,
    *REPLACE_KEYS,
    *SETTING_KEYS,
    "platform_name",
    "session_id",
    "resource_key",
    "generation",
)
"""Every input a Session accepts (plus ``__provider``)."""

OUTPUT_KEYS: Final = tuple(WireSession.model_fields)
"""Every session field, each an output of the resource."""

DEFAULT_CREATE_TIMEOUT: Final = "600s"
"""How long create waits for ``running`` unless ``create_timeout`` says otherwise."""

DEFAULT_DELETE_TIMEOUT: Final = "600s"
"""How long delete waits for ``stopped`` unless ``delete_timeout`` says otherwise."""

ON_DELETE_MODES: Final = ("terminate", "terminate_and_delete")
"""What destroy does: end the session (its data stays readable), or end and delete it."""

CONFIG_KEYS: Final = ("qpu:secretKey", "qpu:projectId", "qpu:apiUrl", "qpu:profile")
"""Stack config keys the provider reads in ``configure``."""

DERIVED_DEDUPLICATION_PREFIX: Final = "pulumi-qpu-"
"""Prefix of the deduplication ids the provider derives (see docs/provider.md)."""

_ENDED: Final = frozenset({SessionStatus.STOPPING, SessionStatus.STOPPED})
_MAX_NAME: Final = 255
_MAX_TAGS: Final = 50
_MAX_TAG: Final = 128
_MAX_DEDUPLICATION_ID: Final = 128
_MAX_PARAMETERS: Final = 64 * 1024
# A derived id that hits a session it cannot own (ended, or made for other inputs) is
# salted and tried again; a few salts are plenty, more means something else is wrong.
_MAX_SALTS: Final = 3
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def derived_deduplication_id(resource_key: str, generation: int, salt: int = 0) -> str:
    """Return the deduplication id of a Session that does not set one.

    Same ``resource_key`` (project/stack/resource name) and ``generation`` give the same
    id, so an interrupted create, run again, gets back the session it already made.
    ``generation`` grows with every check of an existing resource, so a replacement
    never matches the session it replaces.
    """
    digest = hashlib.sha256(resource_key.encode("utf-8")).hexdigest()[:32]
    text = f"{DERIVED_DEDUPLICATION_PREFIX}{digest}-g{generation}"
    return f"{text}-r{salt}" if salt else text


# --- values as they arrive from the host --------------------------------------------


def _is_unknown(value: object) -> bool:
    # In the host, check/diff see pulumi.output.Unknown; elsewhere the sentinel string.
    return isinstance(value, Unknown) or (isinstance(value, str) and value == rpc.UNKNOWN)


def _contains_unknown(value: object) -> bool:
    if _is_unknown(value):
        return True
    if isinstance(value, Mapping):
        return any(_contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_unknown(v) for v in value)
    return False


def _unwrap(props: Mapping[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """Plain values and the names of the keys that arrived as secrets."""
    plain: dict[str, Any] = {}
    secret: set[str] = set()
    for key, value in props.items():
        if rpc.is_rpc_secret(value):
            secret.add(key)
        plain[key] = rpc.unwrap_rpc_secret(value)
    return plain, secret


def _rewrap(props: dict[str, Any], secret: Iterable[str]) -> dict[str, Any]:
    # A value the program marked secret stays secret in inputs and outputs alike.
    for key in secret:
        if key in props and props[key] is not None:
            props[key] = rpc.wrap_rpc_secret(props[key])
    return props


def _canonical_parameters(value: object) -> str:
    """Canonical JSON text of a dict or JSON text (sorted keys, no spaces)."""
    parsed = json.loads(value) if isinstance(value, str) else value
    return json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _seconds(value: str) -> float:
    return float(value.rstrip("s"))


# --- the provider -------------------------------------------------------------------


@dataclass
class _Runtime:
    """What one provider instance holds in the host process; never pickled."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    stack_config: dict[str, str] = field(default_factory=dict)
    client: QaasClient | None = None
    platform_ids: dict[str, str] = field(default_factory=dict)


_RUNTIME_LOCK = threading.Lock()


class SessionProvider(ResourceProvider):
    """Create, read, update and delete QaaS sessions for :class:`pulumi_qpu.Session`.

    Safe to share between threads: the HTTP client is built once, under a lock, and the
    methods keep no per-call state on the instance.
    """

    # __provider holds nothing secret (see __reduce__), so it need not be a secret.
    serialize_as_secret_always = False

    def __reduce__(self) -> tuple[type[SessionProvider], tuple[()]]:
        # By reference and stateless: the class's module path and name, nothing else.
        # Whatever configure() stored in this process never reaches __provider; and no
        # dict is pickled, so the SDK's _batch_setitems wrapper chain is never entered.
        return (SessionProvider, ())

    def __reduce_ex__(self, protocol: object) -> tuple[type[SessionProvider], tuple[()]]:
        return self.__reduce__()

    # --- host-process state ----------------------------------------------------------

    def _runtime(self) -> _Runtime:
        runtime = cast("_Runtime | None", self.__dict__.get("_qpu_runtime"))
        if runtime is None:
            with _RUNTIME_LOCK:
                runtime = self.__dict__.get("_qpu_runtime")
                if runtime is None:
                    runtime = _Runtime()
                    self.__dict__["_qpu_runtime"] = runtime
        return runtime

    def configure(self, req: ConfigureRequest) -> None:
        """Keep the ``qpu:*`` stack config; credentials are resolved on first use."""
        runtime = self._runtime()
        config: dict[str, str] = {}
        for key in CONFIG_KEYS:
            value = req.config.get(key)
            if value is not None and value != "":
                config[key] = str(value)
        self.close()
        with runtime.lock:
            runtime.stack_config = config

    def close(self) -> None:
        """Close the HTTP client, if one was built (the host never needs to)."""
        runtime = self._runtime()
        with runtime.lock:
            client, runtime.client = runtime.client, None
        if client is not None:
            client.close()

    def _config(self, *, require_project: bool = False) -> ResolvedConfig:
        return resolve_config(
            stack_config=self._runtime().stack_config, require_project=require_project
        )

    def _client(self) -> QaasClient:
        runtime = self._runtime()
        client = runtime.client
        if client is None:
            with runtime.lock:
                client = runtime.client
                if client is None:
                    client = QaasClient.from_config(self._config(), retry=PULUMI_RETRY_POLICY)
                    runtime.client = client
        return client

    def _platform_id(self, name: str) -> str:
        runtime = self._runtime()
        with runtime.lock:
            cached = runtime.platform_ids.get(name)
        if cached is not None:
            return cached
        platform = self._client().find_platform(name)
        platform_id = str(platform.id)
        with runtime.lock:
            runtime.platform_ids[name] = platform_id
        return platform_id

    # --- check -----------------------------------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate and canonicalize inputs; never raises, never changes anything remote.

        Every failure names the property and says how to fix it. Unknown values (during
        preview) are passed through unchecked.
        """
        olds, _ = _unwrap(_olds)
        plain, secret = _unwrap(news)
        checker = _Checker(self, plain)
        try:
            inputs = checker.run()
        except Exception as exc:  # check must report, never crash the host
            checker.fail("", f"unexpected error while checking inputs: {exc}")
            inputs = dict(plain)
        # Generation: 0 for a new resource; one more than the stored inputs' for an
        # existing one, so a replacement's derived deduplication id is always new.
        inputs["generation"] = _next_generation(olds)
        return CheckResult(_rewrap(inputs, secret), checker.failures)

    # --- diff ------------------------------------------------------------------------

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        """Plan update in place, replacement or nothing; reads the live session.

        A session that ended by itself (stopping, stopped or gone) is planned for
        replacement, so a preview tells the truth without ``--refresh``.
        """
        olds, _ = _unwrap(_olds)
        news, _ = _unwrap(_news)
        replaces: list[str] = []
        changes = False
        for key in REPLACE_KEYS:
            if key not in news or news[key] is None:
                # Absent means "no opinion": the session keeps what it has.
                continue
            if _contains_unknown(news[key]) or news[key] != _stored(olds, key):
                replaces.append(key)
        adopt = news.get("session_id")
        if adopt is not None and (_is_unknown(adopt) or adopt != _id):
            replaces.append("session_id")
        for key in UPDATE_KEYS:
            value = news.get(key)
            if value is not None and (_contains_unknown(value) or value != _stored(olds, key)):
                changes = True
        for key in SETTING_KEYS:
            if key in news and news[key] != olds.get(key):
                changes = True
        if not replaces and self._ended_by_itself(_id):
            replaces.append("status")
        # A shared (user-given) deduplication id would hand the replacement the very
        # session being replaced while it lives: end the old one first.
        given = news.get("deduplication_id")
        delete_before_replace = bool(replaces) and given is not None and not _is_unknown(given)
        return DiffResult(
            changes=changes or bool(replaces),
            replaces=replaces,
            delete_before_replace=delete_before_replace or None,
        )

    def _ended_by_itself(self, session_id: str) -> bool:
        try:
            session = self._client().get_session(session_id)
        except NotFoundError:
            return True
        except QpuError as exc:
            # Diff without the live view is still a correct static diff; say so once.
            _say(f"qpu: could not read session {session_id} to check it still runs: {exc}")
            return False
        return session.status in _ENDED

    # --- create ----------------------------------------------------------------------

    def create(self, props: dict[str, Any]) -> CreateResult:
        """POST the session (or adopt ``session_id``), wait as asked, return all outputs.

        If the wait fails or times out, a session this resource owns is terminated
        before the error is raised, so nothing is left running outside the state.
        """
        inputs, secret = _unwrap(props)
        client = self._client()
        adopt = inputs.get("session_id")
        if adopt:
            session = self._adopt(str(adopt), inputs)
            owned = True
        else:
            session, owned = self._post(inputs)
        session = self._bring_in_line(session, inputs)
        if inputs.get("wait_for_running", True) and not inputs.get("booking_demand"):
            # A booked session stays starting until its slot: accepted is enough.
            session = self._wait_running(client, session, inputs, owned)
        return CreateResult(session.id, _rewrap(_outputs(session, inputs), secret))

    def _post(self, inputs: Mapping[str, Any]) -> tuple[WireSession, bool]:
        client = self._client()
        given = inputs.get("deduplication_id")
        booking = inputs.get("booking_demand")
        request: dict[str, Any] = {
            "platform_id": inputs["platform_id"],
            "project_id": inputs["project_id"],
            "name": inputs.get("name"),
            "max_idle_duration": inputs.get("max_idle_duration"),
            "max_duration": inputs.get("max_duration"),
            "tags": inputs.get("tags"),
            "booking_demand": BookingDemand.model_validate(booking) if booking else None,
            "model_id": inputs.get("model_id"),
            "parameters": inputs.get("parameters"),
        }
        if given:
            session = client.create_session(deduplication_id=str(given), **request)
            if not _matches(session, inputs):
                # Someone else's live session holds this id with other settings: it is
                # theirs to keep, so report instead of terminating it.
                raise QpuError(
                    f"deduplication_id {given!r} is held by live session {session.id} on "
                    f"platform {session.platform_id} with other settings; choose another "
                    "deduplication_id or declare the same platform, model and parameters"
                )
            return session, False
        key = str(inputs.get("resource_key") or _fallback_key(inputs))
        generation = int(inputs.get("generation") or 0)
        for salt in range(_MAX_SALTS + 1):
            dedup = derived_deduplication_id(key, generation, salt)
            session = client.create_session(deduplication_id=dedup, **request)
            if session.status not in _ENDED and _matches(session, inputs):
                return session, True
            if session.status not in _ENDED:
                # Ours by construction (the id derives from this resource), but made for
                # other inputs by an interrupted earlier run: end it, do not leak it.
                _say(f"qpu: terminating session {session.id} left by an interrupted create")
                _terminate_quietly(client, session.id)
        raise QpuError(
            f"could not obtain a fresh session for deduplication ids derived from "
            f"{key!r} after {_MAX_SALTS + 1} attempts; set deduplication_id explicitly"
        )

    def _adopt(self, session_id: str, inputs: Mapping[str, Any]) -> WireSession:
        try:
            session: WireSession = self._client().get_session(session_id)
        except NotFoundError:
            raise QpuError(
                f"cannot adopt session {session_id}: it does not exist (check session_id)"
            ) from None
        problems = []
        if session.platform_id != inputs.get("platform_id"):
            problems.append(
                f"its platform is {session.platform_id}, the declaration says "
                f"{inputs.get('platform_id')}"
            )
        if session.project_id != inputs.get("project_id"):
            problems.append(
                f"its project is {session.project_id}, the declaration says "
                f"{inputs.get('project_id')}"
            )
        # What cannot change in place must already match, or the next diff would
        # replace the session just adopted.
        for key in ("model_id", "parameters", "deduplication_id"):
            wanted = inputs.get(key)
            if wanted is not None and wanted != (getattr(session, key) or None):
                problems.append(
                    f"its {key} is {getattr(session, key)!r}, the declaration says {wanted!r}"
                )
        if session.status in _ENDED:
            problems.append(f"it is {session.status.value} and cannot run again")
        if problems:
            raise QpuError(
                f"cannot adopt session {session_id}: " + "; ".join(problems) + ". Fix the "
                "declaration's platform/project, or remove session_id to create a new session"
            )
        return session

    def _bring_in_line(self, session: WireSession, inputs: Mapping[str, Any]) -> WireSession:
        # An adopted or deduplicated session keeps its old name/tags/durations: PATCH
        # what the declaration sets differently, so state matches the program at once.
        changed = {
            key: inputs[key]
            for key in UPDATE_KEYS
            if inputs.get(key) is not None and inputs[key] != getattr(session, key)
        }
        if not changed:
            return session
        updated: WireSession = self._client().update_session(session.id, **changed)
        return updated

    def _wait_running(
        self, client: QaasClient, session: WireSession, inputs: Mapping[str, Any], owned: bool
    ) -> WireSession:
        if session.status == SessionStatus.RUNNING:
            return session
        timeout = _seconds(str(inputs.get("create_timeout") or DEFAULT_CREATE_TIMEOUT))
        label = _label(session)
        try:
            waited: WireSession = client.wait_for_session(
                session.id,
                until=(SessionStatus.RUNNING,),
                timeout=timeout,
                on_change=_progress(label),
            )
            return waited
        # Any failure after the POST (a wait that ended, or a poll that ran out of
        # retries) would leave an owned session running outside every state.
        except QpuError as exc:
            if owned:
                _terminate_quietly(client, session.id)
                fate = "it was terminated so that nothing is left running"
            else:
                fate = "it was left as is because its deduplication_id is shared"
            hint = (
                "raise create_timeout or set wait_for_running=False"
                if isinstance(exc, WaitTimeoutError)
                else "see the session's progress_message"
                if isinstance(exc, WaitError)
                else "the API could not be read while waiting; run pulumi up again"
            )
            raise QpuError(f"{label} did not reach running: {exc}; {fate} ({hint})") from None

    # --- read ------------------------------------------------------------------------

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh from the live session; a deleted session leaves the state."""
        olds, secret = _unwrap(props)
        try:
            session: WireSession = self._client().get_session(id_)
        except NotFoundError:
            return ReadResult("", {})
        outputs = _outputs(session, olds)
        # The inputs as they would read now; a derived deduplication id and the adoption
        # id are the provider's business, not something the program declared.
        skip = {"deduplication_id", "session_id"}
        inputs: dict[str, Any] = {
            k: outputs[k] for k in INPUT_KEYS if k in outputs and k not in skip
        }
        dedup = str(outputs.get("deduplication_id") or "")
        if dedup and not dedup.startswith(DERIVED_DEDUPLICATION_PREFIX):
            inputs["deduplication_id"] = dedup
        return ReadResult(id_, _rewrap(outputs, secret), _rewrap(inputs, secret))

    # --- update ----------------------------------------------------------------------

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        """PATCH only the fields that changed; settings changes just update the state."""
        olds, _ = _unwrap(_olds)
        news, secret = _unwrap(_news)
        client = self._client()
        changed = {
            key: news[key]
            for key in UPDATE_KEYS
            if news.get(key) is not None and news[key] != _stored(olds, key)
        }
        if changed:
            session: WireSession = client.update_session(_id, **changed)
        else:
            session = client.get_session(_id)
        return UpdateResult(_rewrap(_outputs(session, news), secret))

    # --- delete ----------------------------------------------------------------------

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Terminate (idempotent), wait for ``stopped``, then delete when asked."""
        props, _ = _unwrap(_props)
        client = self._client()
        label = f"session {props['name']} ({_id})" if props.get("name") else f"session {_id}"
        try:
            session: WireSession = client.terminate_session(_id)
        except NotFoundError:
            return  # already gone: destroy's goal is reached
        if session.status != SessionStatus.STOPPED:
            timeout = _seconds(str(props.get("delete_timeout") or DEFAULT_DELETE_TIMEOUT))
            try:
                client.wait_for_session(
                    _id,
                    until=(SessionStatus.STOPPED,),
                    timeout=timeout,
                    on_change=_progress(label),
                )
            except SessionEndedError:
                return  # deleted by someone else while stopping: gone is stopped enough
            except WaitTimeoutError as exc:
                raise QpuError(
                    f"{label} is still stopping after {timeout:g}s: {exc} "
                    "(raise delete_timeout; the session was asked to terminate)"
                ) from None
        if props.get("on_delete") == "terminate_and_delete":
            with contextlib.suppress(NotFoundError):
                client.delete_session(_id)


# --- helpers ------------------------------------------------------------------------


def _say(line: str) -> None:
    # The host turns provider stderr into info diagnostics; stdout carries its port.
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _label(session: WireSession) -> str:
    return f"session {session.name} ({session.id})" if session.name else f"session {session.id}"


def _progress(label: str) -> Callable[..., None]:
    """One line per status change while waiting (the client calls it on changes only)."""

    def on_change(session: WireSession, *_: object) -> None:
        message = f": {session.progress_message}" if session.progress_message else ""
        _say(f"qpu: {label} is {session.status.value}{message}")

    return on_change


def _terminate_quietly(client: QaasClient, session_id: str) -> None:
    try:
        client.terminate_session(session_id)
    except QpuError as exc:
        _say(f"qpu: could not terminate session {session_id}: {exc}; terminate it by hand")


def _next_generation(olds: Mapping[str, Any]) -> int:
    """0 for a new resource, else one more than the stored inputs' generation."""
    if not olds:
        return 0
    previous = olds.get("generation")
    try:
        return int(previous) + 1 if isinstance(previous, (int, float)) else 1
    except (ValueError, OverflowError):  # NaN or infinity in a hand-edited state
        return 1


def _fallback_key(inputs: Mapping[str, Any]) -> str:
    # Without a resource_key (the provider used outside Session), the declared values
    # are the best stable identity there is.
    return "|".join(str(inputs.get(k) or "") for k in ("project_id", "platform_id", "name"))


def _matches(session: WireSession, inputs: Mapping[str, Any]) -> bool:
    """Tell whether a session returned by deduplication is one these inputs would make."""
    return (
        session.platform_id == inputs.get("platform_id")
        and session.project_id == inputs.get("project_id")
        and (session.model_id or None) == (inputs.get("model_id") or None)
        and (session.parameters or None) == (inputs.get("parameters") or None)
    )


def _stored(olds: Mapping[str, Any], key: str) -> Any:
    """Return the stored output for ``key``, the API's "unset" spelling made None."""
    value = olds.get(key)
    return None if value == "" else value


def _outputs(session: WireSession, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Complete, JSON-safe outputs: every session field plus the inputs state needs."""
    outputs: dict[str, Any] = {
        k: v for k, v in session.model_dump(mode="json").items() if v is not None
    }
    for key in (*SETTING_KEYS, "platform_name", "booking_demand", "resource_key", "generation"):
        value = inputs.get(key)
        if value is not None and not _is_unknown(value):
            outputs[key] = value
    # Kept so that a later diff knows this session was adopted under that id.
    if inputs.get("session_id"):
        outputs["session_id"] = inputs["session_id"]
    return outputs


class _Checker:
    """One run of check over one set of inputs, collecting failures."""

    def __init__(self, provider: SessionProvider, news: Mapping[str, Any]) -> None:
        self.provider = provider
        self.news = news
        self.failures: list[CheckFailure] = []
        self.out: dict[str, Any] = {}

    def fail(self, prop: str, reason: str) -> None:
        self.failures.append(CheckFailure(prop, reason))

    def run(self) -> dict[str, Any]:
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
        self._string("model_id", 255)
        self._string("session_id", 255)
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
        return value is not None and not _is_unknown(value)

    def _string(self, key: str, limit: int) -> None:
        if not self._known(key):
            return
        value = self.out[key]
        if not isinstance(value, str):
            self.fail(key, f"{key} must be a string, not {type(value).__name__}")
        elif len(value) > limit:
            self.fail(key, f"{key} is {len(value)} characters long; the limit is {limit}")

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
            if not _is_unknown(value) and (not isinstance(value, str) or not value):
                self.fail("platform_id", "platform_id must be a non-empty string (a UUID)")
            return
        name = self.out["platform_name"]
        if _is_unknown(name):
            self.out["platform_id"] = rpc.UNKNOWN
            return
        if not isinstance(name, str) or not name:
            self.fail("platform_name", "platform_name must be a non-empty string")
            return
        try:
            self.out["platform_id"] = self.provider._platform_id(name)
        except NotFoundError as exc:
            closest = getattr(exc, "closest_names", None)
            hint = f"; did you mean {', '.join(map(repr, closest))}?" if closest else ""
            self.fail(
                "platform_name",
                f"no platform is named {name!r}{hint} (list them with pulumi_qpu.list_platforms)",
            )
        except ConfigurationError as exc:
            self.fail("platform_name", f"cannot look up platform {name!r}: {exc}")
        except QpuError as exc:
            self.fail(
                "platform_name",
                f"cannot look up platform {name!r}: {exc} (or set platform_id instead)",
            )

    def _project(self) -> None:
        value = self.out.get("project_id")
        if value is None:
            try:
                resolved = self.provider._config().project_id
            except ConfigurationError as exc:
                resolved = None
                reason = str(exc)
            else:
                reason = ""
            if resolved:
                self.out["project_id"] = resolved
                return
            self.fail(
                "project_id",
                "no project: set project_id on the Session, stack config qpu:projectId, "
                "SCW_DEFAULT_PROJECT_ID, or default_project_id in the scw config file"
                + (f" ({reason})" if reason else ""),
            )
            return
        if _is_unknown(value):
            return
        if not isinstance(value, str) or not _UUID.match(value):
            self.fail("project_id", f"project_id must be a UUID, not {value!r}")

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

    def _duration(self, key: str, default: str | None) -> None:
        value = self.out.get(key)
        if value is None:
            if default is not None:
                self.out[key] = default
            return
        if _is_unknown(value):
            return
        try:
            self.out[key] = to_wire_duration(value)
        except InvalidDurationError as exc:
            self.fail(key, f"{key}: {exc}")

    def _tags(self) -> None:
        value = self.out.get("tags")
        if value is None or _is_unknown(value):
            return
        if not isinstance(value, list):
            self.fail("tags", f"tags must be a list of strings, not {type(value).__name__}")
            return
        if len(value) > _MAX_TAGS:
            self.fail("tags", f"{len(value)} tags; a session takes at most {_MAX_TAGS}")
        for tag in value:
            if _is_unknown(tag):
                continue
            if not isinstance(tag, str) or not tag or len(tag) > _MAX_TAG:
                self.fail(
                    "tags",
                    f"tag {tag!r} must be a non-empty string of at most {_MAX_TAG} characters",
                )

    def _parameters(self) -> None:
        value = self.out.get("parameters")
        if value is None or _contains_unknown(value):
            return
        try:
            text = _canonical_parameters(value)
        except (TypeError, ValueError) as exc:
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
        if value is None or _contains_unknown(value):
            return
        try:
            demand = BookingDemand.model_validate(value)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in exc.errors()
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
        if not _is_unknown(wait) and not isinstance(wait, bool):
            self.fail("wait_for_running", "wait_for_running must be True or False")
        mode = self.out.setdefault("on_delete", "terminate")
        if not _is_unknown(mode) and mode not in ON_DELETE_MODES:
            self.fail(
                "on_delete",
                f"on_delete must be one of {', '.join(map(repr, ON_DELETE_MODES))}, not {mode!r}",
            )
