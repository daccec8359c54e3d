"""Every step kind, how often and where it applies, and the walk's loop.

A kind not taken yet is drawn first more often, so that a short walk covers most.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from tests.e2e.walk import defects
from tests.e2e.walk.model import StackModel
from tests.e2e.walk.steps import (
    MAX_RESOURCES,
    Walk,
    destroy,
    live_held,
    quiet,
    renameable,
    replaceable,
    step_adopt,
    step_destroy,
    step_edit_by_hand,
    step_end_by_hand,
    step_kill_destroy,
    step_kill_up,
    step_leftovers,
    step_preview,
    step_refresh,
    step_rename,
    step_replace,
    step_short_outage,
    step_target,
    step_time_passes,
    step_up,
)


@dataclass(frozen=True)
class Kind:
    """A step kind: how often, on which stacks, and what it does."""

    weight: int
    applies: Callable[[Walk, StackModel], bool]
    run: Callable[[Walk, StackModel], None]
    slow: bool = False
    """Taken only by the soak (a minute of API outage: too long for the bounded run)."""


def _has_adopted(walk: Walk, sm: StackModel) -> bool:
    return sm.settled and bool(live_held(walk, sm, adopted=True))


KINDS: Final[dict[str, Kind]] = {
    "up": Kind(30, lambda w, s: True, step_up),
    "up-replace": Kind(6, lambda w, s: s.settled and bool(replaceable(w, s)), step_replace),
    "up-target": Kind(
        5, lambda w, s: s.settled and any(r in s.program for r in s.held), step_target
    ),
    "rename": Kind(3, lambda w, s: s.settled and bool(renameable(w, s)), step_rename),
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
    "edit-by-hand": Kind(4, lambda w, s: bool(live_held(w, s, adopted=None)), step_edit_by_hand),
    "time-passes": Kind(4, lambda w, s: s.label == "A", step_time_passes),
    "leftovers": Kind(2, lambda w, s: s.label == "A", step_leftovers),
    "end-by-hand": Kind(5, lambda w, s: bool(live_held(w, s)), step_end_by_hand),
    "kill-up": Kind(4, lambda w, s: True, step_kill_up),
    "kill-destroy": Kind(3, lambda w, s: len(s.held) >= 2, step_kill_destroy),
    "short-outage": Kind(4, lambda w, s: True, step_short_outage),
    # waiting for a defect of issue 15 (WAITING): the soak runs them
    "replace-adopted": Kind(3, _has_adopted, defects.step_replace_adopted),
    "concurrent-ups": Kind(
        3,
        lambda w, s: (
            s.label == "A"
            and "B" in w.world.stacks
            and len(s.program) < MAX_RESOURCES
            and len(w.world.stacks["B"].program) < MAX_RESOURCES
        ),
        defects.step_concurrent_ups,
    ),
    "adopt-managed": Kind(
        3,
        lambda w, s: (
            len(s.program) < MAX_RESOURCES and quiet(w, s) and bool(defects.managed_elsewhere(w, s))
        ),
        defects.step_adopt_managed,
    ),
    "long-outage": Kind(2, lambda w, s: True, defects.step_long_outage, slow=True),
    "outage-during-wait": Kind(2, lambda w, s: True, defects.step_outage_during_wait, slow=True),
    "kill-then-destroy": Kind(3, lambda w, s: True, defects.step_kill_then_destroy),
    "state-delete": Kind(
        3,
        lambda w, s: s.settled and bool(defects.forgettable(w, s)),
        defects.step_state_delete,
    ),
    "shorten-below-run": Kind(
        2,
        lambda w, s: (
            s.settled
            and bool(live_held(w, s))
            and not any(h.adopted for o in w.world.stacks.values() for h in o.held.values())
        ),
        defects.step_shorten_below_run,
    ),
    "adopted-ends": Kind(3, _has_adopted, defects.step_adopted_ends),
    "adopted-replace-only": Kind(2, _has_adopted, defects.step_adopted_replace_only),
    "move-credentials": Kind(
        2,
        lambda w, s: s.settled and bool(live_held(w, s, adopted=None)),
        defects.step_move_credentials,
    ),
    "change-key": Kind(
        2, lambda w, s: s.settled and bool(live_held(w, s, adopted=None)), defects.step_change_key
    ),
    "retain-replacements": Kind(
        2,
        lambda w, s: s.settled and len(s.program) < MAX_RESOURCES,
        defects.step_retain_replacements,
    ),
    "shared-deduplication-id": Kind(
        2, lambda w, s: len(s.program) <= MAX_RESOURCES - 2, defects.step_shared_deduplication_id
    ),
    "secret-bad-input": Kind(
        2,
        lambda w, s: len(s.program) < MAX_RESOURCES and quiet(w, s),
        defects.step_secret_bad_input,
    ),
}
"""Every step kind; ``time-passes`` and ``concurrent-ups`` act on the whole world."""


def choose(walk: Walk) -> tuple[str, StackModel]:
    """The next step: a kind by weight among those that apply, then one of its stacks."""
    stacks = [walk.world.stacks[label] for label in sorted(walk.world.stacks)]
    options = {
        name: [s for s in stacks if kind.applies(walk, s)]
        for name, kind in KINDS.items()
        if walk.enabled(name)
        and (not walk.only or name in walk.only)
        and (walk.slow or not kind.slow)
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
    with walk.world.still():
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
