"""The stack's leftover sweeper: ``pulumi destroy`` also ends what no state holds.

A create that never returned (a killed ``pulumi up``, a cancelled one, an API outage
longer than the create could wait out and then fail to terminate) leaves a session
carrying the creating tag (pulumi_qpu/identity.py). No state holds it, so destroy never
calls delete for it. To keep the promise that nothing runs on after a successful
``pulumi destroy``, every stack with a Session also holds one ``LeftoverSweeper``
(``pulumi-python:dynamic/qpu:LeftoverSweeper``, named ``qpu-leftovers``), registered by
the first Session of a program. Its create, update and diff touch nothing remote; its
**delete** (the stack's destroy, or the last Session removed from the program) finds the
sessions whose creating tag names this stack and stayed unchanged for
:data:`~pulumi_qpu.identity.STALE_AFTER` seconds (:mod:`pulumi_qpu.leftovers`), ends
them, and fails, naming them, when one cannot be ended; then the next ``destroy`` tries
again. Sessions still being created by a live run (another backend with the same stack
name) are left alone. Refresh names the leftovers it sees, without ending them.

It sweeps the project the provider is configured with (``qpu:projectId``, ``SCW_*``,
the scw config file); a Session declared with another ``project_id`` has its leftovers
found by ``qpu-leftovers --project-id``.
"""

from __future__ import annotations

from typing import Any, Final

import pulumi
import pulumi.dynamic
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from pulumi_qpu.errors import QpuError
from pulumi_qpu.host import say
from pulumi_qpu.identity import creating_mark, stack_hash
from pulumi_qpu.leftovers import end_leftovers, find_leftovers
from pulumi_qpu.models import SessionStatus
from pulumi_qpu.provider import SessionProvider

__all__ = [
    "SWEEPER_NAME",
    "LeftoverSweeper",
    "LeftoverSweeperProvider",
    "ensure_sweeper",
    "sweep",
]

SWEEPER_NAME: Final = "qpu-leftovers"
"""The resource name of every stack's sweeper."""

_LIVE: Final = frozenset({SessionStatus.STARTING, SessionStatus.RUNNING})


def _say(line: str) -> None:
    # The stack's own business: the line goes on the stack's row.
    say(line)


def _swept_project(provider: SessionProvider) -> str | None:
    """Return the project swept (the configured default); None, with a note, if none."""
    try:
        project_id = provider._config().project_id
    except QpuError:
        project_id = None
    if not project_id:
        _say(
            "qpu: no default project is configured (qpu:projectId, SCW_DEFAULT_PROJECT_ID), "
            "so this stack's leftover sessions are not looked for; find them with "
            "`qpu-leftovers --project-id <project>`"
        )
    return project_id


def sweep(provider: SessionProvider, stack_key: str) -> None:
    """End the leftovers of the stack ``stack_key``; fail, naming them, if one stays.

    ``stack_key`` is ``<org>/<project>/<stack>``; the project swept is ``provider``'s.

    The delete of the dynamic provider's sweeper, and of the plugin's Sessions at a
    destroy (pulumi_qpu/plugin.py): one implementation.
    """
    if not _swept_project(provider):
        return
    client = provider.client()
    try:
        leftovers = find_leftovers(client, stack=stack_key)
    except QpuError as exc:
        raise QpuError(
            f"could not look for sessions left by interrupted creates of this stack: "
            f"{exc}; run pulumi destroy again when the API answers"
        ) from None
    for leftover in leftovers:
        _say(
            f"qpu: ending session {leftover.session.id}, left running by an "
            "interrupted create of this stack"
        )
    failed = end_leftovers(client, leftovers, _say)
    if failed:
        raise QpuError(
            f"could not end session(s) {', '.join(failed)}, left running by interrupted "
            "creates of this stack; run pulumi destroy again, or `qpu-leftovers --end`"
        )


class LeftoverSweeperProvider(SessionProvider):
    """The sweeper's provider: shares the Session provider's configuration and client."""

    serialize_as_secret_always = False

    def __reduce__(self) -> tuple[type[LeftoverSweeperProvider], tuple[()]]:
        # By reference and stateless, like SessionProvider (states hold it pickled).
        return (LeftoverSweeperProvider, ())

    def __reduce_ex__(self, protocol: object) -> tuple[type[LeftoverSweeperProvider], tuple[()]]:
        return self.__reduce__()

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Accept ``stack_key`` as given (the Session class sets it, not users)."""
        return CheckResult({k: v for k, v in news.items() if k in ("stack_key", "__provider")}, [])

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        """Nothing remote to change: a renamed stack's key is recorded by update."""
        changed = _olds.get("stack_key") != _news.get("stack_key")
        return DiffResult(changes=changed, replaces=[])

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Record the stack; nothing is sent to the API."""
        key = str(props.get("stack_key") or "")
        return CreateResult(f"leftovers-{stack_hash(key)}", {"stack_key": key})

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        """Record the new stack key; nothing is sent to the API."""
        return UpdateResult({"stack_key": str(_news.get("stack_key") or "")})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Keep the state; name the sessions carrying this stack's creating tag, if any."""
        key = str(props.get("stack_key") or "")
        if not _swept_project(self):
            return ReadResult(id_, {"stack_key": key}, {"stack_key": key})
        try:
            tagged = [
                session.id
                for session in self._client().list_sessions()
                if session.status in _LIVE
                and (mark := creating_mark(session)) is not None
                and mark.stack == stack_hash(key)
            ]
        except QpuError as exc:
            _say(f"qpu: could not look for this stack's leftover sessions: {exc}")
            tagged = []
        if tagged:
            _say(
                f"qpu: {len(tagged)} session(s) carry this stack's creating tag "
                f"({', '.join(tagged)}): being created, or left by an interrupted create; "
                "`pulumi up` takes back its own, `pulumi destroy` or `qpu-leftovers --end` "
                "ends the rest"
            )
        return ReadResult(id_, {"stack_key": key}, {"stack_key": key})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """End this stack's leftover sessions; fail, naming them, if one cannot be ended."""
        sweep(self, str(_props.get("stack_key") or ""))


class LeftoverSweeper(pulumi.dynamic.Resource, module="qpu", name="LeftoverSweeper"):
    """One per stack with Sessions: its delete ends the stack's leftover sessions."""

    stack_key: pulumi.Output[str]
    """``<organization>/<project>/<stack>``: whose creating tags it looks for."""

    def __init__(self, stack_key: str) -> None:
        """Register the sweeper of the stack ``stack_key``; see :func:`ensure_sweeper`."""
        super().__init__(LeftoverSweeperProvider(), SWEEPER_NAME, {"stack_key": stack_key}, None)


# The sweeper of each program run, by the run's resource monitor: one program per
# process in a deployment, but tests run many programs (with new monitors) in one.
_SWEEPERS: dict[int, tuple[object, LeftoverSweeper]] = {}


def ensure_sweeper(stack_key: str) -> None:
    """Register this program's sweeper unless it already has one."""
    monitor = pulumi.runtime.settings.get_monitor()
    held = _SWEEPERS.get(id(monitor))
    if held is not None and held[0] is monitor:
        return
    _SWEEPERS[id(monitor)] = (monitor, LeftoverSweeper(stack_key))
