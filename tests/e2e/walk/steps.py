"""The walk's steps: what a user does, what each should do by the docs, and the walk itself.

Each step kind draws its details from the walk's seeded generator and the model alone,
logs one line, runs the real CLI, and checks the outcome the docs promise; the world's
invariants are checked after every step (tests/e2e/walk/world.py).

:data:`WAITING` names the step kinds, the declarations and the checks that wait for a
defect of issue 15 to be fixed: the bounded run (``make test``) leaves them out, the soak
(``make soak``) runs them. When a defect is fixed, delete its entries here.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from tests.e2e.walk.model import (
    MODELS,
    PLATFORMS,
    SECRET_MARK,
    Decl,
    Duration,
    StackModel,
    predict,
)
from tests.e2e.walk.world import CheckFailedError, Outcome, World, found_by_leftover_finder

WAITING: Final[dict[str, tuple[str, ...]]] = {
    # what a declaration may hold
    "int-parameters": ("#1",),  # integers (large ones too) in parameters reach the API as floats
    "parameters-spelling": ("#1",),  # the same parameters as JSON text instead of a dict
    # step kinds
    "replace-adopted": ("#2",),  # up --replace of an adopted Session
    "concurrent-ups": ("#3",),  # two CI jobs: same project/stack names, two backends, at once
    "adopt-managed": ("#4",),  # session_id= of a session another stack manages
    "long-outage": ("#5", "#9"),  # the API down longer than the retries, during an up
    "outage-during-wait": ("#9",),  # an outage shorter than create_timeout, during the waits
    "kill-then-destroy": ("#6",),  # kill -9 of up, pulumi cancel, pulumi destroy
    "state-delete": ("#8",),  # pulumi state delete, then up
    "shorten-below-run": ("#10",),  # max_duration below the time already run
    "adopted-ends": ("#11",),  # an adopted session ends (by hand or by itself), then up
    "adopted-replace-only": ("#11",),  # a replace-only input added to an adopted Session
    "move-credentials": ("#7",),  # qpu:secretKey and qpu:projectId of another tenant, then up
    "change-key": ("#7",),  # qpu:secretKey of another tenant, then preview
    "retain-replacements": ("#12",),  # retain_on_delete and 6 replacements
    "shared-deduplication-id": ("#13",),  # one given deduplication_id on two resources
    "secret-bad-input": ("#14",),  # a secret input that check refuses
    # checks
    "destroy-leaves-nothing": ("#5", "#6"),  # after destroy, no live session of the stack's keys
    "killed-given-id-create": ("W1",),  # a killed create of a given deduplication_id: untagged
    "secret-left-out": ("W2",),  # a secret name or tags left out of the declaration
}
"""What waits for which defect: ``#n`` is issue 15's list, ``Wn`` one the walk found
(docs/reliability.md). Left out of the bounded run; the soak runs them."""

MAX_RESOURCES: Final = 3
"""Most Sessions one stack declares: enough for parallel creates, cheap per step."""

IDLE: Final = (3600, 7200, 14400)
TOTAL: Final = (7200, 14400, 28800)
"""Durations the walk declares (seconds): the emulator's clock, not real time, ends them."""

HORIZON: Final = 180.0
"""Seconds ahead in which a session's end by itself is too close to predict a step around."""

SAFETY: Final = 600.0
"""A declared lifetime must exceed the time already run by this much (else: defect 10)."""

KILL_START_DELAY: Final = 4.0
"""Seconds a session stays ``starting`` while a run is to be killed amid its creates."""

BASE_DELAYS: Final = {"start_delay": 0.5, "stop_delay": 0.2}
"""The emulator's delays between steps."""

SHORT_OUTAGE: Final = 2.0
"""Seconds of a short outage: far inside the client's 10 attempts (backoff up to 8 s)."""

LONG_OUTAGE: Final = 45.0
"""Seconds of a long outage: longer than every attempt of a call can last (about 40 s of
backoff at most), so a call made at its start gives up."""

TERMINATE: Final = "POST /qaas/v1alpha1/sessions/{session_id}/terminate"
CREATE: Final = "POST /qaas/v1alpha1/sessions"
GET_SESSION: Final = "GET /qaas/v1alpha1/sessions/{session_id}"
TERMINATED_CLAIM = re.compile(
    r"session ([0-9a-f-]{36})\b[^\n]*?it was terminated so that nothing is left running"
)


@dataclass
class Walk:
    """The walk under way: its world, generator, scope and log."""

    world: World
    rng: random.Random
    scope: str
    log: list[str] = field(default_factory=list)
    kind: str = ""
    number: int = 0
    """The number of the step under way (set by the caller: a replay runs this many)."""
    counts: dict[str, int] = field(default_factory=dict)
    only: frozenset[str] = frozenset()
    """When not empty: the step kinds the walk may take (the rest are left out)."""
    found: set[str] = field(default_factory=set)
    """Entries of :data:`WAITING` already found in this walk: off for the rest of it, so
    that a known defect is reported once and the walk goes on to others."""

    def enabled(self, name: str) -> bool:
        """Whether a step kind, declaration or check named in :data:`WAITING` is on."""
        if name not in WAITING:
            return True
        return self.scope == "all" and name not in self.found

    def begin(self, kind: str, text: str) -> None:
        """Start a step: one numbered line of the log."""
        self.kind = kind
        self.counts[kind] = self.counts.get(kind, 0) + 1
        line = f"{self.number:3d}. {kind}: {text}"
        self.log.append(line)
        self.world.say(line)

    def detail(self, text: str) -> None:
        """Add a line under the step under way."""
        self.log[-1] += f"\n       {text}"
        self.world.say(f"       {text}")

    def token(self) -> str:
        """A short random token (names, tags, ids)."""
        return f"{self.rng.getrandbits(32):08x}"

    def secret(self, prefix: str) -> str:
        """A fresh secret value: never printed, never stored in clear."""
        return f"{prefix}-{SECRET_MARK}-{self.token()}"


# --- what the walk declares ---------------------------------------------------------


def duration(rng: random.Random, seconds: int) -> Duration:
    """``seconds`` in one of the spellings a user writes."""
    forms: list[Any] = [seconds, f"{seconds}s", f"{seconds // 60}m", f"PT{seconds // 60}M"]
    if seconds % 3600 == 0:
        forms.append(f"{seconds // 3600}h")
    return (rng.choice(forms), seconds)


def parameters(walk: Walk, *, secret: bool) -> dict[str, Any]:
    """Random parameters; integers (large ones too) only when ``int-parameters`` is on."""
    rng = walk.rng
    values: list[Any] = [
        "fast",
        "a b",
        True,
        False,
        0.5,
        -1.75,
        3.125,
        ["x", "y"],
        {"depth": "deep", "flag": True},
    ]
    if walk.enabled("int-parameters"):
        values += [0, 1, -7, 1024, 2**53 + 1, 12345678901234567, 10**20, [1, 2, 3], {"n": 5}]
    keys = rng.sample(["shots", "seed", "optimizer", "layers", "noise", "labels", "options"], 3)
    out = {key: rng.choice(values) for key in keys[: rng.randint(1, 3)]}
    if secret:
        out["token"] = walk.secret("p")
    return out


def new_decl(walk: Walk) -> Decl:
    """A new Session declaration, any field set or left to the API."""
    rng = walk.rng
    decl = Decl(platform=rng.choice(PLATFORMS), platform_by_id=rng.random() < 0.3)
    if rng.random() < 0.6:
        decl = with_name(walk, decl)
    if rng.random() < 0.6:
        decl = with_tags(walk, decl)
    if rng.random() < 0.4:
        decl = decl.but(max_idle=duration(rng, rng.choice(IDLE)))
    if rng.random() < 0.4:
        decl = decl.but(max_dur=duration(rng, rng.choice(TOTAL)))
    if rng.random() < 0.3:
        decl = with_parameters(walk, decl)
    if rng.random() < 0.2:
        decl = decl.but(model_id=rng.choice(MODELS))
    return decl


def with_name(walk: Walk, decl: Decl) -> Decl:
    """Another name, secret a third of the time."""
    if walk.rng.random() < 0.3:
        return decl.but(name=walk.secret("n"), name_secret=True)
    return decl.but(name=f"n-{walk.token()}", name_secret=False)


def with_tags(walk: Walk, decl: Decl) -> Decl:
    """Other tags, the last one secret a quarter of the time."""
    rng = walk.rng
    tags = rng.sample(["team:quantum", "env:ci", "cost:lab", "owner:walk"], rng.randint(0, 2))
    if rng.random() < 0.25:
        return decl.but(tags=(*tags, walk.secret("t")), last_tag_secret=True)
    return decl.but(tags=(*tags, f"t-{walk.token()}"), last_tag_secret=False)


def with_parameters(walk: Walk, decl: Decl) -> Decl:
    """Other parameters, secret a third of the time; as text when that is on."""
    secret = walk.rng.random() < 0.3
    as_text = walk.enabled("parameters-spelling") and walk.rng.random() < 0.3
    return decl.but(
        parameters=parameters(walk, secret=secret),
        parameters_secret=secret,
        parameters_as_text=as_text,
    )


# --- the emulator's clock -----------------------------------------------------------


def _time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _seconds(text: str) -> float:
    return float(text.rstrip("s"))


def end_of(record: dict[str, Any]) -> float | None:
    """When a running session ends by itself (emulated seconds since the epoch)."""
    wire = record["wire"]
    if wire["status"] != "running" or not wire.get("started_at"):
        return None
    lifetime = min(_seconds(wire["max_idle_duration"]), _seconds(wire["max_duration"]))
    return _time(wire["started_at"]) + lifetime


def status_of(world: World, session_id: str) -> str:
    """The status the emulator gives a session ("no such session" if it has none)."""
    record = world.by_id().get(session_id)
    return str(record["wire"]["status"]) if record else "no such session"


def run_time(world: World, session_id: str) -> float:
    """Seconds a session has run so far (0 if it is not running)."""
    record = world.by_id().get(session_id)
    if record is None or not record["wire"].get("started_at"):
        return 0.0
    return world.now() - _time(record["wire"]["started_at"])


def ending_soon(world: World, sm: StackModel) -> set[str]:
    """Resources whose session may end by itself while the next step runs."""
    records, now = world.by_id(), world.now()
    soon = set()
    for resource, held in sm.held.items():
        end = end_of(records.get(held.session_id, {"wire": {"status": ""}}))
        if end is not None and end <= now + HORIZON:
            soon.add(resource)
    return soon


def lifetime_ok(walk: Walk, sm: StackModel, resource: str, decl: Decl) -> bool:
    """Whether ``decl``'s durations leave the held session well beyond its run time."""
    held = sm.held.get(resource)
    if held is None:
        return True
    idle = decl.max_idle[1] if decl.max_idle else _seconds(held.api["max_idle_duration"])
    total = decl.max_dur[1] if decl.max_dur else _seconds(held.api["max_duration"])
    return min(idle, total) > run_time(walk.world, held.session_id) + SAFETY


# --- changes to a stack's program ---------------------------------------------------


def mutate(walk: Walk, sm: StackModel, count: int, *, add_remove: bool = True) -> list[str]:
    """Make ``count`` random changes to the program; one phrase each."""
    said = []
    for _ in range(count):
        said.append(_change(walk, sm, add_remove=add_remove))
    return said


def _change(walk: Walk, sm: StackModel, *, add_remove: bool) -> str:
    rng = walk.rng
    program = sm.program
    choices = []
    if add_remove and len(program) < MAX_RESOURCES:
        choices += ["add"] * 3
    if add_remove and program:
        choices.append("remove")
    if program:
        choices += ["in-place"] * 4 + ["replace-only"] * 2 + ["spelling"]
    if not choices:
        return "nothing to change"
    what = rng.choice(choices)
    if what == "add":
        resource = next(f"r{i}" for i in range(10) if f"r{i}" not in program)
        program[resource] = new_decl(walk)
        return f"add {resource} {describe(program[resource])}"
    resource = rng.choice(sorted(program))
    decl = program[resource]
    if what == "remove":
        del program[resource]
        return f"remove {resource}"
    if what == "in-place":
        field_ = rng.choice(["name", "tags", "max_idle", "max_dur", "unset"])
        if field_ == "name":
            changed = with_name(walk, decl)
        elif field_ == "tags":
            changed = with_tags(walk, decl)
        elif field_ == "unset":
            # Absent is "no opinion": the session keeps what it has.
            field_ = rng.choice(["name", "tags", "max_idle", "max_dur"])
            secret = (field_ == "name" and decl.name_secret) or (
                field_ == "tags" and decl.last_tag_secret
            )
            if secret and not walk.enabled("secret-left-out"):
                return f"{resource}: secret {field_} kept (left out: secret-left-out)"
            changed = decl.but(**{field_: None})
        else:
            seconds = rng.choice(IDLE if field_ == "max_idle" else TOTAL)
            changed = decl.but(**{field_: duration(rng, seconds)})
            if not lifetime_ok(walk, sm, resource, changed):
                return f"{resource}: {field_} kept (a shorter one would end it: shorten-below-run)"
        program[resource] = changed
        return f"{resource}: {field_} -> {describe_field(changed, field_)}"
    if what == "spelling":
        if (
            decl.parameters is not None
            and walk.enabled("parameters-spelling")
            and rng.random() < 0.5
        ):
            program[resource] = decl.but(parameters_as_text=not decl.parameters_as_text)
            return (
                f"{resource}: parameters as {'text' if not decl.parameters_as_text else 'a dict'}"
            )
        program[resource] = decl.but(platform_by_id=not decl.platform_by_id)
        return (
            f"{resource}: platform by {'id' if not decl.platform_by_id else 'name'} (same platform)"
        )
    held = sm.held.get(resource)
    if decl.session_id is not None or (held is not None and held.adopted):
        # An adopted Session: its replace-only inputs are the adopted-replace-only kind's.
        if decl.session_id is not None and rng.random() < 0.5:
            program[resource] = decl.but(session_id=None)
            return f"{resource}: session_id removed (docs: changes nothing)"
        changed = decl.but(
            platform=rng.choice([p for p in PLATFORMS if p != decl.platform]), session_id=None
        )
        program[resource] = changed
        return f"{resource}: platform -> {changed.platform}, session_id removed (a fresh session)"
    field_ = rng.choice(["platform", "parameters", "model_id", "deduplication_id"])
    if field_ == "platform":
        changed = decl.but(platform=rng.choice([p for p in PLATFORMS if p != decl.platform]))
    elif field_ == "parameters":
        changed = with_parameters(walk, decl)
    elif field_ == "model_id":
        changed = decl.but(model_id=rng.choice([None, *MODELS]))
    else:
        given = None if decl.deduplication_id else f"walk-{sm.label}-{resource}-{walk.token()}"
        changed = decl.but(deduplication_id=given)
    program[resource] = changed
    return f"{resource}: {field_} -> {describe_field(changed, field_)}"


def describe(decl: Decl) -> str:
    """The declaration in one line, secrets hidden."""
    parts = []
    for field_ in (
        "platform",
        "name",
        "tags",
        "max_idle",
        "max_dur",
        "parameters",
        "model_id",
        "session_id",
        "deduplication_id",
    ):
        if getattr(decl, field_) is not None:
            parts.append(f"{field_}={describe_field(decl, field_)}")
    return "{" + ", ".join(parts) + "}"


def describe_field(decl: Decl, field_: str) -> str:
    """One field of a declaration, as the log shows it (secrets as ``[secret]``)."""
    value = getattr(decl, field_)
    if field_ == "name" and decl.name_secret:
        return "[secret]"
    if field_ == "tags" and decl.last_tag_secret and value:
        return repr([*value[:-1], "[secret]"])
    if field_ == "parameters" and decl.parameters_secret:
        return "[secret]"
    if field_ == "parameters" and value is not None:
        return ("text " if decl.parameters_as_text else "") + repr(value)
    if field_ == "platform":
        return f"{value}{' (by id)' if decl.platform_by_id else ''}"
    if field_ in ("max_idle", "max_dur") and value is not None:
        return repr(value[0])
    return repr(value)


# --- running an up and checking it --------------------------------------------------


def expected_ops(
    walk: Walk, sm: StackModel, *, target: list[str] | None = None, replace: list[str] | None = None
) -> dict[str, set[str]]:
    """What an ``up`` should do to each resource (a set: a session about to end may be
    replaced instead)."""
    world = walk.world
    live = world.live()
    soon = ending_soon(world, sm)
    expected: dict[str, set[str]] = {}
    for resource in sorted(set(sm.program) | set(sm.held)):
        held, decl = sm.held.get(resource), sm.program.get(resource)
        if target is not None and resource not in target:
            expected[resource] = {"same", "none"}
            continue
        op = predict(held, decl, held is not None and held.session_id in live, world.platform_ids)
        if replace and resource in replace and op in ("same", "update"):
            op = "replace"
        expected[resource] = {op}
        if resource in soon and decl is not None and op in ("same", "update"):
            expected[resource].add("replace")
    return expected


def up(
    walk: Walk,
    sm: StackModel,
    *,
    target: list[str] | None = None,
    replace: list[str] | None = None,
    outcome_of: Callable[[dict[str, Any]], Outcome] | None = None,
) -> Outcome:
    """Run ``up`` (or ``outcome_of(options)``) and check it did what the docs say."""
    world = walk.world
    settled = sm.settled
    expected = expected_ops(walk, sm, target=target, replace=replace)
    live_before = world.live()
    tagged_before = any(found_by_leftover_finder(s["wire"]) for s in live_before.values())
    # A session_id whose session has ended: what an up then does waits for #11.
    dead = [r for r, d in sm.program.items() if d.session_id and d.session_id not in live_before]
    made_before = len(world.sessions())
    options: dict[str, Any] = {}
    if target is not None:
        options["target"] = [sm.urn(r) for r in target]
    if replace:
        options["replace"] = [sm.urn(r) for r in replace]
    outcome = outcome_of(options) if outcome_of else world.run(sm, "up", **options)
    if not outcome.ok:
        check = "adopted-ends" if dead else "up-succeeds"
        raise CheckFailedError(check, f"stack {sm.label}: up failed:\n{outcome.text[-4000:]}")
    actual = {r: outcome.op(sm.urn(r)) for r in expected}
    if settled:
        wrong = {
            r: (sorted(expected[r]), actual[r]) for r in expected if actual[r] not in expected[r]
        }
        if wrong:
            raise CheckFailedError(
                "plan-as-documented",
                f"stack {sm.label}: resource -> (expected, done): {wrong}\n{outcome.text[-3000:]}",
            )
    touched = {r: a for r, a in actual.items() if target is None or r in target}
    ids = world.held_ids(sm)
    for resource, op in touched.items():
        decl = sm.program.get(resource)
        adopting = decl is not None and decl.session_id and op in ("create", "replace")
        if adopting and decl is not None and ids.get(resource) != decl.session_id:
            raise CheckFailedError(
                "adoption",
                f"{sm.label}/{resource} declares session_id {decl.session_id}; the "
                f"state holds {ids.get(resource)}",
            )
    world.settle(sm, touched if settled else None, full=target is None)
    made = len(world.sessions()) - made_before
    adopted = sum(
        1 for r, a in touched.items() if a in ("create", "replace") and sm.program[r].session_id
    )
    creates = sum(1 for a in touched.values() if a in ("create", "replace")) - adopted
    if settled and (made > creates or (made < creates and not tagged_before)):
        raise CheckFailedError(
            "one-session-per-create",
            f"stack {sm.label}: the up created or replaced {creates} sessions, the API made {made}",
        )
    live = world.live()
    for resource in touched:
        held = sm.held.get(resource)
        if held is not None and (
            held.session_id not in live or live[held.session_id]["wire"]["status"] != "running"
        ):
            raise CheckFailedError(
                "up-leaves-it-running",
                f"{sm.label}/{resource}: after a successful up its session {held.session_id} "
                f"is {world.by_id()[held.session_id]['wire']['status']}",
            )
    walk.detail("done: " + (", ".join(f"{r} {a}" for r, a in sorted(touched.items())) or "nothing"))
    return outcome


# --- the step kinds -----------------------------------------------------------------


def step_up(walk: Walk, sm: StackModel) -> None:
    """Change the program at random and ``pulumi up``."""
    changes = mutate(walk, sm, walk.rng.choice([1, 1, 2, 3]))
    walk.begin("up", f"{sm.label}: " + "; ".join(changes))
    walk.world.write_program(sm)
    up(walk, sm)


def step_replace(walk: Walk, sm: StackModel) -> None:
    """``pulumi up --replace`` of one Session that was not adopted."""
    resource = walk.rng.choice(_replaceable(sm))
    walk.begin("up-replace", f"{sm.label}: up --replace {resource}")
    up(walk, sm, replace=[resource])


def _replaceable(sm: StackModel) -> list[str]:
    return sorted(r for r, h in sm.held.items() if not h.adopted and r in sm.program)


def step_target(walk: Walk, sm: StackModel) -> None:
    """Change the program, then ``pulumi up --target`` one Session."""
    changes = mutate(walk, sm, walk.rng.choice([1, 2]), add_remove=False)
    resource = walk.rng.choice(sorted(r for r in sm.held if r in sm.program))
    walk.begin("up-target", f"{sm.label}: " + "; ".join(changes) + f"; up --target {resource}")
    walk.world.write_program(sm)
    up(walk, sm, target=[resource])


def step_preview(walk: Walk, sm: StackModel) -> None:
    """``pulumi preview``: the plan must be what the docs say."""
    walk.begin("preview", sm.label)
    expected = expected_ops(walk, sm)
    plan = walk.world.run(sm, "preview")
    if not plan.ok:
        raise CheckFailedError("preview-succeeds", f"stack {sm.label}:\n{plan.text[-4000:]}")
    wrong = {
        r: (sorted(e), plan.op(sm.urn(r)))
        for r, e in expected.items()
        if plan.op(sm.urn(r)) not in e
    }
    if wrong:
        raise CheckFailedError(
            "plan-as-documented", f"stack {sm.label}: resource -> (expected, planned): {wrong}"
        )
    walk.detail("planned: " + ", ".join(f"{r} {plan.op(sm.urn(r))}" for r in sorted(expected)))


def step_refresh(walk: Walk, sm: StackModel) -> None:
    """``pulumi refresh``; a healthy stack's passes ``--expect-no-changes``."""
    world = walk.world
    live = world.live()
    healthy = sm.settled and all(
        h.session_id in live and h.api == h.state for h in sm.held.values()
    )
    walk.begin("refresh", f"{sm.label}{' --expect-no-changes' if healthy else ''}")
    outcome = world.run(sm, "refresh", expect_no_changes=healthy or None)
    if not outcome.ok:
        raise CheckFailedError("refresh-succeeds", f"stack {sm.label}:\n{outcome.text[-4000:]}")
    ids = world.held_ids(sm)
    gone = {i for i, s in world.by_id().items() if s.get("deleted_at")}
    for resource, held in list(sm.held.items()):
        if held.session_id in gone:
            if resource in ids:
                raise CheckFailedError(
                    "refresh-drops-deleted", f"{sm.label}/{resource}: deleted, still held"
                )
            del sm.held[resource]
        else:
            held.state = dict(held.api)
    if sorted(ids) != sorted(sm.held):
        raise CheckFailedError(
            "refresh-keeps-the-rest", f"{sm.label}: state {sorted(ids)}, model {sorted(sm.held)}"
        )


def step_destroy(walk: Walk, sm: StackModel) -> None:
    """``pulumi destroy``: every session ended, the state empty."""
    walk.begin("destroy", sm.label)
    destroy(walk, sm)


def destroy(walk: Walk, sm: StackModel) -> None:
    """Destroy ``sm`` and check what the docs promise."""
    world = walk.world
    before = set(world.held_ids(sm).values())
    outcome = world.run(sm, "destroy")
    if not outcome.ok:
        raise CheckFailedError("destroy-succeeds", f"stack {sm.label}:\n{outcome.text[-4000:]}")
    if world.state_sessions(sm):
        raise CheckFailedError(
            "destroy-empties-the-state", f"stack {sm.label} still holds Sessions"
        )
    still = before & set(world.live())
    if still:
        raise CheckFailedError(
            "destroy-ends-every-session", f"stack {sm.label}: still live: {sorted(still)}"
        )
    sm.held = {}
    sm.settled = True
    _forget_ended_adoptions(walk, sm)
    left = world.leftovers_of(sm)
    if left and walk.enabled("destroy-leaves-nothing"):
        raise CheckFailedError(
            "destroy-leaves-nothing",
            f"after a successful destroy of {sm.label}, live sessions derived from its "
            "resource keys that no state holds: "
            + "; ".join(f"{s['id']} tags {s['wire']['tags']}" for s in left),
        )
    if left:
        walk.detail(
            f"left live (leftovers, {WAITING['destroy-leaves-nothing']}): {[s['id'] for s in left]}"
        )


def _forget_ended_adoptions(walk: Walk, sm: StackModel) -> None:
    """The user removes a ``session_id`` whose session has ended (docs: removing it
    changes nothing), unless the walk is to try what an up then does (#11)."""
    if walk.enabled("adopted-ends"):
        return
    live = walk.world.live()
    ended = [r for r, d in sm.program.items() if d.session_id and d.session_id not in live]
    for resource in ended:
        sm.program[resource] = sm.program[resource].but(session_id=None)
    if ended:
        walk.detail(f"session_id removed from {ended}: their adopted sessions ended")
        walk.world.write_program(sm)


def outside_session(walk: Walk, platform: str) -> str:
    """A session made by hand, outside Pulumi, to be adopted."""
    world = walk.world
    session = world.api_call(
        "POST",
        "/sessions",
        {
            "project_id": world.emulator.project_id,
            "platform_id": world.platform_id(platform),
            "name": f"outside-{walk.token()}",
            "tags": ["made-by-hand"],
            "max_idle_duration": "14400s",
            "max_duration": "28800s",
        },
    )
    world.wait_for(lambda: world.by_id()[session["id"]]["wire"]["status"] == "running")
    world.outside[session["id"]] = world.view(world.by_id()[session["id"]])
    return str(session["id"])


def step_adopt(walk: Walk, sm: StackModel) -> None:
    """Adopt a session made by hand (``session_id=``): a new Session, or another id."""
    rng = walk.rng
    adopted = sorted(r for r, h in sm.held.items() if h.adopted and r in sm.program)
    platform = rng.choice(PLATFORMS)
    session_id = outside_session(walk, platform)
    if adopted and (len(sm.program) >= MAX_RESOURCES or rng.random() < 0.4):
        resource = rng.choice(adopted)
        sm.program[resource] = sm.program[resource].but(platform=platform, session_id=session_id)
        text = f"{sm.label}: {resource} adopts another session, {session_id}"
    else:
        resource = next(f"r{i}" for i in range(10) if f"r{i}" not in sm.program)
        decl = Decl(platform=platform, session_id=session_id)
        if rng.random() < 0.5:
            decl = with_tags(walk, decl)
        if rng.random() < 0.5:
            decl = with_name(walk, decl)
        sm.program[resource] = decl
        text = f"{sm.label}: add {resource} adopting {session_id} {describe(decl)}"
    walk.begin("adopt", text)
    walk.world.write_program(sm)
    up(walk, sm)


def step_edit_by_hand(walk: Walk, sm: StackModel) -> None:
    """Someone changes a session's name or tags by hand (the state does not know)."""
    world = walk.world
    resource = walk.rng.choice(_live_held(walk, sm, adopted=None))
    held = sm.held[resource]
    change: dict[str, Any] = (
        {"name": f"by-hand-{walk.token()}"}
        if walk.rng.random() < 0.5
        else {"tags": [f"by-hand-{walk.token()}"]}
    )
    walk.begin("edit-by-hand", f"{sm.label}/{resource}: PATCH {change}")
    world.api_call("PATCH", f"/sessions/{held.session_id}", change)
    held.api.update(change)


def _live_held(walk: Walk, sm: StackModel, *, adopted: bool | None = False) -> list[str]:
    live = walk.world.live()
    soon = ending_soon(walk.world, sm)
    return sorted(
        r
        for r, h in sm.held.items()
        if h.session_id in live and r not in soon and (adopted is None or h.adopted == adopted)
    )


def step_time_passes(walk: Walk, _sm: StackModel) -> None:
    """The emulator's clock jumps: sessions whose time is up end by themselves."""
    world = walk.world
    seconds = walk.rng.choice([1900, 3700, 7300, 15000])
    if not walk.enabled("adopted-ends"):
        limit = _adopted_lifetime_left(walk)
        seconds = min(seconds, int(limit - HORIZON)) if limit is not None else seconds
    live_before = set(world.live())
    walk.begin("time-passes", f"{seconds} s")
    world.emulator.advance(seconds)
    ended = sorted(live_before - set(world.live()))
    held = {
        h.session_id: f"{s.label}/{r}" for s in world.stacks.values() for r, h in s.held.items()
    }
    walk.detail("ended by themselves: " + (", ".join(held.get(i, i) for i in ended) or "none"))
    for session_id in ended:
        world.outside.pop(session_id, None)


def _adopted_lifetime_left(walk: Walk) -> float | None:
    world = walk.world
    records, now = world.by_id(), world.now()
    ends = [
        end_of(records[h.session_id])
        for s in world.stacks.values()
        for h in s.held.values()
        if h.adopted and h.session_id in records
    ]
    known = [e - now for e in ends if e is not None]
    return min(known) if known else None


def step_end_by_hand(walk: Walk, sm: StackModel) -> None:
    """A held session is terminated by hand, and sometimes deleted too."""
    resource = walk.rng.choice(_live_held(walk, sm))
    held = sm.held[resource]
    delete = walk.rng.random() < 0.4
    walk.begin(
        "end-by-hand",
        f"{sm.label}/{resource}: terminate{' and delete' if delete else ''} {held.session_id}",
    )
    end_by_hand(walk, held.session_id, delete=delete)


def end_by_hand(walk: Walk, session_id: str, *, delete: bool) -> None:
    """Terminate a session through the API (and delete it once stopped)."""
    world = walk.world
    world.api_call("POST", f"/sessions/{session_id}/terminate", {})
    world.wait_for(lambda: world.by_id()[session_id]["wire"]["status"] == "stopped")
    if delete:
        world.api_call("DELETE", f"/sessions/{session_id}")


def _kill_when(walk: Walk, run: Any, route: str, count: int) -> bool:
    """Kill ``run`` once ``count`` more requests reached ``route``; False if it ended first."""
    world = walk.world
    start = world.counter(route)
    reached = world.wait_for(lambda: world.counter(route) >= start + count, run)
    if reached and walk.rng.random() < 0.3:
        time.sleep(walk.rng.uniform(0.1, 2.0))  # sometimes a little later: other moments
    return reached and run.poll() is None


def kill_up(walk: Walk, sm: StackModel) -> bool:
    """Change the program so that the up creates, run it, kill -9 it amid the creates,
    ``pulumi cancel``; True if the kill landed before the run ended."""
    world = walk.world
    changes = mutate(walk, sm, 1)
    creates = [r for r, ops in expected_ops(walk, sm).items() if ops & {"create", "replace"}]
    while not creates and len(changes) < 4:
        changes += mutate(walk, sm, 1)
        creates = [r for r, ops in expected_ops(walk, sm).items() if ops & {"create", "replace"}]
    posts = walk.rng.randint(1, max(1, len(creates)))
    walk.detail("; ".join(changes) + f"; kill -9 after {posts} create POST(s)")
    world.write_program(sm)
    world.emulator.configure(start_delay=KILL_START_DELAY)
    try:
        run = world.start_detached(sm, "up")
        killed = _kill_when(walk, run, CREATE, posts)
        outcome = world.finish_detached(run, kill=killed)
    finally:
        world.emulator.configure(**BASE_DELAYS)
    world.pulumi(sm, "cancel", "--yes")
    world.resync(sm)
    walk.detail("killed" if killed else f"the run ended first ({'ok' if outcome.ok else 'failed'})")
    return killed


def accept_kill_ambiguity(walk: Walk, sm: StackModel, made_before: set[str]) -> None:
    """Sessions a killed run made that no state holds and that carry no creating tag.

    Derived from the stack's keys: a create returned but the engine never wrote its
    checkpoint, the one ambiguity docs/provider.md documents (kept running until its
    max_idle_duration); recorded as left on purpose. With a given deduplication_id: no
    creating tag is ever put on it, so nothing can find it (W1).
    """
    world = walk.world
    records = world.by_id()
    held = {i for s in world.stacks.values() for i in world.held_ids(s).values()}
    given = {d.deduplication_id for d in sm.program.values() if d.deduplication_id}
    for session_id, record in world.live().items():
        if (
            session_id in made_before
            or session_id in held
            or found_by_leftover_finder(record["wire"])
        ):
            continue
        dedup = record["wire"]["deduplication_id"]
        keys = [sm.resource_key(r) for r in set(sm.program) | set(sm.held)]
        if any(world.derives_from(dedup, key, records) for key in keys):
            world.abandoned[session_id] = "documented ambiguity: killed between a create's "
            world.abandoned[session_id] += "return and its checkpoint"
            walk.detail(f"documented ambiguity met: {session_id} created, never checkpointed")
        elif dedup in given or dedup.startswith(f"walk-{sm.label}-"):
            if walk.enabled("killed-given-id-create"):
                raise CheckFailedError(
                    "killed-given-id-create",
                    f"the killed up left session {session_id} (given deduplication_id "
                    f"{dedup!r}) live, in no state and without the creating tag",
                )
            world.abandoned[session_id] = "W1: a killed create of a given deduplication_id"
            walk.detail(f"W1 met: {session_id} ({dedup}) left untagged by the killed create")


def _killed_up(walk: Walk, sm: StackModel, kind: str) -> None:
    """The start of a kill step: up killed amid creates, cancelled, invariants checked."""
    world = walk.world
    walk.begin(kind, sm.label)
    made_before = set(world.by_id())
    kill_up(walk, sm)
    accept_kill_ambiguity(walk, sm, made_before)
    world.check()


def step_kill_up(walk: Walk, sm: StackModel) -> None:
    """kill -9 of ``up`` amid creates, ``pulumi cancel``, then ``up`` again (README)."""
    world = walk.world
    _killed_up(walk, sm, "kill-up")
    if walk.rng.random() < 0.3:
        walk.detail("then the declaration changes again: " + "; ".join(mutate(walk, sm, 1)))
        world.write_program(sm)
    up(walk, sm)
    outcome = world.run(sm, "refresh", clear_pending_creates=True)
    if not outcome.ok or world.state(sm).get("pending_operations"):
        raise CheckFailedError(
            "pending-creates-cleared", f"stack {sm.label}:\n{outcome.text[-3000:]}"
        )


def step_kill_then_destroy(walk: Walk, sm: StackModel) -> None:
    """kill -9 of ``up`` amid creates, ``pulumi cancel``, then ``pulumi destroy``."""
    _killed_up(walk, sm, "kill-then-destroy")
    destroy(walk, sm)


def step_kill_destroy(walk: Walk, sm: StackModel) -> None:
    """kill -9 of ``destroy`` amid deletes, ``pulumi cancel``, ``destroy`` again."""
    world = walk.world
    count = len(sm.held)
    terminates = walk.rng.randint(1, count)
    walk.begin("kill-destroy", f"{sm.label}: kill -9 after {terminates} terminate(s) of {count}")
    world.emulator.configure(stop_delay=2.0)
    try:
        run = world.start_detached(sm, "destroy")
        killed = _kill_when(walk, run, TERMINATE, terminates)
        world.finish_detached(run, kill=killed)
    finally:
        world.emulator.configure(**BASE_DELAYS)
    world.pulumi(sm, "cancel", "--yes")
    walk.detail("killed" if killed else "the run ended first")
    world.resync(sm)
    world.check()
    destroy(walk, sm)


def step_short_outage(walk: Walk, sm: StackModel) -> None:
    """An up while the API is away for a moment: the client's retries ride it out."""
    world = walk.world
    changes = mutate(walk, sm, walk.rng.choice([1, 2]))
    kind = walk.rng.choice(["503", "down"])
    after_requests = walk.rng.randint(1, 6)
    walk.begin(
        "short-outage",
        f"{sm.label}: "
        + "; ".join(changes)
        + f"; API {kind} for {SHORT_OUTAGE:g} s after {after_requests} request(s)",
    )
    world.write_program(sm)

    def run(options: dict[str, Any]) -> Outcome:
        with world.outage(kind, SHORT_OUTAGE, ("", after_requests)):
            return world.run(sm, "up", **options)

    up(walk, sm, outcome_of=run)


def step_long_outage(walk: Walk, sm: StackModel) -> None:
    """An up while the API is away longer than the retries; what it says must be true,
    and what it leaves must be found (then, sometimes, destroy at once)."""
    world = walk.world
    changes = mutate(walk, sm, 1)
    while (
        not any(o & {"create", "replace"} for o in expected_ops(walk, sm).values())
        and len(changes) < 4
    ):
        changes += mutate(walk, sm, 1)
    kind = walk.rng.choice(["503", "down"])
    then_destroy = walk.rng.random() < 0.5
    walk.begin(
        "long-outage",
        f"{sm.label}: "
        + "; ".join(changes)
        + f"; API {kind} for {LONG_OUTAGE:g} s from the first create"
        + ("; then destroy" if then_destroy else ""),
    )
    world.write_program(sm)
    # From the first create's POST (counted as it arrives, so it may go unanswered).
    with world.outage(kind, LONG_OUTAGE, (CREATE, 1)):
        outcome = world.run(sm, "up")
    _check_claims(walk, outcome)
    world.resync(sm)
    walk.detail(f"up {'succeeded' if outcome.ok else 'failed'}")
    if then_destroy:
        world.check()
        destroy(walk, sm)


def _check_claims(walk: Walk, outcome: Outcome) -> None:
    """A session the output says was terminated must not be live."""
    live = walk.world.live()
    for session_id in TERMINATED_CLAIM.findall(outcome.text):
        if session_id in live:
            raise CheckFailedError(
                "long-outage",
                f"the output says session {session_id} 'was terminated so that nothing is "
                f"left running', yet it is {live[session_id]['wire']['status']}",
            )


def step_outage_during_wait(walk: Walk, sm: StackModel) -> None:
    """An outage shorter than create_timeout while creates wait for running: up succeeds."""
    world = walk.world
    changes = mutate(walk, sm, 1)
    creates = [r for r, o in expected_ops(walk, sm).items() if o & {"create", "replace"}]
    while not creates and len(changes) < 4:
        changes += mutate(walk, sm, 1)
        creates = [r for r, o in expected_ops(walk, sm).items() if o & {"create", "replace"}]
    kind = walk.rng.choice(["503", "down"])
    seconds = LONG_OUTAGE  # longer than one call's retries, far shorter than create_timeout
    walk.begin(
        "outage-during-wait",
        f"{sm.label}: "
        + "; ".join(changes)
        + f"; API {kind} for {seconds:g} s once {len(creates)} create(s) wait",
    )
    world.write_program(sm)
    world.emulator.configure(start_delay=seconds + 10)
    try:

        def run(options: dict[str, Any]) -> Outcome:
            # Once every create was POSTed and a wait has polled: they wait for running.
            with world.outage(kind, seconds, (CREATE, len(creates)), (GET_SESSION, 1)):
                return world.run(sm, "up", **options)

        up(walk, sm, outcome_of=run)
    finally:
        world.emulator.configure(**BASE_DELAYS)


def step_concurrent_ups(walk: Walk, _sm: StackModel) -> None:
    """Two CI jobs: the same project and stack names on two backends, ``up`` at once."""
    world = walk.world
    first, second = world.stacks["A"], world.stacks["B"]
    resource = next(
        f"r{i}" for i in range(10) if f"r{i}" not in first.program and f"r{i}" not in second.program
    )
    decl = new_decl(walk).but(deduplication_id=None)
    gap = round(walk.rng.uniform(0.5, 4.0), 1)
    walk.begin(
        "concurrent-ups", f"A and B add {resource} {describe(decl)}; up A, up B {gap} s later"
    )
    for sm in (first, second):
        sm.program[resource] = decl
        world.write_program(sm)
    world.emulator.configure(start_delay=6.0)
    try:
        run_a = world.start_detached(first, "up")
        time.sleep(gap)
        run_b = world.start_detached(second, "up")
        outcomes = [
            world.finish_detached(run_a, kill=False),
            world.finish_detached(run_b, kill=False),
        ]
    finally:
        world.emulator.configure(**BASE_DELAYS)
    for sm, outcome in zip((first, second), outcomes, strict=True):
        world.resync(sm)
        if not outcome.ok:
            raise CheckFailedError(
                "concurrent-ups", f"stack {sm.label}: up failed:\n{outcome.text[-3000:]}"
            )
    for sm in (first, second):
        world.settle(sm, None)


def step_adopt_managed(walk: Walk, sm: StackModel) -> None:
    """Declare ``session_id=`` of a session another stack manages: refused at preview."""
    world = walk.world
    owner = walk.rng.choice(
        sorted(s for s in world.stacks if s != sm.label and _live_held(walk, world.stacks[s]))
    )
    other = world.stacks[owner]
    theirs = walk.rng.choice(_live_held(walk, other))
    session_id = other.held[theirs].session_id
    resource = next(f"r{i}" for i in range(10) if f"r{i}" not in sm.program)
    walk.begin(
        "adopt-managed",
        f"{sm.label} adds {resource} adopting {owner}/{theirs}'s session {session_id}",
    )
    sm.program[resource] = Decl(
        platform=other.program[theirs].platform if theirs in other.program else PLATFORMS[0],
        session_id=session_id,
    )
    world.write_program(sm)
    made = len(world.sessions())
    outcome = world.run(sm, "up")
    del sm.program[resource]
    world.write_program(sm)
    if outcome.ok:
        world.resync(sm)
        raise CheckFailedError(
            "adopt-managed", f"{sm.label} adopted {session_id}, which {owner}/{theirs} manages"
        )
    if len(world.sessions()) != made or world.held_ids(sm).get(resource):
        raise CheckFailedError(
            "adopt-managed", f"the refused adoption changed something:\n{outcome.text[-2000:]}"
        )
    walk.detail("refused: " + outcome.text.strip().splitlines()[-1][:200])


def step_state_delete(walk: Walk, sm: StackModel) -> None:
    """``pulumi state delete`` of a Session, then ``up``: the session left is named (or held)."""
    world = walk.world
    resource = walk.rng.choice(_live_held(walk, sm, adopted=None))
    session_id = sm.held[resource].session_id
    walk.begin(
        "state-delete", f"{sm.label}: pulumi state delete {resource} ({session_id}), then up"
    )
    done = world.pulumi(sm, "state", "delete", sm.urn(resource), "--yes")
    if done.returncode != 0:
        raise CheckFailedError("state-delete-succeeds", done.stderr[-2000:])
    del sm.held[resource]
    world.abandoned[session_id] = f"pulumi state delete of {sm.label}/{resource}"
    outcome = world.run(sm, "up")
    if not outcome.ok:
        raise CheckFailedError(
            "up-succeeds",
            f"stack {sm.label}: up after state delete failed:\n{outcome.text[-3000:]}",
        )
    again = world.held_ids(sm).get(resource) == session_id
    if again:
        world.abandoned.pop(session_id)
        world.ever_held.discard(session_id)
    elif session_id not in outcome.text:
        raise CheckFailedError(
            "state-delete",
            f"the up after state delete made another session for {sm.label}/{resource} and "
            f"said nothing of the live session {session_id} it left",
        )
    world.settle(sm, None)
    if not again:
        walk.detail(f"told of {session_id}; ended by hand, as told")
        end_by_hand(walk, session_id, delete=False)


def step_shorten_below_run(walk: Walk, sm: StackModel) -> None:
    """``max_duration`` set below the time a session has already run."""
    world = walk.world
    resource = walk.rng.choice(_live_held(walk, sm))
    held = sm.held[resource]
    walk.begin("shorten-below-run", f"{sm.label}/{resource}: clock +1000 s, then max_duration 900s")
    world.emulator.advance(1000)
    sm.program[resource] = sm.program[resource].but(max_dur=(900, 900))
    world.write_program(sm)
    outcome = world.run(sm, "up")
    if not outcome.ok:
        raise CheckFailedError("up-succeeds", outcome.text[-3000:])
    op = outcome.op(sm.urn(resource))
    live = world.live()
    ids = world.held_ids(sm)
    if ids.get(resource) not in live and held.session_id not in outcome.text:
        raise CheckFailedError(
            "shorten-below-run",
            f"{sm.label}/{resource}: the up planned {op!r}, said nothing of session "
            f"{held.session_id} ending, and left it {status_of(world, held.session_id)}",
        )
    world.settle(sm, None)


def step_adopted_ends(walk: Walk, sm: StackModel) -> None:
    """An adopted session ends (by hand), then ``up``: replaced like any other Session."""
    resource = walk.rng.choice(_live_held(walk, sm, adopted=True))
    held = sm.held[resource]
    walk.begin(
        "adopted-ends", f"{sm.label}/{resource}: {held.session_id} terminated by hand, then up"
    )
    end_by_hand(walk, held.session_id, delete=False)
    _up_then_stable(walk, sm, resource)


def step_adopted_replace_only(walk: Walk, sm: StackModel) -> None:
    """A replace-only input added to an adopted Session, then ``up``: a replacement."""
    world = walk.world
    resource = walk.rng.choice(_live_held(walk, sm, adopted=True))
    sm.program[resource] = with_parameters(walk, sm.program[resource])
    walk.begin(
        "adopted-replace-only",
        f"{sm.label}/{resource}: parameters -> "
        + describe_field(sm.program[resource], "parameters"),
    )
    world.write_program(sm)
    _up_then_stable(walk, sm, resource)


def _up_then_stable(walk: Walk, sm: StackModel, resource: str) -> None:
    world = walk.world
    outcome = world.run(sm, "up")
    if not outcome.ok:
        world.resync(sm)
        raise CheckFailedError(walk.kind, f"up failed:\n{outcome.text[-3000:]}")
    plan = world.run(sm, "preview")
    if not plan.ok or plan.op(sm.urn(resource)) != "same":
        world.resync(sm)
        raise CheckFailedError(
            walk.kind, f"after the up, a preview plans {plan.op(sm.urn(resource))!r} for {resource}"
        )
    # The program keeps naming the old session; docs: removing session_id changes nothing.
    sm.program[resource] = sm.program[resource].but(session_id=None)
    world.write_program(sm)
    world.settle(sm, None)


def step_replace_adopted(walk: Walk, sm: StackModel) -> None:
    """``pulumi up --replace`` of an adopted Session: a fresh session, or a clear refusal."""
    world = walk.world
    resource = walk.rng.choice(_live_held(walk, sm, adopted=True))
    held = sm.held[resource]
    walk.begin(
        "replace-adopted", f"{sm.label}: up --replace {resource} (adopted {held.session_id})"
    )
    outcome = world.run(sm, "up", replace=[sm.urn(resource)])
    ids = world.held_ids(sm)
    live = world.live()
    if outcome.ok:
        if ids.get(resource) not in live or ids.get(resource) == held.session_id:
            world.resync(sm)
            raise CheckFailedError(
                "replace-adopted",
                f"{sm.label}/{resource}: after up --replace the state holds {ids.get(resource)} "
                f"({status_of(world, ids.get(resource) or '')}); "
                f"adopted was {held.session_id}",
            )
        sm.program[resource] = sm.program[resource].but(session_id=None)
        world.write_program(sm)
        world.settle(sm, None)
    elif held.session_id not in live or ids.get(resource) != held.session_id:
        world.resync(sm)
        raise CheckFailedError(
            "replace-adopted",
            f"a refused --replace changed the adopted session:\n{outcome.text[-2000:]}",
        )


def step_shared_deduplication_id(walk: Walk, sm: StackModel) -> None:
    """One given deduplication_id on two Sessions of one stack: refused at check."""
    world = walk.world
    given = f"walk-shared-{walk.token()}"
    free = [f"r{i}" for i in range(10) if f"r{i}" not in sm.program][:2]
    walk.begin(
        "shared-deduplication-id", f"{sm.label}: {free} both declare deduplication_id {given!r}"
    )
    for resource in free:
        sm.program[resource] = new_decl(walk).but(
            deduplication_id=given, platform=PLATFORMS[0], parameters=None, model_id=None
        )
    world.write_program(sm)
    made = len(world.sessions())
    outcome = world.run(sm, "up")
    for resource in free:
        del sm.program[resource]
    world.write_program(sm)
    if outcome.ok or len(world.sessions()) != made:
        world.resync(sm)
        raise CheckFailedError(
            "shared-deduplication-id",
            f"two Sessions with one deduplication_id were not refused:\n{outcome.text[-2000:]}",
        )
    if "deduplication_id" not in outcome.text:
        raise CheckFailedError(
            "shared-deduplication-id",
            f"refused without naming deduplication_id:\n{outcome.text[-2000:]}",
        )


def step_secret_bad_input(walk: Walk, sm: StackModel) -> None:
    """A secret input check refuses: the failure never prints it."""
    world = walk.world
    field_, value = walk.rng.choice(
        [
            ("tags", ["pulumi-qpu:creating-" + walk.secret("x")]),
            ("session_id", "not-a-uuid-" + walk.secret("x")),
            ("platform_name", "EMU-" + walk.secret("x")),
            ("project_id", "project-" + walk.secret("x")),
            ("name", "x" * 300 + walk.secret("x")),
        ]
    )
    resource = next(f"r{i}" for i in range(10) if f"r{i}" not in sm.program)
    walk.begin("secret-bad-input", f"{sm.label}: add {resource} with a secret, refused {field_}")
    made = len(world.sessions())
    outcome = world.run_with_extra(sm, resource, field_, value)
    world.write_program(sm)
    if outcome.ok or len(world.sessions()) != made:
        world.resync(sm)
        raise CheckFailedError("secret-bad-input", f"a bad {field_} was accepted")


def step_move_credentials(walk: Walk, sm: StackModel) -> None:
    """The stack moves to another key and project, then ``up``."""
    _other_credentials(walk, sm, only_key=False)


def step_change_key(walk: Walk, sm: StackModel) -> None:
    """The stack's key changes to one that cannot see its project, then ``preview``."""
    _other_credentials(walk, sm, only_key=True)


def _other_credentials(walk: Walk, sm: StackModel, *, only_key: bool) -> None:
    """A session the old key made is not gone because the new key cannot see it: ``up``
    must not report its delete unless it happened, nor plan replacing it only for that."""
    from pulumi import automation as auto

    world = walk.world
    emulator = world.emulator
    before = world.held_ids(sm)
    walk.begin(
        "change-key" if only_key else "move-credentials",
        f"{sm.label}: qpu:secretKey{'' if only_key else ' and qpu:projectId'} of another "
        f"tenant, then {'preview' if only_key else 'up'}",
    )
    config = {"qpu:secretKey": auto.ConfigValue(emulator.other_secret_key, secret=True)}
    if not only_key:
        config["qpu:projectId"] = auto.ConfigValue(emulator.other_project_id)
    sm.stack.set_all_config(config)
    try:
        if only_key:
            plan = world.run(sm, "preview")
            replaced = [r for r in before if plan.op(sm.urn(r)) == "replace"]
            if plan.ok and replaced:
                raise CheckFailedError(
                    "move-credentials",
                    f"only the key changed, and preview plans replacing the live {replaced}",
                )
        else:
            outcome = world.run(sm, "up")
            live = world.live()
            silent = [i for i in before.values() if i in live and i not in outcome.text]
            if outcome.ok and silent:
                raise CheckFailedError(
                    "move-credentials",
                    f"up succeeded after the move; the old sessions {silent} still run in the "
                    "old project and the output says nothing of them",
                )
    finally:
        # Start this stack afresh: its state may hold sessions of either tenant.
        for key in config:
            sm.stack.remove_config(key)
        held = {i for s in world.stacks.values() if s is not sm for i in world.held_ids(s).values()}
        ours = set(before.values()) | set(world.held_ids(sm).values())
        for session_id, record in world.live().items():
            mine = session_id in ours or record["wire"]["project_id"] == emulator.other_project_id
            if mine and session_id not in held:
                world.end(session_id, record)
        world.empty(sm)


def step_retain_replacements(walk: Walk, sm: StackModel) -> None:
    """A Session with ``retain_on_delete`` replaced 6 times: each replacement leaves the old
    session running (the user's choice); an up that cannot go on names what to end."""
    world = walk.world
    resource = next(f"r{i}" for i in range(10) if f"r{i}" not in sm.program)
    sm.program[resource] = new_decl(walk).but(retain_on_delete=True, deduplication_id=None)
    walk.begin(
        "retain-replacements", f"{sm.label}: add {resource} with retain_on_delete, 6 x up --replace"
    )
    world.write_program(sm)
    up(walk, sm)
    retained: list[str] = []
    for _ in range(6):
        old = sm.held[resource].session_id
        try:
            up(walk, sm, replace=[resource])
        except CheckFailedError as failure:
            if failure.check != "up-succeeds":
                raise
            unnamed = [i for i in retained if i not in failure.message]
            world.resync(sm)
            if unnamed:
                raise CheckFailedError(
                    "retain-replacements",
                    f"after {len(retained)} replacements up fails naming none of the retained "
                    f"sessions {unnamed} to end:\n{failure.message[-1500:]}",
                ) from None
            break
        retained.append(old)
        world.abandoned[old] = "retain_on_delete: left running by the user's choice"
    # The user ends what they retained, and removes the Session.
    for session_id in [*retained, sm.held[resource].session_id]:
        if session_id in world.live():
            end_by_hand(walk, session_id, delete=False)
    del sm.program[resource]
    world.write_program(sm)
    up(walk, sm)


# --- the walk -----------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """A step kind: how often, on which stacks, and what it does."""

    weight: int
    applies: Callable[[Walk, StackModel], bool]
    run: Callable[[Walk, StackModel], None]
    whole_world: bool = False


def _has_adopted(walk: Walk, sm: StackModel) -> bool:
    return sm.settled and bool(_live_held(walk, sm, adopted=True))


KINDS: Final[dict[str, Kind]] = {
    "up": Kind(30, lambda w, s: True, step_up),
    "up-replace": Kind(6, lambda w, s: s.settled and bool(_replaceable(s)), step_replace),
    "up-target": Kind(
        5, lambda w, s: s.settled and any(r in s.program for r in s.held), step_target
    ),
    "preview": Kind(5, lambda w, s: s.settled, step_preview),
    "refresh": Kind(6, lambda w, s: True, step_refresh),
    "destroy": Kind(4, lambda w, s: bool(s.held), step_destroy),
    "adopt": Kind(
        5,
        lambda w, s: (
            s.settled
            and (len(s.program) < MAX_RESOURCES or any(h.adopted for h in s.held.values()))
        ),
        step_adopt,
    ),
    "edit-by-hand": Kind(4, lambda w, s: bool(_live_held(w, s, adopted=None)), step_edit_by_hand),
    "time-passes": Kind(4, lambda w, s: s.label == "A", step_time_passes, whole_world=True),
    "end-by-hand": Kind(5, lambda w, s: bool(_live_held(w, s)), step_end_by_hand),
    "kill-up": Kind(4, lambda w, s: True, step_kill_up),
    "kill-destroy": Kind(3, lambda w, s: len(s.held) >= 2, step_kill_destroy),
    "short-outage": Kind(4, lambda w, s: True, step_short_outage),
    # waiting for a defect of issue 15 (WAITING): the soak runs them
    "replace-adopted": Kind(3, _has_adopted, step_replace_adopted),
    "concurrent-ups": Kind(
        3,
        lambda w, s: (
            s.label == "A"
            and "B" in w.world.stacks
            and len(s.program) < MAX_RESOURCES
            and len(w.world.stacks["B"].program) < MAX_RESOURCES
        ),
        step_concurrent_ups,
        whole_world=True,
    ),
    "adopt-managed": Kind(
        3,
        lambda w, s: (
            len(s.program) < MAX_RESOURCES
            and any(o is not s and _live_held(w, o) for o in w.world.stacks.values())
        ),
        step_adopt_managed,
    ),
    "long-outage": Kind(2, lambda w, s: True, step_long_outage),
    "outage-during-wait": Kind(2, lambda w, s: True, step_outage_during_wait),
    "kill-then-destroy": Kind(3, lambda w, s: True, step_kill_then_destroy),
    "state-delete": Kind(
        3, lambda w, s: s.settled and bool(_live_held(w, s, adopted=None)), step_state_delete
    ),
    "shorten-below-run": Kind(
        2,
        lambda w, s: (
            s.settled
            and bool(_live_held(w, s))
            and not any(h.adopted for o in w.world.stacks.values() for h in o.held.values())
        ),
        step_shorten_below_run,
    ),
    "adopted-ends": Kind(3, _has_adopted, step_adopted_ends),
    "adopted-replace-only": Kind(2, _has_adopted, step_adopted_replace_only),
    "move-credentials": Kind(
        2, lambda w, s: s.settled and bool(_live_held(w, s, adopted=None)), step_move_credentials
    ),
    "change-key": Kind(
        2, lambda w, s: s.settled and bool(_live_held(w, s, adopted=None)), step_change_key
    ),
    "retain-replacements": Kind(
        2, lambda w, s: s.settled and len(s.program) < MAX_RESOURCES, step_retain_replacements
    ),
    "shared-deduplication-id": Kind(
        2, lambda w, s: len(s.program) <= MAX_RESOURCES - 2, step_shared_deduplication_id
    ),
    "secret-bad-input": Kind(2, lambda w, s: len(s.program) < MAX_RESOURCES, step_secret_bad_input),
}
"""Every step kind; ``time-passes`` and ``concurrent-ups`` act on the whole world."""


def choose(walk: Walk) -> tuple[str, StackModel]:
    """The next step: a kind by weight among those that apply, then one of its stacks."""
    stacks = [walk.world.stacks[label] for label in sorted(walk.world.stacks)]
    options = {
        name: [s for s in stacks if kind.applies(walk, s)]
        for name, kind in KINDS.items()
        if walk.enabled(name) and (not walk.only or name in walk.only)
    }
    options = {name: found for name, found in options.items() if found}
    names = sorted(options)
    # A kind not taken yet comes first more often, so that even a short walk covers most.
    untaken = [n for n in names if not walk.counts.get(n)]
    if untaken and walk.rng.random() < 0.6:
        name = walk.rng.choice(untaken)
    else:
        name = walk.rng.choices(names, weights=[KINDS[n].weight for n in names])[0]
    return name, walk.rng.choice(options[name])


def take_step(walk: Walk) -> None:
    """Choose and run one step, then check every invariant."""
    name, sm = choose(walk)
    walk.kind = name
    started = time.monotonic()
    KINDS[name].run(walk, sm)
    walk.world.check()
    walk.detail(f"({time.monotonic() - started:.0f} s, invariants hold)")


def finish(walk: Walk) -> None:
    """The last step: destroy every stack; nothing is left running but what the walk left."""
    world = walk.world
    walk.begin("finish", "destroy every stack")
    for label in sorted(world.stacks):
        destroy(walk, world.stacks[label])
    world.check()
