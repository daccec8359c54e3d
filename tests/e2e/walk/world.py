"""The walk's world: the emulator, the stacks on their backends, and the invariants.

After every step :meth:`World.check` holds the emulator's own records (every session
ever made) against every state and the model:

* ``one-state-per-session``: no session is held by two states (nor twice by one);
* ``held-is-live-or-replaced``: a session a state holds is live, or a preview plans to
  replace (or delete) it;
* ``live-is-held``: every live session is held by a state, or is one the leftover finder
  lists (:func:`found_by_leftover_finder`), or one the walk made or left on purpose (a
  session made by hand for adoption, one left by ``pulumi state delete``);
* ``stored-is-declared``: for a settled stack, what the API stores for each held session
  is what was declared, types included (an integer stays an integer);
* ``no-plaintext-secret``: no secret value in any CLI output, any file of any backend, or
  the emulator's request log.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pulumi_qpu.client import QaasClient
from pulumi_qpu.identity import derived_deduplication_id, is_adopted_tag, is_creating_tag
from pulumi_qpu.leftovers import find_leftovers
from tests.e2e.walk.model import (
    ANY,
    API_DEFAULTS,
    DERIVED,
    PLATFORMS,
    SECRET_MARK,
    Held,
    StackModel,
    after,
    canonical,
    same_value,
)
from tests.e2e.walk.program import PROGRAM, declare
from tests.support.cli import RealEngine, qpu_leftovers
from tests.support.emulator import RunningEmulator

LIVE = ("starting", "running")
REPLACING_OPS = {"replace", "create-replacement", "delete-replaced"}
"""The engine's step kinds of a replacement (create-before-delete or the reverse)."""


def carries_creating_tag(session: dict[str, Any]) -> bool:
    """Whether ``session`` (its API view) carries the creating tag: a create made it and
    had not returned when the tag was last written."""
    return any(is_creating_tag(tag) for tag in session.get("tags") or ())


def found_by_leftover_finder(emulator: RunningEmulator, session_ids: set[str]) -> set[str]:
    """The sessions among ``session_ids`` that the leftover command lists.

    ``qpu-leftovers``'s own finder (:func:`pulumi_qpu.leftovers.find_leftovers`), with
    the main tenant's credentials, watching for one window of three heartbeats: a
    session whose creating tag stays unchanged is a dead create's, one no state holds.
    """
    if not session_ids:
        return set()
    client = QaasClient(
        secret_key=emulator.secret_key, api_url=emulator.url, default_project_id=emulator.project_id
    )
    with client:
        return {leftover.id for leftover in find_leftovers(client, session_ids=session_ids)}


class CheckFailedError(AssertionError):
    """An invariant or an expected outcome that did not hold."""

    def __init__(self, check: str, message: str) -> None:
        """``check`` names what broke (a key of the walk's WAITING list, or a general one)."""
        super().__init__(f"[{check}] {message}")
        self.check = check
        self.message = message


@dataclass
class Outcome:
    """What one CLI operation did: success, its text, and the engine's steps by URN."""

    ok: bool
    text: str
    ops: dict[str, set[str]] = field(default_factory=dict)

    def op(self, urn: str) -> str:
        """One word for what happened to ``urn``: replace, create, delete, update, same, none."""
        seen = self.ops.get(urn, set())
        if seen & REPLACING_OPS:
            return "replace"
        for word in ("create", "delete", "update", "same"):
            if word in seen:
                return word
        return "none"


class World:
    """The emulator, the stacks and the model, and the checks between them."""

    def __init__(self, emulator: RunningEmulator, say: Callable[[str], None]) -> None:
        """Start with no stack; ``say`` prints a line of the walk's log."""
        self.emulator = emulator
        self.say = say
        self.stacks: dict[str, StackModel] = {}
        self.platform_ids: dict[str, str] = {}
        self.outside: dict[str, dict[str, Any]] = {}
        """Sessions made by hand (for adoption) that no state holds yet: id -> API view."""
        self.abandoned: dict[str, str] = {}
        """Live sessions left outside every state on purpose: id -> the step that left it."""
        self.ever_held: set[str] = set()
        self.texts: list[str] = []
        self._snapshot: tuple[list[dict[str, Any]], float] | None = None
        self._scanned: dict[Path, tuple[float, int]] = {}
        self._log_offset = 0

    # --- the emulator ---------------------------------------------------------------

    def sessions(self) -> list[dict[str, Any]]:
        """Every session ever made, with its API view under ``wire``."""
        if self._snapshot is not None:
            return self._snapshot[0]
        return self.emulator.sessions()

    @contextmanager
    def still(self) -> Iterator[None]:
        """Read the emulator once for a moment when nothing runs (choosing a step reads
        it for every kind and stack: one read instead of hundreds)."""
        self._snapshot = (self.emulator.sessions(), self._read_now())
        try:
            yield
        finally:
            self._snapshot = None

    def by_id(self) -> dict[str, dict[str, Any]]:
        """Every session ever made, by id."""
        return {s["id"]: s for s in self.sessions()}

    def live(self) -> dict[str, dict[str, Any]]:
        """Sessions still billing (starting or running, not deleted), by id."""
        return {
            s["id"]: s
            for s in self.sessions()
            if s["wire"]["status"] in LIVE and not s.get("deleted_at")
        }

    def platform_id(self, name: str) -> str:
        """The id of the platform named ``name`` (read once)."""
        if name not in self.platform_ids:
            reply = self.emulator.admin.get("/qaas/v1alpha1/platforms", params={"name": name})
            reply.raise_for_status()
            self.platform_ids[name] = reply.json()["platforms"][0]["id"]
        return self.platform_ids[name]

    def api_call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        """A call to the API as someone working by hand makes it (the main tenant's key)."""
        reply = self.emulator.admin.request(method, f"/qaas/v1alpha1{path}", json=body)
        reply.raise_for_status()
        return reply.json() if reply.content else {}

    def now(self) -> float:
        """The emulated clock, in seconds since the epoch."""
        if self._snapshot is not None:
            return self._snapshot[1]
        return self._read_now()

    def _read_now(self) -> float:
        return datetime.fromisoformat(
            self.emulator.state()["now"].replace("Z", "+00:00")
        ).timestamp()

    # --- the stacks -----------------------------------------------------------------

    def add_stack(self, label: str, engine: RealEngine, project: str, name: str) -> StackModel:
        """A new, empty stack of the walk's program."""
        from tests.e2e.walk.program import program

        for platform in PLATFORMS:  # every declaration's platform id, known before any run
            self.platform_id(platform)
        stack = engine.stack(program, project=project, name=name)
        model = StackModel(label, project, name, engine, stack)
        self.stacks[label] = model
        return model

    def write_program(
        self,
        sm: StackModel,
        extra: dict[str, dict[str, Any]] | None = None,
        extra_secrets: dict[str, Any] | None = None,
    ) -> None:
        """Set the stack config to the model's declaration (what the program reads), with
        ``extra`` resources given as raw config entries (inputs no Decl can hold)."""

        for decl in sm.program.values():
            self.platform_id(decl.platform)
        resources: dict[str, Any] = {}
        secrets: dict[str, Any] = dict(extra_secrets or {})
        for resource, decl in sorted(sm.program.items()):
            resources[resource], more = decl.inputs(resource, self.platform_ids)
            secrets.update(more)
        resources.update(extra or {})
        declare(sm.stack, resources, secrets)

    def state(self, sm: StackModel) -> dict[str, Any]:
        """``pulumi stack export`` of the stack (secrets encrypted)."""
        return sm.engine.exported(sm.stack)

    def state_sessions(self, sm: StackModel) -> list[dict[str, Any]]:
        """The Sessions the state holds (those waiting for a delete included), of the
        stack's front door."""
        wanted = sm.engine.session_type
        return [r for r in self.state(sm).get("resources", []) if r["type"] == wanted]

    def held_ids(self, sm: StackModel) -> dict[str, str]:
        """Resource name -> session id, for the Sessions the state holds (not pending delete)."""
        return {
            r["urn"].rsplit("::", 1)[1]: r["id"]
            for r in self.state_sessions(sm)
            if not r.get("delete")
        }

    # --- running the CLI ------------------------------------------------------------

    def run(self, sm: StackModel, operation: str, **options: Any) -> Outcome:
        """Run ``operation`` (up, preview, refresh, destroy) inline; never raises on failure."""
        from pulumi import automation as auto

        printed: list[str] = []
        ops: dict[str, set[str]] = {}

        def on_event(event: Any) -> None:
            pre = event.resource_pre_event
            if pre is not None:
                ops.setdefault(pre.metadata.urn, set()).add(pre.metadata.op.value)

        try:
            getattr(sm.stack, operation)(on_output=printed.append, on_event=on_event, **options)
            outcome = Outcome(True, "\n".join(printed), ops)
        except auto.CommandError as exc:
            outcome = Outcome(False, "\n".join(printed) + "\n" + str(exc), ops)
        self._keep(outcome.text)
        return outcome

    def run_with_extra(self, sm: StackModel, resource: str, field_: str, value: Any) -> Outcome:
        """``up`` with one more Session whose ``field_`` is the secret ``value``, then the
        program as it was."""
        from tests.e2e.walk.model import PLATFORMS
        from tests.e2e.walk.program import SECRET

        placeholder: Any = {SECRET: "bad"}
        secret = value
        if isinstance(value, list):  # a tag list: the tag is the secret
            placeholder, secret = [placeholder], value[0]
        inputs: dict[str, Any] = {field_: placeholder}
        if field_ != "platform_name":
            inputs["platform_name"] = PLATFORMS[0]
        self.write_program(sm, {resource: inputs}, {"bad": secret})
        return self.run(sm, "up")

    def _keep(self, text: str) -> None:
        """Keep a command's output for the secret scan (and echo it: QPU_WALK_ECHO=1)."""
        self.texts.append(text)
        if os.environ.get("QPU_WALK_ECHO", "") not in ("", "0"):
            self.say(text)

    def pulumi(self, sm: StackModel, *args: str) -> subprocess.CompletedProcess[str]:
        """A ``pulumi`` command on the stack's workspace; its output is scanned too."""
        done = sm.engine.pulumi(sm.stack, *args, check=False)
        self._keep(done.stdout + "\n" + done.stderr)
        return done

    def leftovers(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``qpu-leftovers`` as a user would (the main tenant's credentials, the tests'
        heartbeat)."""
        engine = next(iter(self.stacks.values())).engine
        done = qpu_leftovers(engine, *args)
        # Not scanned for secrets: the command lists each session's name, the API's own
        # data, by design (a name a program declared secret shows there).
        if os.environ.get("QPU_WALK_ECHO", "") not in ("", "0"):
            self.say(done.stdout + "\n" + done.stderr)
        return done

    def start_detached(self, sm: StackModel, operation: str) -> subprocess.Popen[str]:
        """The operation in a process group of its own (to be killed, or run alongside)."""
        return sm.engine.start_detached(sm.stack, operation, PROGRAM)

    def finish_detached(self, run: subprocess.Popen[str], *, kill: bool) -> Outcome:
        """SIGKILL the run's process group (if ``kill``) or wait for it; its outcome."""
        if kill and run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
        output = run.communicate(timeout=600)[0]
        self._keep(output)
        return Outcome(run.returncode == 0 and not kill, output)

    def counter(self, route: str) -> int:
        """Requests the emulator counted on ``route`` (all API routes when empty)."""
        counters = self.emulator.counters()
        if not route:
            return sum(counters.values())
        return counters.get(route, 0)

    def wait_for(
        self, condition: Callable[[], bool], run: subprocess.Popen[str] | None = None
    ) -> bool:
        """Poll ``condition`` until it holds (True) or ``run`` ends first (False)."""
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if condition():
                return True
            if run is not None and run.poll() is not None:
                return condition()
            time.sleep(0.05)
        raise CheckFailedError("walk", "a step waited 300 s for its moment")

    @contextmanager
    def outage(self, kind: str, seconds: float, *moments: tuple[str, int]) -> Iterator[None]:
        """An API outage of ``seconds``, from a moment of the run under way.

        ``moments``: ``(route, count)`` milestones met in order, each ``count`` more
        requests to ``route`` (any API route when empty) after the one before. ``kind``
        is ``"503"`` (every API request answered 503) or ``"down"`` (the process stopped:
        connections refused; it comes back on its state file).
        """
        bases = [self.counter(moments[0][0])]
        done = threading.Event()
        failures: list[BaseException] = []

        def cut() -> None:
            try:
                for index, (route, count) in enumerate(moments):
                    if index:
                        bases.append(self.counter(route))
                    while self.counter(route) < bases[index] + count:
                        if done.is_set():
                            return  # the run ended before its moment: no outage
                        time.sleep(0.05)
                if kind == "down":
                    self.emulator.restart(downtime=seconds)
                else:
                    self.emulator.set_faults(error_rate=1.0)
                    time.sleep(seconds)
                    self.emulator.set_faults()
            except BaseException as exc:  # reported by the step, not lost in the thread
                failures.append(exc)

        thread = threading.Thread(target=cut, daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join(timeout=seconds + 60)
        if failures:
            raise failures[0]

    def recover(self, delays: dict[str, float]) -> None:
        """Start afresh after a finding (the soak goes on): every stack's state removed and
        made again empty, every live session ended by hand, the model empty."""
        self.emulator.set_faults()
        self.emulator.configure(**delays)
        for sm in self.stacks.values():
            self.empty(sm)
        for session_id, record in self.live().items():
            self.end(session_id, record)
        self.outside.clear()
        self.abandoned.clear()
        self.texts = []

    def empty(self, sm: StackModel) -> None:
        """The stack's state removed and made again, empty, with an empty program."""
        from tests.e2e.walk.program import program

        sm.engine.pulumi(sm.stack, "cancel", "--yes", check=False)
        sm.stack.workspace.remove_stack(sm.name, force=True)
        sm.stack = sm.engine.stack(program, project=sm.project, name=sm.name)
        sm.program, sm.held, sm.settled = {}, {}, True
        self.write_program(sm)

    def end(self, session_id: str, record: dict[str, Any]) -> None:
        """Terminate a session by hand, with the key of the tenant whose project holds it."""
        key = self.emulator.secret_key
        if record["wire"]["project_id"] == self.emulator.other_project_id:
            key = self.emulator.other_secret_key
        reply = self.emulator.admin.post(
            f"/qaas/v1alpha1/sessions/{session_id}/terminate",
            json={},
            headers={"X-Auth-Token": key},
        )
        reply.raise_for_status()

    # --- the model after a run ------------------------------------------------------

    def view(self, record: dict[str, Any]) -> dict[str, Any]:
        """The model's view of what the API stores for a session (its emulator record);
        the adoption tag is hidden (docs/provider.md, Adoption)."""
        wire = record["wire"]
        parameters = wire.get("parameters")
        return {
            "platform_id": wire["platform_id"],
            "name": wire["name"],
            "tags": [t for t in wire.get("tags") or [] if not is_adopted_tag(t)],
            "max_idle_duration": wire["max_idle_duration"],
            "max_duration": wire["max_duration"],
            "model_id": wire.get("model_id") or None,
            "parameters": json.loads(parameters) if parameters else None,
            "deduplication_id": wire.get("deduplication_id") or "",
        }

    def settle(self, sm: StackModel, ops: dict[str, str] | None, *, full: bool = True) -> None:
        """After a successful ``up``: what the state holds now, by the model's rules.

        ``ops``: what the up did to each resource (predicted, and checked by the caller).
        ``None`` after a stack's runs were cut short: each resource is rebuilt from the
        declaration over what the session was before. ``full``: the up applied the whole
        program, so the state must hold exactly the declared resources (not so after
        ``--target``).
        """
        ids = self.held_ids(sm)
        records = self.by_id()
        if full and sorted(ids) != sorted(sm.program):
            raise CheckFailedError(
                "up-holds-the-program",
                f"stack {sm.label}: the state holds {sorted(ids)}, the program declares "
                f"{sorted(sm.program)}",
            )
        touched = sorted(sm.program) if ops is None else sorted(ops)
        held = {r: h for r, h in sm.held.items() if ops is not None and r not in ops}
        for resource, kept in held.items():
            if ids.get(resource) != kept.session_id:
                raise CheckFailedError(
                    "target-touches-only-the-target",
                    f"stack {sm.label}: {resource} was not targeted, yet the state now holds "
                    f"{ids.get(resource)} instead of {kept.session_id}",
                )
        for resource in touched:
            op = None if ops is None else ops[resource]
            if op in ("delete", "none") or resource not in ids:
                continue
            decl, session_id = sm.program[resource], ids[resource]
            previous = sm.held.get(resource)
            same = previous is not None and previous.session_id == session_id
            if op == "replace" and same:
                raise CheckFailedError(
                    "replacement-is-another-session",
                    f"{sm.label}/{resource} was replaced, yet the state still holds session "
                    f"{session_id}",
                )
            adopted_view = None
            if decl.session_id == session_id and not same:
                adopted_view = self.outside.pop(session_id, None)
            if op is None and same:
                # The run was cut short before: the session as it was, with what is declared.
                assert previous is not None
                api = {**previous.api, **decl.declared(self.platform_ids)}
                held[resource] = Held(session_id, api, dict(api), previous.adopted, decl.session_id)
            else:
                seen = adopted_view or self.view(records[session_id])
                held[resource] = after(
                    previous,
                    decl,
                    op or "create",
                    session_id,
                    self.platform_ids,
                    seen,
                    adopted=adopted_view is not None,
                )
            fresh = not same and adopted_view is None and not held[resource].adopted
            if fresh and session_id in self.ever_held:
                raise CheckFailedError(
                    "fresh-session",
                    f"{sm.label}/{resource} got session {session_id}, which a state held "
                    "before (a replacement or create must make a new one)",
                )
        sm.held = held
        if full:
            sm.settled = True
        self.ever_held.update(h.session_id for h in held.values())

    def resync(self, sm: StackModel) -> None:
        """After a run whose outcome is not predictable (failed, killed, cut off): hold what
        the state holds, and compare nothing with the declaration until it settles."""
        records = self.by_id()
        held: dict[str, Held] = {}
        for stored in self.state_sessions(sm):
            if stored.get("delete"):
                continue
            resource, session_id = stored["urn"].rsplit("::", 1)[1], stored["id"]
            previous = sm.held.get(resource)
            if previous is not None and previous.session_id == session_id:
                held[resource] = previous
            else:
                seen = (
                    self.view(records[session_id]) if session_id in records else dict(API_DEFAULTS)
                )
                adopted = self.outside.pop(session_id, None) is not None
                named = stored.get("outputs", {}).get("session_id")
                held[resource] = Held(session_id, seen, dict(seen), adopted, named)
        sm.held = held
        sm.settled = False
        self.ever_held.update(h.session_id for h in held.values())

    # --- invariants -----------------------------------------------------------------

    def check(self) -> None:
        """Every invariant of the module docstring; raises :class:`CheckFailedError`."""
        records = self.by_id()
        live = {
            i: s
            for i, s in records.items()
            if s["wire"]["status"] in LIVE and not s.get("deleted_at")
        }
        holders: dict[str, list[str]] = {}
        states: dict[str, list[dict[str, Any]]] = {}
        for label, sm in self.stacks.items():
            states[label] = self.state_sessions(sm)
            for resource in states[label]:
                holders.setdefault(resource["id"], []).append(
                    f"{label}:{resource['urn'].rsplit('::', 1)[1]}"
                )
        shared = {i: h for i, h in holders.items() if len(h) > 1}
        if shared:
            raise CheckFailedError(
                "one-state-per-session", f"sessions held more than once: {shared}"
            )
        self._check_held_live_or_replaced(states, live)
        unheld = {
            i: s
            for i, s in live.items()
            if i not in holders and i not in self.outside and i not in self.abandoned
        }
        for session_id in found_by_leftover_finder(self.emulator, set(unheld)):
            del unheld[session_id]
        if unheld:
            raise CheckFailedError(
                "live-is-held",
                "live sessions no state holds and the leftover finder would not list: "
                + "; ".join(self._describe(s) for s in unheld.values()),
            )
        tagged = [i for i in holders if i in records and carries_creating_tag(records[i]["wire"])]
        if tagged:
            raise CheckFailedError(
                "held-carries-no-creating-tag",
                "sessions a state holds still carry the creating tag: "
                + "; ".join(self._describe(records[i]) for i in tagged),
            )
        for sm in self.stacks.values():
            if sm.settled:
                self._check_stored_is_declared(sm, records)
        self._check_no_plaintext_secret()

    def _check_held_live_or_replaced(
        self, states: dict[str, list[dict[str, Any]]], live: dict[str, dict[str, Any]]
    ) -> None:
        for label, resources in states.items():
            ended = [r for r in resources if not r.get("delete") and r["id"] not in live]
            if not ended:
                continue
            sm = self.stacks[label]
            plan = self.run(sm, "preview")
            if not plan.ok:
                raise CheckFailedError(
                    "held-is-live-or-replaced",
                    f"stack {label} holds ended sessions and its preview fails:\n"
                    + plan.text[-3000:],
                )
            for resource in ended:
                op = plan.op(resource["urn"])
                if op not in ("replace", "delete"):
                    raise CheckFailedError(
                        "held-is-live-or-replaced",
                        f"stack {label} holds session {resource['id']} "
                        f"({resource['urn'].rsplit('::', 1)[1]}), which is not live, and "
                        f"a preview plans {op!r} for it",
                    )

    def _check_stored_is_declared(self, sm: StackModel, records: dict[str, dict[str, Any]]) -> None:
        for resource, held in sorted(sm.held.items()):
            record = records.get(held.session_id)
            if record is None:
                raise CheckFailedError(
                    "stored-is-declared", f"{sm.label}/{resource}: no session {held.session_id}"
                )
            stored = self.view(record)
            for key, wanted in held.api.items():
                if wanted == ANY:
                    continue
                if key == "deduplication_id" and wanted == DERIVED:
                    keys = sm.keys(resource)
                    if not any(self.derives_from(stored[key], k, records) for k in keys):
                        raise CheckFailedError(
                            "stored-is-declared",
                            f"{sm.label}/{resource}: session {held.session_id} has "
                            f"deduplication id {stored[key]!r}, not one derived from its key",
                        )
                    continue
                if not same_value(stored[key], wanted):
                    check = (
                        "int-parameters"
                        if key == "parameters" and _has_int(wanted)
                        else "stored-is-declared"
                    )
                    raise CheckFailedError(
                        check,
                        f"{sm.label}/{resource}: session {held.session_id} stores {key}="
                        f"{canonical(stored[key])}, the model expects {canonical(wanted)}",
                    )

    def derives_from(self, dedup: str, key: str, records: dict[str, dict[str, Any]]) -> bool:
        """Whether ``dedup`` is the root id of ``key`` or one ``after`` a known session."""
        if dedup == derived_deduplication_id(key):
            return True
        return any(dedup == derived_deduplication_id(key, after=i) for i in records)

    def _check_no_plaintext_secret(self) -> None:
        places: list[tuple[str, str]] = [(f"CLI output #{n}", t) for n, t in enumerate(self.texts)]
        self.texts = []
        for sm in {id(s.engine): s for s in self.stacks.values()}.values():
            for path in sorted(sm.engine.work.rglob("*")):
                if not path.is_file() or ("pulumi-home" in path.parts and "plugins" in path.parts):
                    continue
                stat = path.stat()
                if self._scanned.get(path) == (stat.st_mtime, stat.st_size):
                    continue
                self._scanned[path] = (stat.st_mtime, stat.st_size)
                places.append(
                    (str(path.relative_to(sm.engine.work)), path.read_text(errors="replace"))
                )
        log = self.emulator.output
        places.append(("the emulator's request log", log[self._log_offset :]))
        self._log_offset = len(log)
        for where, text in places:
            if SECRET_MARK in text:
                at = text.index(SECRET_MARK)
                raise CheckFailedError(
                    "no-plaintext-secret",
                    f"a secret value in {where}: ...{text[max(0, at - 300) : at + 60]!r}",
                )

    def _describe(self, record: dict[str, Any]) -> str:
        wire = record["wire"]
        dedup = wire.get("deduplication_id") or ""
        records = self.by_id()
        owners = [
            f"{sm.label}/{resource}"
            for sm in self.stacks.values()
            for resource in sorted(set(sm.program) | set(sm.held))
            if any(self.derives_from(dedup, key, records) for key in sm.keys(resource))
        ]
        return (
            f"{record['id']} ({wire['status']}, tags {wire.get('tags')}, deduplication id "
            f"{dedup!r}, derived for {owners or 'no resource of the walk'})"
        )

    def leftovers_of(self, sm: StackModel) -> list[dict[str, Any]]:
        """Live sessions derived from this stack's resource keys that no state holds."""
        records = self.by_id()
        held = {i for s in self.stacks.values() for i in self.held_ids(s).values()}
        keys = sm.all_keys()
        return [
            s
            for i, s in records.items()
            if s["wire"]["status"] in LIVE
            and not s.get("deleted_at")
            and i not in held
            and i not in self.outside
            and i not in self.abandoned
            and any(
                self.derives_from(s["wire"].get("deduplication_id") or "", k, records) for k in keys
            )
        ]


def _has_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, dict):
        return any(_has_int(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_int(v) for v in value)
    return False


__all__ = [
    "CheckFailedError",
    "Outcome",
    "World",
    "carries_creating_tag",
    "found_by_leftover_finder",
]
