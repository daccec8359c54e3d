"""The step kinds that reproduce a defect of issue 15 (or one the walk found).

Each sets up the situation the defect describes and asserts the behaviour the issue
demands. While the defect is open its kind waits (tests/e2e/walk/waiting.py): the soak
finds it, the bounded run leaves it out; once fixed, the bounded run covers it.
"""

from __future__ import annotations

import re
import time
from typing import Any, Final

from pulumi_qpu.identity import derived_deduplication_id
from tests.e2e.walk.model import PLATFORMS, Decl, StackModel
from tests.e2e.walk.steps import (
    BASE_DELAYS,
    CREATE,
    Walk,
    describe,
    describe_field,
    destroy,
    end_by_hand,
    expected_ops,
    killed_up,
    live_held,
    mutate,
    new_decl,
    status_of,
    up,
    why_up_failed,
    with_parameters,
)
from tests.e2e.walk.world import CheckFailedError, Outcome

LONG_OUTAGE: Final = 45.0
"""Seconds of a long outage: longer than every attempt of a call can last (about 40 s of
backoff at most), so a call made at its start gives up."""

GET_SESSION: Final = "GET /qaas/v1alpha1/sessions/{session_id}"
TERMINATED_CLAIM = re.compile(
    r"session ([0-9a-f-]{36})\b[^\n]*?it was terminated so that nothing is left running"
)


def step_kill_then_destroy(walk: Walk, sm: StackModel) -> None:
    """kill -9 of ``up`` amid creates, ``pulumi cancel``, then ``pulumi destroy``."""
    killed_up(walk, sm, "kill-then-destroy")
    destroy(walk, sm)


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


def managed_elsewhere(walk: Walk, sm: StackModel) -> list[tuple[str, str]]:
    """(stack, resource) of the live sessions other stacks manage; while W5 waits, none
    created under a given ``deduplication_id`` (nothing marks those as managed)."""
    records = walk.world.by_id()
    found = []
    for label, other in sorted(walk.world.stacks.items()):
        if other is sm:
            continue
        for resource in live_held(walk, other, adopted=None):
            dedup = records[other.held[resource].session_id]["wire"]["deduplication_id"]
            if walk.enabled("adopt-managed-given-id") or dedup.startswith("pulumi-qpu-"):
                found.append((label, resource))
    return found


def step_adopt_managed(walk: Walk, sm: StackModel) -> None:
    """Declare ``session_id=`` of a session another stack manages: refused at preview."""
    world = walk.world
    owner, theirs = walk.rng.choice(managed_elsewhere(walk, sm))
    other = world.stacks[owner]
    session_id = other.held[theirs].session_id
    resource = next(f"r{i}" for i in range(10) if f"r{i}" not in {*sm.program, *sm.held})
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
        dedup = world.by_id()[session_id]["wire"]["deduplication_id"]
        check = "adopt-managed" if dedup.startswith("pulumi-qpu-") else "adopt-managed-given-id"
        raise CheckFailedError(
            check,
            f"{sm.label} adopted {session_id}, which {owner}/{theirs} manages "
            f"(deduplication id {dedup!r})",
        )
    if len(world.sessions()) != made or world.held_ids(sm).get(resource):
        raise CheckFailedError(
            "adopt-managed", f"the refused adoption changed something:\n{outcome.text[-2000:]}"
        )
    walk.detail("refused: " + outcome.text.strip().splitlines()[-1][:200])


def forgettable(walk: Walk, sm: StackModel) -> list[str]:
    """Resources ``state-delete`` may forget: live; while #8 waits for a Session replaced
    before, only one whose session is at the root id of its present name's key (the walk
    of the next create starts there and meets it; not a former name's, after a rename) or
    adopted (the next create sees its adoption tag)."""
    candidates = live_held(walk, sm, adopted=None)
    if walk.enabled("state-delete-after-replacement"):
        return candidates
    records = walk.world.by_id()
    return [
        r
        for r in candidates
        if sm.held[r].adopted
        or records[sm.held[r].session_id]["wire"]["deduplication_id"]
        == derived_deduplication_id(sm.resource_key(r))
    ]


def step_state_delete(walk: Walk, sm: StackModel) -> None:
    """``pulumi state delete`` of a Session, then ``up``: the session left is named (or held)."""
    world = walk.world
    resource = walk.rng.choice(forgettable(walk, sm))
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
            "state-delete-after-replacement",
            f"the up after state delete made another session for {sm.label}/{resource} and "
            f"said nothing of the live session {session_id} it left",
        )
    world.settle(sm, None)
    if not again:
        # As the up says: the command that ends a session no state holds.
        done = world.leftovers("--end", "--force", "--session", session_id)
        if done.returncode != 0 or session_id in world.live():
            raise CheckFailedError(
                "state-delete",
                f"qpu-leftovers --end --force --session {session_id} did not end it "
                f"(exit {done.returncode}):\n{done.stdout[-1000:]}{done.stderr[-1000:]}",
            )
        walk.detail(f"told of {session_id}; ended with qpu-leftovers --end --force, as told")


def step_shorten_below_run(walk: Walk, sm: StackModel) -> None:
    """``max_duration`` set below the time a session has already run."""
    world = walk.world
    resource = walk.rng.choice(live_held(walk, sm))
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
    resource = walk.rng.choice(live_held(walk, sm, adopted=True))
    held = sm.held[resource]
    walk.begin(
        "adopted-ends", f"{sm.label}/{resource}: {held.session_id} terminated by hand, then up"
    )
    end_by_hand(walk, held.session_id, delete=False)
    _up_then_stable(walk, sm, resource)


def step_adopted_replace_only(walk: Walk, sm: StackModel) -> None:
    """A replace-only input added to an adopted Session, then ``up``: a replacement."""
    world = walk.world
    resource = walk.rng.choice(live_held(walk, sm, adopted=True))
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
        check = why_up_failed(sm, walk.kind)
        raise CheckFailedError(check, f"up failed:\n{outcome.text[-3000:]}")
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
    resource = walk.rng.choice(live_held(walk, sm, adopted=True))
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
    outcome = world.run(sm, "up")
    for resource in free:
        del sm.program[resource]
    world.write_program(sm)
    # Check refuses the second of the two; the first may have been created meanwhile.
    held = [r for r in free if r in world.held_ids(sm)]
    world.resync(sm)
    if outcome.ok or len(held) > 1:
        raise CheckFailedError(
            "shared-deduplication-id",
            f"two Sessions with one deduplication_id were not refused (held: {held}):\n"
            + outcome.text[-2000:],
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
    if outcome.ok or resource in world.held_ids(sm) or len(world.sessions()) != made:
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
