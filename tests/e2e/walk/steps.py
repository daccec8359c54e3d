"""The walk's steps: what a user does, and what each must do by the docs.

Each step kind draws its details from the walk's seeded generator and the model alone,
logs one line, runs the real CLI, and checks the outcome the docs promise; the world's
invariants are checked after every step (tests/e2e/walk/world.py). The kinds here pass
today; those that wait for a defect are in tests/e2e/walk/defects.py, and
tests/e2e/walk/waiting.py says which.
"""

from __future__ import annotations

import json
import random
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
from tests.e2e.walk.waiting import DIFFERS, waiting_on
from tests.e2e.walk.world import CheckFailedError, Outcome, World, carries_creating_tag

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

TERMINATE: Final = "POST /qaas/v1alpha1/sessions/{session_id}/terminate"
CREATE: Final = "POST /qaas/v1alpha1/sessions"


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
    slow: bool = False
    """Whether the slow step kinds (minutes of API outage) may be taken: the soak's."""
    only: frozenset[str] = frozenset()
    """When not empty: the step kinds the walk may take (the rest are left out)."""
    found: set[str] = field(default_factory=set)
    """Entries of :attr:`waiting` already found in this walk: off for the rest of it, so
    that a known defect is reported once and the walk goes on to others."""
    door: str = "dynamic"
    """The front door the stacks' Sessions go through (tests/support/front_door.py)."""

    @property
    def waiting(self) -> dict[str, tuple[str, ...]]:
        """What waits for a defect on this walk's door (:func:`waiting_on`)."""
        return waiting_on(self.door)

    def enabled(self, name: str) -> bool:
        """Whether a step kind, declaration or check that may wait for a defect is on."""
        if name not in self.waiting:
            return True
        return self.scope == "all" and name not in self.found

    def differs(self, name: str) -> str:
        """Why this walk's door does otherwise for ``name`` by design (:data:`DIFFERS`),
        or "" when it does what the docs of the dynamic provider say."""
        return DIFFERS.get(self.door, {}).get(name, "")

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


def quiet(walk: Walk, sm: StackModel) -> bool:
    """Whether an ``up`` of ``sm`` would change nothing (so a step may count what it makes)."""
    return sm.settled and all(ops <= {"same", "none"} for ops in expected_ops(walk, sm).values())


def why_up_failed(sm: StackModel, otherwise: str) -> str:
    """The check a failed up breaks: W4's when the stack holds an adopted Session renamed
    with an alias (its replacement is refused), else ``otherwise``."""
    renamed = [r for r, d in sm.program.items() if d.session_id and sm.former.get(r)]
    return "renamed-adoption" if renamed else otherwise


def up(
    walk: Walk,
    sm: StackModel,
    *,
    target: list[str] | None = None,
    replace: list[str] | None = None,
    outcome_of: Callable[[dict[str, Any]], Outcome] | None = None,
    accept: dict[str, set[str]] | None = None,
) -> Outcome:
    """Run ``up`` (or ``outcome_of(options)``) and check it did what the docs say
    (``accept``: other steps allowed for some resources)."""
    world = walk.world
    settled = sm.settled
    expected = expected_ops(walk, sm, target=target, replace=replace)
    for resource, also in (accept or {}).items():
        expected[resource] = expected.get(resource, set()) | also
    live_before = world.live()
    # A leftover (tagged, or left untagged: W1) may be taken back instead of a new POST.
    tagged_before = any(
        carries_creating_tag(s["wire"]) or i in world.abandoned for i, s in live_before.items()
    )
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
        check = why_up_failed(sm, "adopted-ends" if dead else "up-succeeds")
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
    adoptions: set[str] = set()  # creates that POST nothing
    for resource, op in touched.items():
        decl, previous = sm.program.get(resource), sm.held.get(resource)
        # A first adoption of a live session holds that session; a replacement of an
        # adopted Session, or a named session that has ended, makes a fresh one (docs).
        adopting = (
            decl is not None
            and decl.session_id in live_before
            and op in ("create", "replace")
            and (previous is None or decl.session_id not in (previous.session_id, previous.named))
        )
        if adopting:
            adoptions.add(resource)
        if adopting and decl is not None and ids.get(resource) != decl.session_id:
            raise CheckFailedError(
                "adoption",
                f"{sm.label}/{resource} declares session_id {decl.session_id}; the "
                f"state holds {ids.get(resource)}",
            )
    world.settle(sm, touched if settled else None, full=target is None)
    made = len(world.sessions()) - made_before
    creates = sum(1 for a in touched.values() if a in ("create", "replace")) - len(adoptions)
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
    resource = walk.rng.choice(replaceable(walk, sm))
    walk.begin("up-replace", f"{sm.label}: up --replace {resource}")
    up(walk, sm, replace=[resource])


def replaceable(walk: Walk, sm: StackModel) -> list[str]:
    """Resources of ``sm`` that ``up --replace`` may target (held, declared, not adopted;
    on a door where that replacement joins the old session, none of a given
    deduplication_id: ``replace-given-id``)."""
    given_ok = not walk.differs("replace-given-id")
    return sorted(
        r
        for r, h in sm.held.items()
        if not h.adopted and r in sm.program and (given_ok or not sm.program[r].deduplication_id)
    )


def step_target(walk: Walk, sm: StackModel) -> None:
    """Change the program, then ``pulumi up --target`` one Session."""
    changes = mutate(walk, sm, walk.rng.choice([1, 2]), add_remove=False)
    resource = walk.rng.choice(sorted(r for r in sm.held if r in sm.program))
    walk.begin("up-target", f"{sm.label}: " + "; ".join(changes) + f"; up --target {resource}")
    walk.world.write_program(sm)
    up(walk, sm, target=[resource])


def renameable(walk: Walk, sm: StackModel) -> list[str]:
    """Resources ``sm`` may rename: held, declared, with a name free to take (while W4
    waits, none that names a session to adopt)."""
    if not _free_name(sm):
        return []
    adopting_ok = walk.enabled("renamed-adoption")
    return sorted(
        r for r in sm.held if r in sm.program and (adopting_ok or sm.program[r].session_id is None)
    )


def _free_name(sm: StackModel) -> str | None:
    taken = set(sm.program) | set(sm.held)
    return next((f"r{i}" for i in range(10) if f"r{i}" not in taken), None)


def step_rename(walk: Walk, sm: StackModel) -> None:
    """A Session renamed in the program with ``aliases=[old name]``: the same session."""
    world = walk.world
    resource = walk.rng.choice(renameable(walk, sm))
    new = _free_name(sm)
    assert new is not None
    walk.begin("rename", f"{sm.label}: {resource} renamed {new}, aliases=[{resource!r}]")
    sm.program[new] = sm.program.pop(resource).but(alias=resource)
    sm.held[new] = sm.held.pop(resource)
    sm.former[new] = [resource, *sm.former.pop(resource, [])]
    world.write_program(sm)
    # The very session: nothing planned, or an update of the state alone (the stored
    # outputs take the new name).
    up(walk, sm, accept={new: {"update"}})
    # Renamed in the state: the alias has done its work (and would clash with a new
    # Session of the old name).
    sm.program[new] = sm.program[new].but(alias=None)
    world.write_program(sm)


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
    # A door that sweeps leftovers in a Session's delete sweeps nothing without one.
    unswept = walk.differs("destroy-of-no-session")
    if unswept and world.state_sessions(sm):
        unswept = ""
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
    if left and unswept:
        walk.detail(f"left live ({unswept}): {[s['id'] for s in left]}")
        return
    if left and walk.enabled("destroy-leaves-nothing"):
        raise CheckFailedError(
            "destroy-leaves-nothing",
            f"after a successful destroy of {sm.label}, live sessions derived from its "
            "resource keys that no state holds: "
            + "; ".join(f"{s['id']} tags {s['wire']['tags']}" for s in left),
        )
    if left:
        walk.detail(
            f"left live (leftovers, {walk.waiting['destroy-leaves-nothing']}): "
            f"{[s['id'] for s in left]}"
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
    resource = walk.rng.choice(live_held(walk, sm, adopted=None))
    held = sm.held[resource]
    change: dict[str, Any] = (
        {"name": f"by-hand-{walk.token()}"}
        if walk.rng.random() < 0.5
        else {"tags": [f"by-hand-{walk.token()}"]}
    )
    walk.begin("edit-by-hand", f"{sm.label}/{resource}: PATCH {change}")
    world.api_call("PATCH", f"/sessions/{held.session_id}", change)
    held.api.update(change)


def live_held(walk: Walk, sm: StackModel, *, adopted: bool | None = False) -> list[str]:
    """Resources whose held session is live and not about to end (adopted ones only, none,
    or either: ``adopted=None``)."""
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


def step_leftovers(walk: Walk, _sm: StackModel) -> None:
    """``qpu-leftovers`` (a dry run), then ``--end`` if it lists any: it lists exactly the
    live sessions a dead create left (every tagged one, nothing runs now), never one a
    state holds, and ends what it lists, nothing else."""
    world = walk.world
    walk.begin("leftovers", "qpu-leftovers --json, then --end if any")
    live = set(world.live())
    held = {i for s in world.stacks.values() for i in world.held_ids(s).values()} & live
    dead = {i for i, s in world.live().items() if carries_creating_tag(s["wire"])} - held
    dry = world.leftovers("--json")
    listed = _listed(dry)
    if dry.returncode != (1 if listed else 0) or listed != dead:
        raise CheckFailedError(
            "leftovers-lists-what-dead-creates-left",
            f"qpu-leftovers (exit {dry.returncode}) listed {sorted(listed)}; the live "
            f"sessions dead creates left are {sorted(dead)}\n{dry.stderr[-1500:]}",
        )
    if not listed:
        walk.detail("nothing listed")
        return
    ended = world.leftovers("--end", "--json")
    after = set(world.live())
    if ended.returncode != 0 or after & listed or (live - listed) - after:
        raise CheckFailedError(
            "leftovers-ends-what-it-lists",
            f"qpu-leftovers --end (exit {ended.returncode}): still live {sorted(after & listed)}, "
            f"ended besides {sorted((live - listed) - after)}\n{ended.stderr[-1500:]}",
        )
    walk.detail(f"listed and ended {sorted(listed)}")


def _listed(done: Any) -> set[str]:
    try:
        document = json.loads(done.stdout)
    except ValueError:
        raise CheckFailedError(
            "leftovers-json", f"qpu-leftovers --json printed no JSON:\n{done.stdout[-1500:]}"
        ) from None
    return {str(row["session_id"]) for row in document.get("leftovers", [])}


def step_end_by_hand(walk: Walk, sm: StackModel) -> None:
    """A held session is terminated by hand, and sometimes deleted too."""
    resource = walk.rng.choice(live_held(walk, sm))
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
        if session_id in made_before or session_id in held or carries_creating_tag(record["wire"]):
            continue
        dedup = record["wire"]["deduplication_id"]
        keys = sm.all_keys()
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


def killed_up(walk: Walk, sm: StackModel, kind: str) -> None:
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
    killed_up(walk, sm, "kill-up")
    if walk.rng.random() < 0.3:
        walk.detail("then the declaration changes again: " + "; ".join(mutate(walk, sm, 1)))
        world.write_program(sm)
    up(walk, sm)
    outcome = world.run(sm, "refresh", clear_pending_creates=True)
    if not outcome.ok or world.state(sm).get("pending_operations"):
        raise CheckFailedError(
            "pending-creates-cleared", f"stack {sm.label}:\n{outcome.text[-3000:]}"
        )


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
