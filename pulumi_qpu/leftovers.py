"""Leftovers: live sessions that no state holds, found and ended (``qpu-leftovers``).

A create puts the creating tag on the session it makes and renews it every
:data:`~pulumi_qpu.identity.HEARTBEAT_SECONDS` while it waits (pulumi_qpu/identity.py).
A live session whose tag stays unchanged for :data:`~pulumi_qpu.identity.STALE_AFTER`
(three heartbeats) was made by a create that is dead: killed with its ``pulumi up``,
cancelled, or failed while the API could not be reached to end what it made. The engine
recorded nothing for it, so no state holds it and no ``destroy`` ends it: it bills until
its ``max_idle_duration`` or ``max_duration`` runs out. That is a *leftover*.

* :func:`survey` lists a project's live sessions carrying the creating tag (optionally
  only one stack's, or only given ids), watches them all at once for one window, and
  sorts them: leftovers (tag unchanged), sessions a live run is creating right now (tag
  renewed: left alone), sessions that ended meanwhile.
* :func:`find_leftovers` is the leftovers part of that; :func:`end_leftovers` terminates
  them.
* :func:`main` is the command ``qpu-leftovers`` (also ``python -m pulumi_qpu.leftovers``):
  a dry run by default, ``--end`` to end them.

A session without the tag is never a leftover: a create returned it, so a state very
likely holds it. Nothing here imports Pulumi.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Final, Literal, TextIO

from pulumi_qpu.client import QaasClient
from pulumi_qpu.config import resolve_config
from pulumi_qpu.cost import PlatformPrices, accrued_cost, format_amount, platform_prices
from pulumi_qpu.errors import (
    ConfigurationError,
    InvalidInputError,
    MissingConfigurationError,
    NotFoundError,
    QpuError,
)
from pulumi_qpu.identity import (
    ENDED,
    HEARTBEAT_SECONDS,
    STALE_AFTER,
    CreatingMark,
    creating_mark,
    stack_hash,
    terminate_quietly,
)
from pulumi_qpu.models import Session, SessionStatus, format_timestamp

__all__ = [
    "EXIT_ERROR",
    "EXIT_LEFTOVERS_FOUND",
    "EXIT_OK",
    "LIVE",
    "Leftover",
    "Survey",
    "build_parser",
    "end_leftovers",
    "find_leftovers",
    "main",
    "stack_filter",
    "survey",
]

LIVE: Final = frozenset({SessionStatus.STARTING, SessionStatus.RUNNING})
"""Statuses of a session that bills, or will once its slot opens."""

EXIT_OK: Final = 0
"""Nothing left: no leftover found, or every one ended."""

EXIT_LEFTOVERS_FOUND: Final = 1
"""A dry run found leftovers (so CI can fail on them)."""

EXIT_ERROR: Final = 2
"""A leftover could not be ended, a session asked for could not be, or the API failed."""

_STACK_HASH: Final = re.compile(r"^[0-9a-f]{12}$")
_STACK_PART: Final = re.compile(r"^[^/\s]+$")


@dataclass(frozen=True)
class Leftover:
    """A live session whose creating tag stayed unchanged while it was watched.

    Attributes:
        session: the session as last read (at the end of the window).
        mark: its creating tag, parsed (``mark.stack`` is None for a tag written by an
            earlier pulumi-qpu, which named no stack).
        verdict: always ``"stale"``: the create that made it is dead.
        watched: seconds the tag was seen unchanged (at least the window).

    """

    session: Session
    mark: CreatingMark
    verdict: Literal["stale"] = "stale"
    watched: float = 0.0

    @property
    def id(self) -> str:
        """The session's id."""
        return self.session.id

    @property
    def stack(self) -> str | None:
        """The 12-hex hash of the stack whose create made it (None for an older tag)."""
        return self.mark.stack

    def describe(self) -> str:
        """Name the session: its id and, if it has one, its name."""
        name = f" ({self.session.name})" if self.session.name else ""
        return f"session {self.id}{name}"


@dataclass(frozen=True)
class Survey:
    """What one watch of a project's tagged sessions found.

    Attributes:
        project_id: the project listed.
        window: seconds every tagged session was watched.
        leftovers: the sessions whose create is dead (tag unchanged for the window).
        alive: sessions a live run is creating right now (tag renewed or removed during
            the window): never leftovers, left alone.
        ended: tagged sessions that stopped or were deleted while watched.
        passed_over: ids asked for (``session_ids``) that are not leftovers, with why.
        untagged: the sessions asked for that are live and carry no creating tag (also
            in ``passed_over``): what ``qpu-leftovers --end --force`` ends.
        missing: ids asked for that cannot be found (no such session, or another
            project), with why and the fix.
        unread: ids whose last read failed, with the error: not known to be leftovers.
        older_tags: tagged sessions left out by the ``stack`` filter because their tag,
            written by an earlier pulumi-qpu, names no stack.

    """

    project_id: str
    window: float
    leftovers: list[Leftover] = field(default_factory=list)
    alive: list[Session] = field(default_factory=list)
    ended: list[Session] = field(default_factory=list)
    passed_over: dict[str, str] = field(default_factory=dict)
    untagged: list[Session] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)
    unread: dict[str, str] = field(default_factory=dict)
    older_tags: list[Session] = field(default_factory=list)


def stack_filter(stack: str) -> str:
    """Return the 12-hex stack hash a creating tag carries, from a hash or a stack name.

    ``stack`` is the hash itself, or the fully qualified stack name
    ``<organization>/<project>/<stack>`` (on a local ``file://`` backend the
    organization is ``organization``). Raises :class:`InvalidInputError` otherwise.
    """
    text = stack.strip()
    if _STACK_HASH.match(text.lower()):
        return text.lower()
    parts = text.split("/")
    if len(parts) == 3 and all(_STACK_PART.match(part) for part in parts):
        return stack_hash(text)
    raise InvalidInputError(
        "stack",
        f"{text!r} is neither ORGANIZATION/PROJECT/STACK nor a 12-digit stack hash; "
        "`pulumi stack --show-name -Q` prints the full name of the current stack",
    )


def survey(
    client: QaasClient,
    *,
    project_id: str | None = None,
    stack: str | None = None,
    session_ids: Collection[str] = (),
    window: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Survey:
    """List a project's tagged live sessions, watch them for one window, and sort them.

    Args:
        client: the API client; its default project is listed unless ``project_id``.
        project_id: the project to list.
        stack: only sessions whose creating tag names this stack (a 12-hex hash, or
            ``<organization>/<project>/<stack>``: see :func:`stack_filter`).
        session_ids: only these sessions (with ``stack``, both must hold).
        window: seconds to watch (default :data:`~pulumi_qpu.identity.STALE_AFTER`). A
            shorter one may take a live create whose beat was late for a dead one.
        sleep: the function that sleeps (the tests' own, or time.sleep).
        clock: a monotonic clock in seconds, paired with ``sleep``.

    Every session is watched in the same window: one loop reads each every
    ``window / 6`` seconds, so the wait is one window whatever their number. A session
    is a leftover when its tag read at the end of the window (or later) is the one the
    listing showed (before the window began). Raises :class:`~pulumi_qpu.errors.QpuError`
    when the listing itself fails.

    """
    project = project_id or client.default_project_id
    if not project:
        raise InvalidInputError(
            "project_id",
            "no project to list: pass project_id, or give the client a default project "
            "(SCW_DEFAULT_PROJECT_ID)",
        )
    wanted_stack = stack_filter(stack) if stack else None
    wanted_ids = {i.strip().lower() for i in session_ids if i.strip()}
    window = STALE_AFTER if window is None else float(window)
    if not window > 0:
        raise InvalidInputError("window", f"{window:g} is not a positive number of seconds")
    result = Survey(project_id=project, window=window)

    listed: dict[str, Session] = {}
    # Oldest first: sessions created while the pages are read land on the last page
    # instead of shifting earlier ones onto a page already read.
    for session in client.list_sessions(project_id=project, order_by="created_at_asc"):
        listed.setdefault(session.id, session)
    if wanted_ids:
        _explain_unlisted(client, project, wanted_ids - set(listed), listed, result)

    watched: dict[str, tuple[Session, CreatingMark]] = {}
    for session in listed.values():
        if wanted_ids and session.id not in wanted_ids:
            continue
        mark = creating_mark(session)
        if session.status not in LIVE:
            if session.id in wanted_ids:
                result.passed_over[session.id] = (
                    f"it is {session.status.value}, not live: there is nothing to end"
                )
            continue
        if mark is None:
            if session.id in wanted_ids:
                result.untagged.append(session)
                result.passed_over[session.id] = (
                    "it carries no creating tag: a create returned it, so a state may hold "
                    "it; if none does (after `pulumi state delete`), end it with "
                    "--end --force"
                )
            continue
        if wanted_stack is not None and mark.stack != wanted_stack:
            if mark.stack is None:
                result.older_tags.append(session)
            if session.id in wanted_ids:
                result.passed_over[session.id] = (
                    "its creating tag names another stack"
                    if mark.stack is not None
                    else "its creating tag, written by an earlier pulumi-qpu, names no stack"
                )
            continue
        watched[session.id] = (session, mark)

    _watch(client, watched, window=window, sleep=sleep, clock=clock, result=result)
    for session in result.alive:
        if session.id in wanted_ids:
            result.passed_over[session.id] = (
                "a live run is creating it right now (its creating tag was renewed)"
            )
    for session in result.ended:
        if session.id in wanted_ids:
            result.passed_over[session.id] = "it ended while it was watched"
    return result


def find_leftovers(
    client: QaasClient,
    *,
    project_id: str | None = None,
    stack: str | None = None,
    session_ids: Collection[str] = (),
    window: float | None = None,
) -> list[Leftover]:
    """Return the project's leftovers: live sessions whose creating tag stayed unchanged.

    The arguments are :func:`survey`'s; the sessions a live run is creating right now,
    and those that ended meanwhile, are left out (``survey`` returns them too).
    """
    return survey(
        client, project_id=project_id, stack=stack, session_ids=session_ids, window=window
    ).leftovers


def end_leftovers(
    client: QaasClient, leftovers: Iterable[Leftover], say: Callable[[str], None]
) -> list[str]:
    """Terminate each leftover; return the ids that could NOT be ended (each one said).

    Each is read once more just before its terminate: one whose creating tag changed
    since the watch (a re-run of its stack took it back a moment ago) is not ended, nor
    counted as a failure; one already ending or gone needs nothing.
    """
    failed: list[str] = []
    for leftover in leftovers:
        try:
            current = client.get_session(leftover.id)
        except NotFoundError:
            continue
        except QpuError as exc:
            say(f"qpu: could not read session {leftover.id} before ending it: {exc}")
            failed.append(leftover.id)
            continue
        if current.status in ENDED:
            continue
        mark = creating_mark(current)
        if mark is None or mark.tag != leftover.mark.tag:
            say(
                f"qpu: session {leftover.id} was taken back by a run a moment ago (its "
                "creating tag changed): left alone"
            )
            continue
        if terminate_quietly(client, leftover.id, say):
            # The id only: these lines reach `pulumi destroy`'s output (the stack's
            # sweeper), and a name the program made secret must not be printed there.
            say(f"qpu: ended leftover session {leftover.id}, made by a create that is dead")
        else:
            failed.append(leftover.id)
    return failed


# --- the watch ----------------------------------------------------------------------


def _explain_unlisted(
    client: QaasClient,
    project: str,
    ids: Iterable[str],
    listed: dict[str, Session],
    result: Survey,
) -> None:
    """Say why each id asked for is not in the listing; a session made since is added."""
    for session_id in sorted(ids):
        try:
            session = client.get_session(session_id)
        except NotFoundError:
            result.missing[session_id] = "no such session (check the id)"
            continue
        except QpuError as exc:
            result.missing[session_id] = f"could not be read: {exc}"
            continue
        if session.project_id != project:
            result.missing[session_id] = (
                f"it belongs to project {session.project_id}, not {project}: pass "
                f"--project-id {session.project_id}"
            )
            continue
        listed[session.id] = session  # made after the listing


def _watch(
    client: QaasClient,
    sessions: Mapping[str, tuple[Session, CreatingMark]],
    *,
    window: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    result: Survey,
) -> None:
    """Watch every session's tag in one window; sort them into ``result``.

    The same rule as :func:`pulumi_qpu.identity.observe`, for many sessions at once:
    changed or removed tag -> alive; stopped or deleted -> ended; the same tag read at
    or after the end of the window as when listed -> a leftover.
    """
    pending = dict(sessions)
    if not pending:
        return
    step = max(window / 6, 0.05)
    start = clock()
    deadline = start + window
    rounds = 0
    while pending:
        rounds += 1
        # On a schedule, so a slow round (many sessions, a slow API) is not added to it.
        wake = min(start + rounds * step, deadline)
        if wake > clock():
            sleep(wake - clock())
        final = clock() >= deadline
        for session_id in list(pending):
            session, mark = pending[session_id]
            try:
                current = client.get_session(session_id)
            except NotFoundError:
                result.ended.append(session)
                del pending[session_id]
                continue
            except QpuError as exc:
                # Only the last read can make a leftover: an earlier failure just waits.
                if final:
                    result.unread[session_id] = str(exc)
                    del pending[session_id]
                continue
            now = creating_mark(current)
            if current.status in ENDED:
                result.ended.append(current)
            elif now is None or now.tag != mark.tag:
                result.alive.append(current)
            elif final:
                result.leftovers.append(Leftover(current, mark, watched=clock() - start))
            else:
                pending[session_id] = (current, mark)
                continue
            del pending[session_id]


# --- the command --------------------------------------------------------------------

_DESCRIPTION = """\
List the live sessions of a project that no Pulumi state holds, and end them on request.

Every create of pulumi-qpu tags the session it makes (pulumi-qpu:creating:...) until it
returns, and renews the tag every {beat:g} s while it waits. A live session whose tag
stays unchanged for {stale:g} s (three heartbeats) was made by a create that is dead: a
`pulumi up` killed or cancelled, or a create that failed while the API was down. No
state holds it, so no `pulumi destroy` ends it, and it bills until its max_duration or
max_idle_duration runs out. Sessions without the tag are never listed: a create returned
them, so a state very likely holds them.

Run it after a killed or cancelled `pulumi up`, after an API outage during `up`, and in
CI after a matrix of stacks. Dry run by default; --end ends what it lists.
"""

_EPILOG = """\
credentials: as the provider reads them: SCW_SECRET_KEY, SCW_DEFAULT_PROJECT_ID,
SCW_API_URL, SCW_PROFILE, then the scw config file (SCW_CONFIG_PATH, else
~/.config/scw/config.yaml). The secret key is never taken on the command line (it would
show in `ps` and the shell's history); with the key in Pulumi stack config:
SCW_SECRET_KEY="$(pulumi config get qpu:secretKey)" qpu-leftovers ...

exit status: 0 nothing left (none found, or all ended); 1 leftovers found (dry run);
2 a leftover could not be ended, a --session could not be ended or found, or an error.
"""


def build_parser() -> argparse.ArgumentParser:
    """Build the command-line parser of ``qpu-leftovers``."""
    parser = argparse.ArgumentParser(
        prog="qpu-leftovers",
        description=_DESCRIPTION.format(beat=HEARTBEAT_SECONDS, stale=STALE_AFTER),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--end", action="store_true", help="terminate the leftovers found (default: list only)"
    )
    parser.add_argument(
        "--project-id", help="the project to look in (default: SCW_DEFAULT_PROJECT_ID, scw file)"
    )
    parser.add_argument(
        "--stack",
        metavar="ORG/PROJECT/STACK",
        help="only leftovers of this stack: its fully qualified name, as "
        "`pulumi stack --show-name -Q` prints it (on a file:// backend the organization is "
        '"organization"), or the 12-digit hash in the tag',
    )
    parser.add_argument(
        "--session",
        action="append",
        default=[],
        metavar="ID",
        dest="sessions",
        help="only this session (repeatable); a session that is not a leftover is never "
        "ended: a state may hold it",
    )
    parser.add_argument(
        "--window",
        type=float,
        default=None,
        metavar="SECONDS",
        help=f"how long to watch the tags (default {STALE_AFTER:g}: three heartbeats). A "
        "shorter window is unsafe: a create renews its tag once a heartbeat, and one late "
        "beat (a retry, a slow reply) would make a live create look dead, and --end would "
        "end the session a running `pulumi up` is waiting for",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="with --end, also end the sessions named with --session that carry no creating "
        "tag: a create returned them, so a state may hold them; use it only when you know "
        "none does (after `pulumi state delete`). A session a live run is creating is "
        "never ended",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    parser.add_argument("--api-url", help="the API base URL (default: SCW_API_URL, scw file)")
    parser.add_argument("--profile", help="the scw config profile (default: SCW_PROFILE)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``qpu-leftovers``; return the exit status (0, 1 or 2, see the epilog)."""
    args = build_parser().parse_args(argv)
    out, err = sys.stdout, sys.stderr
    try:
        return _run(args, out, err)
    except KeyboardInterrupt:
        err.write("qpu-leftovers: interrupted\n")
        return 130


def _say(err: TextIO, line: str) -> None:
    err.write(line + "\n")
    err.flush()


def _fail(err: TextIO, message: str) -> int:
    # One line: an error's message may span lines (the places a setting was looked for).
    err.write("qpu-leftovers: error: " + " ".join(message.split()) + "\n")
    return EXIT_ERROR


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.force and not args.sessions:
        return _fail(err, "--force ends only sessions named with --session <id>; name each one")
    if args.window is not None and not args.window > 0:
        return _fail(err, f"--window {args.window:g} is not a positive number of seconds")
    if args.window is not None and args.window < STALE_AFTER:
        err.write(
            f"qpu-leftovers: warning: --window {args.window:g} is shorter than three "
            f"heartbeats ({STALE_AFTER:g} s): a live create may be taken for a dead one\n"
        )
    try:
        stack = stack_filter(args.stack) if args.stack else None
        config = resolve_config(
            project_id=args.project_id,
            api_url=args.api_url,
            profile=args.profile,
            require_project=True,
        )
    except MissingConfigurationError as exc:
        return _fail(err, _missing(exc))
    except (ConfigurationError, InvalidInputError) as exc:
        return _fail(err, _as_options(str(exc)))
    window = STALE_AFTER if args.window is None else args.window
    with QaasClient.from_config(config) as client:
        err.write(
            f"qpu-leftovers: watching the tagged live sessions of project {config.project_id} "
            f"for {window:g} s ...\n"
        )
        try:
            found = survey(client, stack=stack, session_ids=args.sessions, window=window)
        except QpuError as exc:
            return _fail(err, f"could not list the sessions of project {config.project_id}: {exc}")
        forced = found.untagged if args.force else []
        report = _Report(
            found,
            _prices(client, found.leftovers) if found.leftovers else {},
            args.end,
            stack,
            datetime.now(timezone.utc),
            [session.id for session in forced],
        )
        if not args.json:
            # What is about to be ended is shown before it is.
            out.write(report.listing())
            out.flush()
        not_ended: list[str] = []
        if args.end and found.leftovers:
            not_ended = end_leftovers(client, found.leftovers, lambda line: _say(err, line))
        if args.end:
            not_ended += _end_untagged(client, forced, lambda line: _say(err, line))
    if args.json:
        out.write(json.dumps(report.document(not_ended), indent=2) + "\n")
    else:
        out.write(report.summary(not_ended))
    refused = bool(args.end and set(found.passed_over) - set(report.forced))
    if not_ended or found.missing or found.unread or refused:
        return EXIT_ERROR
    if found.leftovers and not args.end:
        return EXIT_LEFTOVERS_FOUND
    return EXIT_OK


def _end_untagged(
    client: QaasClient, sessions: Sequence[Session], say: Callable[[str], None]
) -> list[str]:
    """End sessions named with ``--force`` (no creating tag); return those not ended."""
    failed: list[str] = []
    for session in sessions:
        if terminate_quietly(client, session.id, say):
            say(f"qpu: ended session {session.id} (no creating tag; --force)")
        else:
            failed.append(session.id)
    return failed


def _as_options(message: str) -> str:
    # resolve_config names its arguments; here they were given as options.
    for name in ("project_id", "api_url", "profile"):
        message = message.replace(f"argument {name}", f"option --{name.replace('_', '-')}")
    return message


def _missing(exc: MissingConfigurationError) -> str:
    # The places a program would use (arguments, stack config) mean nothing here.
    looked = [p for p in exc.looked if not p.startswith(("argument ", "stack config "))]
    fix = (
        "export SCW_SECRET_KEY=<secret key> (from Pulumi stack config: "
        'SCW_SECRET_KEY="$(pulumi config get qpu:secretKey)"), or run `scw init`'
        if exc.field == "secret_key"
        else "pass --project-id <project uuid>, export SCW_DEFAULT_PROJECT_ID, or set "
        "default_project_id in the scw config file"
    )
    return f"{exc.field} is not set ({'; '.join(looked)}): {fix}"


def _prices(client: QaasClient, leftovers: Sequence[Leftover]) -> dict[str, PlatformPrices]:
    """Return the prices of the leftovers' platforms by id; unknown where unreadable."""
    wanted = {leftover.session.platform_id for leftover in leftovers}
    try:
        platforms = [p for p in client.list_platforms() if p.id in wanted]
    except QpuError:
        return {}  # a report without prices still names every leftover
    prices: dict[str, PlatformPrices] = {}
    for platform in platforms:
        try:
            prices[platform.id] = platform_prices(platform)
        except ValueError:
            continue  # prices in two currencies: no single figure
    return prices


def _age(created: datetime | None, now: datetime) -> float | None:
    if created is None:
        return None
    return max((now - created).total_seconds(), 0.0)


def _human_age(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    whole = int(seconds)
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, whole = divmod(whole, size)
        if count or (unit == "s" and not parts):
            parts.append(f"{count}{unit}")
    return "".join(parts[:2])


@dataclass(frozen=True)
class _Report:
    """What one run of the command found, as text or JSON."""

    found: Survey
    prices: Mapping[str, PlatformPrices]
    end: bool
    stack: str | None
    now: datetime
    forced: list[str]

    def _row(self, leftover: Leftover) -> dict[str, Any]:
        session = leftover.session
        prices = self.prices.get(session.platform_id)
        per_hour: Decimal | None = prices.per_hour if prices else None
        hourly = (
            format_amount(per_hour, prices.currency) if prices and per_hour is not None else None
        )
        spent = (
            accrued_cost(prices, session.started_at, session.terminated_at, self.now)
            if prices
            else None
        )
        return {
            "session_id": session.id,
            "name": session.name,
            "platform_id": session.platform_id,
            "platform_name": prices.platform_name if prices else None,
            "status": session.status.value,
            "created_at": format_timestamp(session.created_at) if session.created_at else None,
            "age_seconds": _age(session.created_at, self.now),
            "stack": leftover.stack,
            "currency": prices.currency if hourly is not None and prices else None,
            "price_per_hour": hourly,
            "accrued_cost": spent.text if spent else None,
        }

    def document(self, not_ended: list[str]) -> dict[str, Any]:
        found = self.found
        rows = [self._row(leftover) for leftover in found.leftovers]
        for row in rows:
            row["ended"] = self.end and row["session_id"] not in not_ended
        return {
            "project_id": found.project_id,
            "stack": self.stack,
            "window_seconds": found.window,
            "mode": "end" if self.end else "dry-run",
            "leftovers": rows,
            "not_ended": list(not_ended),
            "alive": [s.id for s in found.alive],
            "ended_while_watched": [s.id for s in found.ended],
            "passed_over": {
                session_id: why
                for session_id, why in found.passed_over.items()
                if session_id not in self.forced
            },
            "forced": [i for i in self.forced if self.end and i not in not_ended],
            "missing": dict(found.missing),
            "unread": dict(found.unread),
            "older_tags": [s.id for s in found.older_tags],
        }

    def listing(self) -> str:
        """Return the leftovers found, one row each (printed before any is ended)."""
        found = self.found
        whose = f" of stack {self.stack}" if self.stack else ""
        if not found.leftovers:
            return f"no leftover sessions{whose} in project {found.project_id}\n"
        count = len(found.leftovers)
        lines = [
            f"{count} leftover session{'s' if count > 1 else ''}{whose} in project "
            f"{found.project_id}: creating tag unchanged for {found.window:g} s, so the "
            "create that made each is dead and no state holds it",
            *self._table([self._row(leftover) for leftover in found.leftovers]),
        ]
        return "\n".join(lines) + "\n"

    def summary(self, not_ended: list[str]) -> str:
        """Return what was done, what was left alone and why (printed last)."""
        found = self.found
        lines: list[str] = []
        count = len(found.leftovers)
        if count and not self.end:
            lines.append(
                "dry run: nothing was ended; run again with --end (and the same filters) "
                "to end them"
            )
        elif count:
            lines.append(f"ended {count - len(not_ended)} of {count}")
            if not_ended:
                lines.append(
                    f"could NOT end {', '.join(not_ended)}: see the errors above, then run "
                    "again or terminate them in the Scaleway console"
                )
        if found.alive:
            count = len(found.alive)
            lines.append(
                f"{count} session{' is' if count == 1 else 's are'} being created right now "
                f"by a live run: left alone ({', '.join(s.id for s in found.alive)})"
            )
        if found.ended:
            lines.append(
                "ended while watched, nothing to do: " + ", ".join(s.id for s in found.ended)
            )
        if found.older_tags:
            lines.append(
                f"{len(found.older_tags)} tagged session(s) were left out: their tag, from an "
                "earlier pulumi-qpu, names no stack; run without --stack to see them"
            )
        verb = "not ended" if self.end else "not a leftover"
        for session_id, why in found.passed_over.items():
            if session_id not in self.forced:
                lines.append(f"{session_id}: {verb}: {why}")
            elif not self.end:
                lines.append(f"{session_id}: no creating tag; --end --force would end it")
            elif session_id not in not_ended:
                lines.append(f"{session_id}: ended (no creating tag; --force)")
            else:
                lines.append(f"{session_id}: could NOT be ended; see the errors above")
        lines += [f"{session_id}: {why}" for session_id, why in found.missing.items()]
        lines += [
            f"{session_id}: could not be read at the end of the window, not known to be a "
            f"leftover; run again: {why}"
            for session_id, why in found.unread.items()
        ]
        return "".join(line + "\n" for line in lines)

    @staticmethod
    def _table(rows: list[dict[str, Any]]) -> list[str]:
        header = ("SESSION", "NAME", "PLATFORM", "STATUS", "CREATED", "AGE", "STACK", "PER HOUR")
        cells = [header] + [
            (
                row["session_id"],
                row["name"] or "-",
                row["platform_name"] or row["platform_id"],
                row["status"],
                (row["created_at"] or "unknown")[:19] + ("Z" if row["created_at"] else ""),
                _human_age(row["age_seconds"]),
                row["stack"] or "(no stack)",
                f"{row['price_per_hour']} {row['currency']}"
                if row["price_per_hour"] is not None
                else "unknown",
            )
            for row in rows
        ]
        widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
        return [
            "  " + "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
            for line in cells
        ]


if __name__ == "__main__":
    sys.exit(main())
