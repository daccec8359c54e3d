"""The dynamic resource provider behind :class:`pulumi_qpu.Session`: the lifecycle calls.

:class:`SessionProvider` runs inside the SDK's dynamic provider host (``python -m
pulumi.dynamic``), one instance shared by the host's 4 worker threads. It pickles *by
reference* (module and class name, no instance state: see ``__reduce__``), so the
``__provider`` property is about 80 bytes, holds no secret, and the host always runs the
installed code. Credentials come from ``configure`` (stack config ``qpu:*``), the
environment or the scw config file, and live only in the host process.

Where each concern lives:

* :mod:`pulumi_qpu.checks`: every input, what a change of each does, check's rules;
* :mod:`pulumi_qpu.identity`: which session a create gets (deduplication ids, the
  creating tag, the chain a replacement walks);
* here: check, diff, create, read, update and delete as the engine calls them.

The design and the engine facts it rests on are in ``docs/provider.md``.

Lines go to the engine against the Session's URN (pulumi_qpu/host.py), or to stderr,
which the engine prints as is; it strips secrets before calling the provider, so the
provider cannot know which inputs were secret. Those lines therefore never hold an input
value: the Pulumi resource name, the session id and what the API says, nothing else.
"""

from __future__ import annotations

import contextlib
import contextvars
import difflib
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, cast

from pulumi.dynamic import (
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from pulumi_qpu.checks import (
    DEFAULT_CREATE_TIMEOUT,
    DEFAULT_DELETE_TIMEOUT,
    INPUT_KEYS,
    ON_DELETE_MODES,
    OUTPUT_KEYS,
    REPLACE_KEYS,
    SETTING_KEYS,
    UPDATE_KEYS,
    DeduplicationClaims,
    InputChecker,
    adoption_refusal,
    canonical_parameters,
    contains_unknown,
    is_unknown,
    rewrap,
    unwrap,
)
from pulumi_qpu.client import QaasClient
from pulumi_qpu.config import ResolvedConfig, for_stack, resolve_config
from pulumi_qpu.cost import (
    COST_OUTPUT_KEYS,
    PlatformPrices,
    check_budget,
    cost_outputs,
    platform_prices,
    worst_case_line,
)
from pulumi_qpu.errors import (
    ConfigurationError,
    DeniedAuthenticationError,
    NotFoundError,
    PermissionsDeniedError,
    QpuError,
    SessionEndedError,
    WaitError,
    WaitTimeoutError,
)
from pulumi_qpu.host import Severity, say, session_urn
from pulumi_qpu.identity import (
    DERIVED_DEDUPLICATION_PREFIX,
    ENDED,
    HEARTBEAT_SECONDS,
    adopted_tag,
    creating_mark,
    creating_tag,
    derived_deduplication_id,
    hidden_tags,
    identity_key,
    is_adopted_tag,
    is_creating_tag,
    managed_elsewhere,
    matches,
    new_run,
    obtain_session,
    terminate_quietly,
    visible_tags,
    without_creating_tags,
)
from pulumi_qpu.models import BookingDemand, Platform, SessionStatus, wire_duration_seconds
from pulumi_qpu.models import Session as WireSession
from pulumi_qpu.retry import PULUMI_RETRY_POLICY
from pulumi_qpu.watchdog import watch_engine

__all__ = [
    "CONFIG_KEYS",
    "DECLARED_FIELDS",
    "DEFAULT_CREATE_TIMEOUT",
    "DEFAULT_DELETE_TIMEOUT",
    "DERIVED_DEDUPLICATION_PREFIX",
    "INPUT_KEYS",
    "MAX_COST_KEY",
    "ON_DELETE_MODES",
    "OUTPUT_KEYS",
    "REPLACE_KEYS",
    "SETTING_KEYS",
    "UPDATE_KEYS",
    "SessionProvider",
    "derived_deduplication_id",
    "lines_about",
]

MAX_COST_KEY: Final = "qpu:maxCostPerSession"
"""Stack config key of the budget of every Session that sets no ``max_cost``."""

CONFIG_KEYS: Final = (
    "qpu:secretKey",
    "qpu:projectId",
    "qpu:apiUrl",
    "qpu:profile",
    MAX_COST_KEY,
)
"""Stack config keys the provider reads in ``configure``."""

DECLARED_FIELDS: Final = "declared_fields"
"""State-only output: which of :data:`UPDATE_KEYS` the declaration sets, for read.

Refresh must give back the inputs check would produce; a name or tags the program
leaves to the API are in the session but were never inputs."""

# Inputs the state needs beside the session's fields (delete and read use them).
_KEPT_INPUTS: Final = (*SETTING_KEYS, "platform_name", "booking_demand", "resource_key")


def _seconds(value: str) -> float:
    return float(value.rstrip("s"))


_UNKNOWN_DURATION: Final = object()


def _wire_duration_or_unknown(value: object) -> object:
    """Return a checked max_duration: wire text, None (not declared) or a marker (unknown).

    A value check refused is treated as not known: its failure is already reported.
    """
    if value is None:
        return None
    if not isinstance(value, str) or is_unknown(value):
        return _UNKNOWN_DURATION
    try:
        wire_duration_seconds(value)
    except ValueError:
        return _UNKNOWN_DURATION
    return value


# --- the provider -------------------------------------------------------------------


@dataclass
class _Runtime:
    """What one provider instance holds in the host process; never pickled."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    stack_config: dict[str, str] = field(default_factory=dict)
    # qpu: keys of the stack config that are no setting (typos), each with its fix.
    unknown_config: list[str] = field(default_factory=list)
    client: QaasClient | None = None
    platform_ids: dict[str, str] = field(default_factory=dict)
    platforms: dict[str, Platform] = field(default_factory=dict)  # by id, for prices
    # Held while a platform is read, so that one read serves every concurrent caller.
    platform_read: threading.Lock = field(default_factory=threading.Lock)
    # Sessions a diff of this deployment planned to replace: their replacement's create
    # walks past them without a warning (identity.obtain_session).
    replacing: set[str] = field(default_factory=set)
    # Every Session of a deployment shares this instance: check sees them all.
    deduplication_claims: DeduplicationClaims = field(default_factory=DeduplicationClaims)
    # (identity key, session_id) of adopted Sessions a diff of this run plans to replace:
    # the Check and Create that follow may find the adopted session deleted (404).
    adopted_replacing: set[tuple[str, str]] = field(default_factory=set)
    # Sessions already reported as unseen by these credentials (said once per process).
    unseen: set[str] = field(default_factory=set)


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
                    watch_engine()
        return runtime

    def configure(self, req: ConfigureRequest) -> None:
        """Keep the ``qpu:*`` stack config; credentials are resolved on first use."""
        runtime = self._runtime()
        config: dict[str, str] = {}
        for key in CONFIG_KEYS:
            value = req.config.get(key)
            if value is not None and value != "":
                config[key] = str(value)
        # The SDK's Config offers get() only; its raw mapping (pulumi 3.260 to 3.272:
        # ``_props``) is the one way to see a key that is no setting.
        raw = getattr(req.config, "_props", None)
        keys = sorted(str(key) for key in raw) if isinstance(raw, Mapping) else []
        unknown = [_unknown_config_key(key) for key in keys if _is_unknown_key(key)]
        self.close()
        with runtime.lock:
            runtime.stack_config = config
            runtime.unknown_config = unknown

    def close(self) -> None:
        """Close the HTTP client, if one was built (the host never needs to)."""
        runtime = self._runtime()
        with runtime.lock:
            client, runtime.client = runtime.client, None
        if client is not None:
            client.close()

    def _config(self, *, require_secret_key: bool = True) -> ResolvedConfig:
        return resolve_config(
            stack_config=self._runtime().stack_config, require_secret_key=require_secret_key
        )

    def client(self) -> QaasClient:
        """Return the provider's API client (built on first use from the configuration)."""
        return self._client()

    def _client(self) -> QaasClient:
        runtime = self._runtime()
        client = runtime.client
        if client is None:
            with runtime.lock:
                client = runtime.client
                if client is None:
                    try:
                        config = self._config()
                    except ConfigurationError as exc:
                        # The fix a stack applies (pulumi config set ...), not a client's.
                        raise for_stack(exc) from None
                    client = QaasClient.from_config(config, retry=PULUMI_RETRY_POLICY)
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
            runtime.platforms[platform_id] = platform
        return platform_id

    def _platform(self, platform_id: str) -> Platform:
        """Return the platform, read once per process.

        Concurrent calls (the plugin refreshes many Sessions at once) wait for the one
        read under way instead of each sending its own GET.
        """
        runtime = self._runtime()
        with runtime.platform_read:
            with runtime.lock:
                platform = runtime.platforms.get(platform_id)
            if platform is None:
                platform = self._client().get_platform(platform_id)
                with runtime.lock:
                    runtime.platforms[platform_id] = platform
        return platform

    def _prices(
        self, platform_id: str, checker: InputChecker | None = None
    ) -> PlatformPrices | None:
        """Return the platform's prices, read once per process; None if they cannot be.

        With a ``checker``, a configuration, key or URL problem is its failure (said
        once) rather than a line of its own.
        """
        try:
            return platform_prices(self._platform(platform_id))
        except (QpuError, ValueError) as exc:
            if checker is not None and isinstance(exc, QpuError) and checker.cannot_reach(exc):
                return None
            # Cost is information: without it a Session still works (a budget, if set,
            # is then reported unverifiable by check).
            # Never the id itself: an input, which the program may have made secret.
            _say(f"qpu: could not read the prices of a declared platform: {exc}")
            return None

    # --- check -----------------------------------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate and canonicalize inputs; never raises, never changes anything remote.

        The checked inputs depend on the declaration only, never on the olds (the engine
        sends none before a replacement's create), so a no-op ``up`` returns exactly the
        stored inputs. The olds only tell whether ``session_id`` names a session this
        resource does not hold yet, which is then read and refused here if create would
        refuse it. Every failure names the property and says how to fix it, and never
        repeats an input's value (it may have been secret). Unknown values (during
        preview) are passed through unchecked. One thing spans resources: a given
        ``deduplication_id`` that another Session of the deployment already gives fails.
        """
        plain, secret = unwrap(news)
        checker = InputChecker(
            plain,
            platform_id=self._platform_id,
            # The project alone: a missing key is no reason to say the project is missing.
            default_project_id=lambda: self._config(require_secret_key=False).project_id,
            deduplication_claims=self._runtime().deduplication_claims,
        )
        for problem in self._runtime().unknown_config:
            # A misspelt setting is silently no setting: a budget off, another API used.
            checker.fail("", problem)
        try:
            try:
                self._client()  # no request: the settings a lookup needs, resolved
            except ConfigurationError as exc:
                # Said once, as the stack's problem; no lookup is tried after it.
                checker.cannot_reach(exc)
            inputs = checker.run()
            self._check_cost(inputs, checker, announce=not _olds)
            self._check_adoption(unwrap(_olds)[0], inputs, checker)
        except Exception as exc:  # check must report, never crash the host
            # The type only: an unexpected error's text may quote an input.
            checker.fail(
                "",
                f"unexpected error while checking inputs ({type(exc).__name__}); please "
                "report it with the declaration's shape",
            )
            inputs = dict(plain)
        return CheckResult(rewrap(inputs, secret), checker.failures)

    def _check_cost(self, inputs: dict[str, Any], checker: InputChecker, *, announce: bool) -> None:
        """Add the cost known from the declaration, check the budget, say the worst case.

        The cost keys go into the checked inputs because, for a dynamic provider, those
        are all a preview shows of a Session to be created (docs/cost.md). They depend
        on the declaration and the platform's prices only, so a no-op ``up`` still gets
        back the stored inputs. ``announce``: no olds, so a create or a replacement
        (the engine checks a replacement again without olds): one line says its cost.
        """
        platform_id = inputs.get("platform_id")
        max_cost = inputs.get("max_cost")
        duration = inputs.get("max_duration")
        # None when not declared; the unknown marker while it is not known yet.
        known_duration = _wire_duration_or_unknown(duration)
        declared = known_duration if isinstance(known_duration, str) else None
        prices = None
        if (
            isinstance(platform_id, str)
            and platform_id
            and not is_unknown(platform_id)
            and not checker.cut_off
        ):
            prices = self._prices(platform_id, checker)
        if prices is not None:
            inputs.update(cost_outputs(prices, declared, accrued=False))
        per_session = self._runtime().stack_config.get(MAX_COST_KEY)
        # The stack's budget is no property of the Session: a resource-level failure
        # ("has a problem: ..."), not "property max_cost value {<nil>}".
        budget_prop = "max_cost" if max_cost is not None else ""
        if (
            prices is None
            and platform_id
            and not is_unknown(platform_id)
            and not checker.cut_off  # the one failure says why nothing could be read
            and (max_cost is not None or per_session)
        ):
            # A budget exists to stop what it cannot vouch for.
            checker.fail(
                budget_prop,
                "the platform's prices could not be read, so the budget cannot be checked; "
                "run again when the API answers",
            )
        elif not contains_unknown(max_cost):
            # A duration not known yet: only the budget's form now, the rest at up.
            checkable = None if known_duration is _UNKNOWN_DURATION else prices
            reason = check_budget(max_cost, per_session, checkable, declared)
            if reason is not None:
                checker.fail(budget_prop, reason)
        # No line for a Session that adopts an existing session (its cost is that
        # session's, read at up) or whose max_duration check refused: the failure says
        # it, and a "known at up" line would contradict it.
        refused = any(failure.property == "max_duration" for failure in checker.failures)
        if announce and prices is not None and not inputs.get("session_id") and not refused:
            name = _resource_name(inputs)
            label = f"session {name}" if name else "a new session"
            line = worst_case_line(label, inputs, known_duration)
            if line is not None:
                _say(line, inputs)

    def _check_adoption(
        self, olds: Mapping[str, Any], inputs: dict[str, Any], checker: InputChecker
    ) -> None:
        """Refuse at preview a ``session_id`` create would refuse: read that session.

        Only for a session this resource does not hold yet (the old inputs name another
        one, or there are none). The Check the engine makes with no olds before a
        replacement finds the session carrying this resource's adoption tag, or (deleted
        since) remembered by this run's diff: no failure then, create makes a fresh one.
        """
        session_id = inputs.get("session_id")
        if (
            not isinstance(session_id, str)
            or is_unknown(session_id)
            or olds.get("session_id") == session_id
            or any(failure.property == "session_id" for failure in checker.failures)
            or checker.cut_off
        ):
            return
        try:
            session: WireSession = self._client().get_session(session_id)
        except NotFoundError:
            if (identity_key(inputs), session_id) in self._runtime().adopted_replacing:
                return
            checker.fail(
                "session_id",
                "the session named by session_id does not exist, or cannot be seen with the "
                "current credentials: check session_id and qpu:secretKey/qpu:projectId, or "
                "remove session_id to create a new session",
            )
            return
        except QpuError as exc:
            if checker.cannot_reach(exc):
                return
            reason = str(exc).replace(session_id, "<session_id>")  # may be secret
            checker.fail(
                "session_id",
                f"could not read the session named by session_id to check that it can be "
                f"adopted: {reason}; run again when the API answers",
            )
            return
        if adopted_tag(inputs) in (session.tags or ()):
            return  # adopted already: a replacement, which makes a fresh session
        refusal = adoption_refusal(session, inputs, platform_name=self._platform_name)
        if refusal is not None:
            checker.fail("session_id", refusal)

    def _platform_name(self, platform_id: str) -> str:
        """Return the API's name of a platform (for messages); its id if unreadable."""
        try:
            return self._platform(platform_id).name
        except QpuError:
            return platform_id

    # --- diff ------------------------------------------------------------------------

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        """Plan update in place, replacement or nothing; reads the live session.

        A session that ended by itself (stopping, stopped or gone) is planned for
        replacement, so a preview tells the truth without ``--refresh``; so is one whose
        new ``max_duration`` is no longer than it has already run (a PATCH would end it).
        A session the current credentials cannot see (moved credentials) is not gone:
        nothing is planned for it. An update in place is answered "changes unknown": the
        engine then diffs the inputs itself and learns which keys changed, which
        ``replace_on_changes`` needs (the SDK's ``DiffResult`` cannot send changed keys).
        """
        olds, _ = unwrap(_olds)
        news, _ = unwrap(_news)
        replaces: list[str] = []
        changes = False
        for key in REPLACE_KEYS:
            if key not in news or news[key] is None:
                # Absent means "no opinion": the session keeps what it has.
                continue
            if contains_unknown(news[key]) or news[key] != _comparable(olds, key):
                replaces.append(key)
        # session_id replaces only when the *declared* value changes: after a replacement
        # of an adopted Session the state holds a fresh session, not the one named.
        adopt = news.get("session_id")
        if adopt is not None and (
            is_unknown(adopt) or (adopt != olds.get("session_id") and adopt != _id)
        ):
            replaces.append("session_id")
        for key in UPDATE_KEYS:
            value = news.get(key)
            if value is not None and (contains_unknown(value) or value != _stored(olds, key)):
                changes = True
        for key in SETTING_KEYS:
            if key in news and news[key] != olds.get(key):
                changes = True
        renamed = news.get("resource_key")
        if isinstance(renamed, str) and olds.get("resource_key") not in (None, renamed):
            # Renamed with an alias: a state-only update, so that what reads the stored
            # outputs (lines, the chain of ids) names the resource as it is now.
            changes = True
        label = _label(news, _id)
        if not replaces:
            replaces += self._live_replaces(_id, olds, news, label)
        elif "project_id" in replaces:
            self._warn_if_unseen(_id, olds, label)
        if not replaces:
            return DiffResult(changes=None if changes else False, replaces=[])
        with self._runtime().lock:
            self._runtime().replacing.add(_id)
        if isinstance(adopt, str) and not is_unknown(adopt) and adopt == olds.get("session_id"):
            # The Check and Create that follow may find the adopted session deleted.
            with self._runtime().lock:
                self._runtime().adopted_replacing.add((identity_key(news), adopt))
        # A shared (user-given) deduplication id would hand the replacement the very
        # session being replaced while it lives: end the old one first. (Session also
        # sets the delete_before_replace option, for `--replace`, which skips diff.)
        given = news.get("deduplication_id")
        delete_before_replace = given is not None and not is_unknown(given)
        return DiffResult(
            changes=True, replaces=replaces, delete_before_replace=delete_before_replace or None
        )

    def _live_replaces(
        self, session_id: str, olds: Mapping[str, Any], news: Mapping[str, Any], label: str
    ) -> list[str]:
        """Return what the live session forces to replace: ``status`` or ``max_duration``."""
        try:
            session: WireSession = self._client().read_session(
                session_id, project_id=_project_of(olds)
            )
        except NotFoundError:
            try:
                gone = self._gone(olds)
            except QpuError as exc:
                _say(f"qpu: could not tell whether {label} still exists: {exc}", news)
                return []
            if gone:
                _say(
                    f"qpu: {label} is gone (deleted outside Pulumi): replacing it with a new "
                    "session",
                    news,
                    severity="warning",
                )
                return ["status"]
            self._say_unseen(session_id, olds, label)
            return []
        except QpuError as exc:
            # Diff without the live view is still a correct static diff; say so once.
            _say(f"qpu: could not read {label} to check it still runs: {exc}", news)
            return []
        if session.status in ENDED:
            # The engine shows "replace" without a reason unless --diff: say it here.
            why = f": {session.progress_message}" if session.progress_message else ""
            _say(
                f"qpu: {label} has ended ({session.status.value}{why}): replacing it with a "
                "new session",
                news,
                severity="warning",
            )
            return ["status"]
        new = news.get("max_duration")
        if (
            session.status == SessionStatus.RUNNING
            and session.started_at is not None
            and isinstance(new, str)
            and not is_unknown(new)
            and new != _stored(olds, "max_duration")
        ):
            # By the API's clock, which ends the session, not this machine's.
            ran = (self._client().server_now() - session.started_at).total_seconds()
            with contextlib.suppress(ValueError):
                if float(wire_duration_seconds(new)) <= ran:
                    _say(
                        f"qpu: {label} has already run {ran:.0f}s, as long as its new "
                        "max_duration or longer: a PATCH would end it, so it is replaced",
                        news,
                        severity="warning",
                    )
                    return ["max_duration"]
        return []

    def _gone(self, olds: Mapping[str, Any]) -> bool:
        """Tell, after a 404, whether the session is gone or only out of sight.

        The API answers 404 alike for a session that does not exist and for one in a
        project the key cannot read. Listing the session's project (one page of one)
        tells them apart: refused means not seen, not gone. Raises what the API raised
        when it cannot tell (a network failure).
        """
        project = _project_of(olds)
        if project is None:
            return True  # nothing to look with: the 404 is all there is
        try:
            next(iter(self._client().list_sessions(project_id=project, page_size=1)), None)
        except (PermissionsDeniedError, DeniedAuthenticationError, NotFoundError):
            return False
        return True

    def _say_unseen(self, session_id: str, olds: Mapping[str, Any], label: str) -> None:
        runtime = self._runtime()
        with runtime.lock:
            if session_id in runtime.unseen:
                return
            runtime.unseen.add(session_id)
        _say(
            f"qpu: {label} cannot be seen with the current credentials (404, and they "
            f"cannot read project {olds.get('project_id')}): it is not gone, so nothing is "
            "planned for it; use credentials that can read that project (qpu:secretKey)",
            olds,
        )

    def _warn_if_unseen(self, session_id: str, olds: Mapping[str, Any], label: str) -> None:
        """Say when a replacement into another project cannot end the old session."""
        try:
            self._client().get_session(session_id)
        except NotFoundError:
            with contextlib.suppress(QpuError):
                if not self._gone(olds):
                    _say(
                        f"qpu: {label} is in project {olds.get('project_id')}, which the "
                        "current credentials cannot read: the replacement can create the new "
                        "session but cannot end this one (its delete will fail); run with "
                        "credentials that can read both projects",
                        olds,
                    )
        except QpuError:
            pass

    # --- create ----------------------------------------------------------------------

    def create(self, props: dict[str, Any]) -> CreateResult:
        """POST the session (or adopt ``session_id``), wait as asked, return all outputs.

        A session whose deduplication id is derived carries the creating tag until this
        call is about to return, renewed every heartbeat while it waits
        (pulumi_qpu/identity.py). If anything fails after the POST, a session this
        resource owns is terminated before the error is raised; if even that fails, the
        error says so, and the session keeps its creating tag, so the next ``up`` takes it
        back and the stack's leftover sweeper (``destroy``) or ``qpu-leftovers`` ends it.
        """
        inputs, secret = unwrap(props)
        client = self._client()
        adopt = inputs.get("session_id")
        given = inputs.get("deduplication_id")
        heartbeat: _Heartbeat | None = None
        # None: the session named was adopted before (a replacement): make a fresh one.
        adopted = self._adopt(str(adopt), inputs) if adopt else None
        if adopted is not None:
            session, owned, derived = adopted, True, False
        elif given:
            session, owned, derived = self._join(str(given), inputs), False, False
        else:
            run = new_run()
            name = _resource_name(inputs)
            session = obtain_session(
                client,
                self._request(inputs),
                inputs,
                lambda line: _say(line, inputs),
                run=run,
                label=name or "this resource",
                replacing=self._runtime().replacing,
            )
            owned, derived = True, True
            heartbeat = _Heartbeat(client, session, inputs, run)
        label = _label(inputs, session.id)
        failed = "could not be brought in line with the declaration"
        try:
            session = self._bring_in_line(session, inputs, keep_creating_tag=derived)
            if inputs.get("wait_for_running", True) and not inputs.get("booking_demand"):
                # A booked session stays starting until its slot: accepted is enough.
                failed = "did not reach running"
                with heartbeat or contextlib.nullcontext():
                    session = self._wait_running(client, session, inputs, label, heartbeat)
            if derived:
                failed = "could not have its creating tag removed"
                session = self._bring_in_line(session, inputs, keep_creating_tag=False)
        # Any failure after the POST (a wait that ended, a poll or a PATCH that ran out
        # of retries) would leave an owned session running outside every state.
        except QpuError as exc:
            fate = "it was left as is because its deduplication_id is shared"
            if owned and terminate_quietly(client, session.id, lambda line: _say(line, inputs)):
                fate = "it was terminated so that nothing is left running"
            elif derived:
                fate = (
                    "it could NOT be terminated and may still run; it carries the creating "
                    "tag, so the next `pulumi up` takes it back and `pulumi destroy` ends "
                    f"it, or end it now with `qpu-leftovers --end --session {session.id}`"
                )
            elif owned:
                fate = (
                    "it could NOT be terminated and may still run: terminate session "
                    f"{session.id} in the console, or run `pulumi up` again"
                )
            hint = (
                "raise create_timeout or set wait_for_running=False"
                if isinstance(exc, WaitTimeoutError)
                else "see the session's progress_message"
                if isinstance(exc, WaitError)
                else "the API could not be read or changed; run pulumi up again"
            )
            raise QpuError(f"{label} {failed}: {exc}; {fate} ({hint})") from None
        outputs = {**_outputs(session, inputs), **self._session_cost(session)}
        return CreateResult(session.id, rewrap(outputs, secret))

    def _request(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        booking = inputs.get("booking_demand")
        return {
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

    def _join(self, given: str, inputs: Mapping[str, Any]) -> WireSession:
        request = self._request(inputs)
        session: WireSession = self._client().create_session(deduplication_id=given, **request)
        if not matches(session, inputs):
            # Someone else's live session holds this id with other settings: it is
            # theirs to keep, so report instead of terminating it.
            raise QpuError(
                f"the given deduplication_id is held by live session {session.id} on "
                f"platform {session.platform_id} with other settings; choose another "
                "deduplication_id or declare the same platform, model and parameters"
            )
        return session

    def _adopt(self, session_id: str, inputs: Mapping[str, Any]) -> WireSession | None:
        """Adopt ``session_id``: tag it as this resource's; None to make a fresh session.

        A session carrying this resource's adoption tag was adopted before, so this
        create replaces the adopted Session (``--replace``, an input that cannot change
        in place, the session ended): adopting it again would have the engine's delete
        end the very session the state then points to. So does one that ended, one that
        no longer matches what cannot change, or (in a replacement this run's diff
        planned) one deleted since. Check refused every other mismatch at preview.
        """
        client = self._client()
        name = _resource_name(inputs) or "this Session"
        try:
            session: WireSession = client.get_session(session_id)
        except NotFoundError:
            if (identity_key(inputs), session_id) in self._runtime().adopted_replacing:
                _say(
                    f"qpu: {name}: the session it adopted is gone; creating a fresh session", inputs
                )
                return None
            raise QpuError(
                "cannot adopt the session named by session_id: it does not exist, or cannot "
                "be seen with the current credentials (check session_id and qpu:secretKey, "
                "or remove session_id to create a new session)"
            ) from None
        why = managed_elsewhere(session, inputs)
        if why is not None:
            # Checked at preview too; the session may have changed hands since.
            raise QpuError(
                f"cannot adopt session {session.id}: it is managed by a Pulumi stack: {why}; "
                "leave session_id out to create a session of this resource's own"
            )
        mark = adopted_tag(inputs)
        given = inputs.get("deduplication_id")
        if (
            mark in (session.tags or ())
            or session.status in ENDED
            or not matches(session, inputs)
            or (given is not None and session.deduplication_id != given)
        ):
            _say(
                f"qpu: {name}: session {session.id}, named by session_id, was adopted before "
                "(or has ended, or no longer matches): creating a fresh session. If no stack "
                f"holds {session.id} (an adoption whose run was killed), end it with "
                f"`qpu-leftovers --end --force --session {session.id}`",
                inputs,
            )
            return None
        tags = [*visible_tags(session.tags), *hidden_tags(session.tags), mark]
        # The mark first, alone: from now on a replacement knows this session is ours.
        marked: WireSession = client.update_session(session.id, tags=tags)
        return marked

    def _bring_in_line(
        self, session: WireSession, inputs: Mapping[str, Any], *, keep_creating_tag: bool
    ) -> WireSession:
        # An adopted or deduplicated session keeps its old name/tags/durations: PATCH
        # what the declaration sets differently, so state matches the program at once.
        # While create runs, a derived session keeps its creating tag (identity.py).
        wanted = {key: inputs[key] for key in UPDATE_KEYS if inputs.get(key) is not None}
        creating = [tag for tag in session.tags or () if is_creating_tag(tag)]
        # An adopted session keeps its adoption tag on every PATCH of its tags.
        adopted = [tag for tag in session.tags or () if is_adopted_tag(tag)]
        if creating or adopted:
            tags = list(wanted.get("tags") or visible_tags(session.tags))
            wanted["tags"] = tags + (creating if keep_creating_tag else []) + adopted
        changed = {key: value for key, value in wanted.items() if value != getattr(session, key)}
        if not changed:
            return session
        updated: WireSession = self._client().update_session(session.id, **changed)
        return updated

    def _wait_running(
        self,
        client: QaasClient,
        session: WireSession,
        inputs: Mapping[str, Any],
        label: str,
        heartbeat: _Heartbeat | None,
    ) -> WireSession:
        if session.status == SessionStatus.RUNNING:
            return session
        timeout = _seconds(str(inputs.get("create_timeout") or DEFAULT_CREATE_TIMEOUT))

        def ready(polled: WireSession) -> bool:
            if heartbeat is not None:
                heartbeat.on_poll(polled)
            return polled.status == SessionStatus.RUNNING or polled.status in ENDED

        waited: WireSession = client.wait_for_session(
            session.id, until=ready, timeout=timeout, on_change=_progress(label, inputs)
        )
        if waited.status in ENDED:
            message = f": {waited.progress_message}" if waited.progress_message else ""
            raise SessionEndedError(
                f"session {waited.id} is {waited.status.value}{message}, waiting for running",
                session_id=waited.id,
                last_status=waited.status.value,
            )
        return waited

    # --- read ------------------------------------------------------------------------

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh from the live session; a deleted session leaves the state.

        The inputs returned are those check produces for the declaration that made the
        state, with the live values where the session differs: a healthy stack shows no
        change (``pulumi refresh --expect-no-changes``), a session changed by hand shows
        what changed. ``Session.get`` reads by id with no old outputs: a session that
        cannot be read then fails, naming the id.
        """
        olds, secret = unwrap(props)
        try:
            session: WireSession = self._client().read_session(id_, project_id=_project_of(olds))
        except NotFoundError:
            if not olds.get("platform_id"):
                # Session.get: the engine sends only the id (every session has a
                # platform, so a refresh's old outputs always hold one). The engine would
                # record the id with no fields and no error: fail instead.
                raise QpuError(
                    f"Session.get: no session {id_} can be read with the current "
                    "credentials; check the id and qpu:secretKey/qpu:projectId (get reads "
                    "an existing session, it never creates one)"
                ) from None
            if self._gone(olds):
                return ReadResult("", {})
            # Not seen is not gone (moved credentials): keep the state as it is.
            self._say_unseen(id_, olds, _label(olds, id_))
            return ReadResult(
                id_, rewrap(dict(olds), secret), rewrap(self._inputs_of(olds), secret)
            )
        # The accrued cost is refreshed here; prices that cannot be read keep the old.
        kept = {k: olds[k] for k in COST_OUTPUT_KEYS if olds.get(k) is not None}
        outputs = {**_outputs(session, olds), **(self._session_cost(session) or kept)}
        return ReadResult(id_, rewrap(outputs, secret), rewrap(self._inputs_of(outputs), secret))

    def _inputs_of(self, outputs: Mapping[str, Any]) -> dict[str, Any]:
        """Return the inputs check produces for the declaration that made these outputs."""
        inputs: dict[str, Any] = {
            k: outputs[k]
            for k in (*_KEPT_INPUTS, "session_id", "platform_id", "project_id")
            if outputs.get(k) is not None
        }
        for key in ("model_id", "parameters"):
            if outputs.get(key):
                inputs[key] = outputs[key]
        declared = outputs.get(DECLARED_FIELDS)
        # A state written before declared_fields existed: every field, as before.
        for key in declared if isinstance(declared, list) else UPDATE_KEYS:
            if key in UPDATE_KEYS and outputs.get(key) is not None:
                inputs[key] = outputs[key]
        # A derived deduplication id and the adoption are the provider's business.
        dedup = str(outputs.get("deduplication_id") or "")
        if dedup and not dedup.startswith(DERIVED_DEDUPLICATION_PREFIX):
            inputs["deduplication_id"] = dedup
        # The cost keys check would add for these inputs (see _check_cost).
        platform_id = outputs.get("platform_id")
        prices = self._prices(platform_id) if isinstance(platform_id, str) else None
        if prices is not None:
            inputs.update(cost_outputs(prices, inputs.get("max_duration"), accrued=False))
        return inputs

    def _session_cost(self, session: WireSession) -> dict[str, str]:
        """Cost outputs of a session: prices, worst case of its max_duration, accrued."""
        prices = self._prices(session.platform_id)
        if prices is None:
            return {}
        return cost_outputs(
            prices,
            session.max_duration,
            started_at=session.started_at,
            terminated_at=session.terminated_at,
        )

    # --- update ----------------------------------------------------------------------

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        """PATCH only the fields that changed; settings changes just update the state."""
        olds, _ = unwrap(_olds)
        news, secret = unwrap(_news)
        client = self._client()
        changed = {
            key: news[key]
            for key in UPDATE_KEYS
            if news.get(key) is not None and news[key] != _stored(olds, key)
        }
        if "tags" in changed:
            # A PATCH replaces every tag: keep the provider's own (the adoption tag).
            hidden = hidden_tags(client.get_session(_id).tags)
            changed["tags"] = [*changed["tags"], *hidden]
        if changed:
            session: WireSession = client.update_session(_id, **changed)
        else:
            session = client.get_session(_id)
        outputs = {**_outputs(session, news), **self._session_cost(session)}
        return UpdateResult(rewrap(outputs, secret))

    # --- delete ----------------------------------------------------------------------

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Terminate (idempotent), wait for ``stopped``, then delete when asked."""
        props, _ = unwrap(_props)
        client = self._client()
        label = _label(props, _id)
        try:
            session: WireSession = client.terminate_session(_id)
        except NotFoundError:
            if self._gone(props):
                return  # already gone: destroy's goal is reached
            # Moved credentials: the API hides the session, it did not end it. Reporting
            # a delete here would drop from the state a session that may bill on.
            project = props.get("project_id")
            raise QpuError(
                f"{label} was not deleted: the API answers 404 for it, but the current "
                "credentials cannot read its project, so it may still run in project "
                f"{project}. Set credentials that can read that project (qpu:secretKey, "
                "qpu:projectId) and run `pulumi destroy --run-program` or `pulumi up` (a "
                "plain destroy uses the credentials the last up recorded); or, once sure "
                "it is gone, remove it from the state: `pulumi state delete <urn>`"
            ) from None
        if session.status != SessionStatus.STOPPED:
            timeout = _seconds(str(props.get("delete_timeout") or DEFAULT_DELETE_TIMEOUT))
            try:
                client.wait_for_session(
                    _id,
                    until=(SessionStatus.STOPPED,),
                    timeout=timeout,
                    on_change=_progress(label, props),
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


class _Heartbeat:
    """Renews a waiting create's creating tag, so other runs see the create is alive.

    A timer thread PATCHes the tag with the next beat every :data:`HEARTBEAT_SECONDS`
    while the create waits (``with heartbeat:``), whatever the poll schedule's pace
    (pulumi_qpu/identity.py says why); the polls check that the tag is still this run's
    and fail the create if another run took the session back at the same moment.
    Stopped before the create removes the tag, so no beat ever puts it back.
    """

    def __init__(
        self, client: QaasClient, session: WireSession, inputs: Mapping[str, Any], run: str
    ):
        self._client = client
        self._session_id = session.id
        self._inputs = inputs
        self._run = run
        self._beat = 0
        self._tags = without_creating_tags(session.tags)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> _Heartbeat:
        self._stop.clear()
        # In the create's context: its lines go where the create's go (lines_about).
        self._thread = threading.Thread(
            target=contextvars.copy_context().run,
            args=(self._beat_until_stopped,),
            name=f"qpu-heartbeat-{self._session_id}",
            daemon=True,
        )
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _beat_until_stopped(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            tag = creating_tag(self._inputs, self._run, self._beat + 1)
            try:
                self._client.update_session(self._session_id, tags=[*self._tags, tag])
            except QpuError as exc:
                # A missed beat is harmless (three make a create look dead); the wait
                # goes on, and rides out an outage on its own.
                _say(
                    f"qpu: could not renew the creating tag of session {self._session_id}: {exc}",
                    self._inputs,
                )
                continue
            self._beat += 1

    def on_poll(self, session: WireSession) -> None:
        """Fail the create if the session's creating tag is no longer this run's."""
        mark = creating_mark(session)
        # Another run's tag means it took the session back; no tag at all (removed by
        # hand, or a reply without tags) takes nothing from this create.
        if mark is not None and mark.run != self._run:
            raise QpuError(
                f"session {self._session_id} was taken over by another run while this "
                "create waited (its creating tag changed); run pulumi up again"
            )


# --- helpers ------------------------------------------------------------------------


def _is_unknown_key(key: object) -> bool:
    return isinstance(key, str) and key.startswith("qpu:") and key not in CONFIG_KEYS


def _unknown_config_key(key: str) -> str:
    """Say that ``key`` is no pulumi-qpu setting, with the closest one (never a value)."""

    def folded(name: str) -> str:
        return name.lower().replace("_", "").replace("-", "")

    by_fold = {folded(known): known for known in CONFIG_KEYS}
    close = difflib.get_close_matches(folded(key), list(by_fold), n=1, cutoff=0.7)
    hint = f"did you mean {by_fold[close[0]]}? " if close else ""
    return (
        f"stack config {key} is no pulumi-qpu setting: {hint}Remove it "
        f"(`pulumi config rm {key}`) and set the one meant; the settings are "
        f"{', '.join(CONFIG_KEYS)}"
    )


_CALL_URN: contextvars.ContextVar[str] = contextvars.ContextVar("qpu_call_urn", default="")


@contextlib.contextmanager
def lines_about(urn: str) -> Iterator[None]:
    """Show the lines of the calls made inside on the row of the resource at ``urn``.

    The plugin (pulumi_qpu/plugin.py) is given each call's URN; the dynamic host is not,
    so there a line's URN is rebuilt from the Session's ``resource_key``.
    """
    token = _CALL_URN.set(urn)
    try:
        yield
    finally:
        _CALL_URN.reset(token)


def _say(
    line: str,
    about: Mapping[str, Any] | None = None,
    *,
    severity: Severity = "info",
    ephemeral: bool = False,
) -> None:
    """Show ``line`` on the row of the Session whose inputs or outputs are ``about``."""
    urn = session_urn(about.get("resource_key")) if about is not None else ""
    say(line, urn=urn or _CALL_URN.get(), severity=severity, ephemeral=ephemeral)


def _resource_name(inputs: Mapping[str, Any]) -> str:
    """Return the Pulumi resource name, from ``resource_key`` (never secret)."""
    key = inputs.get("resource_key")
    if not isinstance(key, str) or not key:
        return ""
    if "::" in key:  # <organization>/<URN>: the name ends the URN
        return key.rsplit("::", 1)[1]
    return key.split("/", 3)[-1]  # <organization>/<project>/<stack>/<name>


def _project_of(olds: Mapping[str, Any]) -> str | None:
    """Return the project a stored session is in (its listing may answer for it)."""
    project = olds.get("project_id")
    return project if isinstance(project, str) and project else None


def _label(inputs: Mapping[str, Any], session_id: str) -> str:
    # Never an input value (a name may have been secret; see the module docstring).
    name = _resource_name(inputs)
    return f"session {session_id} of {name}" if name else f"session {session_id}"


def _progress(label: str, about: Mapping[str, Any]) -> Callable[..., None]:
    """Return what shows the Session's status while waiting (called on changes only).

    Ephemeral: shown on the Session's row while it is in progress, each replacing the
    last, and not kept among the diagnostics, which keep one line per Session.
    """

    def on_change(session: WireSession, *_: object) -> None:
        message = f": {session.progress_message}" if session.progress_message else ""
        _say(f"qpu: {label} is {session.status.value}{message}", about, ephemeral=True)

    return on_change


def _comparable(olds: Mapping[str, Any], key: str) -> Any:
    """Return the stored output for ``key`` in the form check gives a declaration.

    States written before parameters kept their integers hold ``{"b":1.0}``: the same
    declaration, which must not replace a running session.
    """
    value = _stored(olds, key)
    if key == "parameters" and isinstance(value, str):
        with contextlib.suppress(ValueError):
            return canonical_parameters(value)
    return value


def _stored(olds: Mapping[str, Any], key: str) -> Any:
    """Return the stored output for ``key``, the API's "unset" spelling made None."""
    value = olds.get(key)
    return None if value == "" else value


def _outputs(session: WireSession, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Complete, JSON-safe outputs: every session field plus the inputs state needs."""
    outputs: dict[str, Any] = {
        k: v for k, v in session.model_dump(mode="json").items() if v is not None
    }
    if session.tags is not None:
        outputs["tags"] = visible_tags(session.tags)
    for key in _KEPT_INPUTS:
        value = inputs.get(key)
        if value is not None and not is_unknown(value):
            outputs[key] = value
    declared = inputs.get(DECLARED_FIELDS)
    if not isinstance(declared, list):  # create and update: the checked inputs say
        declared = [key for key in UPDATE_KEYS if inputs.get(key) is not None]
    outputs[DECLARED_FIELDS] = declared
    # Kept so that a later diff knows this session was adopted under that id.
    if inputs.get("session_id"):
        outputs["session_id"] = inputs["session_id"]
    return outputs
