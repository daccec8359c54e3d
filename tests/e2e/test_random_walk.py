"""Random sequences of a user's steps, through the real CLI, hunting for lost, duplicated,
leaked or corrupted sessions.

A seeded random walk (tests/e2e/walk/), once per front door (the dynamic provider and the
``qpu`` plugin: what a door does otherwise by design, tests/e2e/walk/waiting.py's
``DIFFERS``, is left out or expected there), drives three stacks of one program against a
dedicated emulator: ``A`` and ``C`` (stacks ``ci`` and ``dev``) on one file backend, and
``B`` on another backend with the same project and stack names as ``A`` (a second CI
job). Each step is something a user does: ``up`` after random changes (in place,
replace-only, durations, parameters, secrets), ``up --replace``, ``up --target``,
preview, refresh, destroy, adoption of a session made by hand, a change made by hand, the
clock running out sessions, a session ended by hand, ``kill -9`` of ``up`` or ``destroy``
then ``pulumi cancel``, short API outages; and, in the soak, the steps that wait for a
defect of issue 15 (tests/e2e/walk/waiting.py). After every step the
invariants of tests/e2e/walk/world.py are checked against the emulator's own records.

``make test`` runs the bounded walk per door (fixed seed, about 3 minutes each on 2
cores). ``make soak SEED=... STEPS=... SCOPE=all`` runs a long one. A failure prints the
seed, the scope and every step taken, and the command that replays it.
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.walk.kinds import finish, take_step
from tests.e2e.walk.model import SECRET_MARK
from tests.e2e.walk.steps import BASE_DELAYS, Walk
from tests.e2e.walk.world import CheckFailedError, World
from tests.support.cli import RealEngine, find_cli
from tests.support.emulator import EmulatorFactory
from tests.support.front_door import FrontDoor

pytestmark = [pytest.mark.e2e]

BOUNDED_SEED = 15
"""The seed of the bounded run in ``make test`` (any seed is a valid walk)."""

BOUNDED_STEPS = 32
"""Steps of the bounded run: about 3 minutes on the 2-core development machine."""

PROJECT = "qpu-walk"
SECRET_VALUE = re.compile(rf"[\w:-]*{SECRET_MARK}-[0-9a-f]{{8}}")


def walk_settings(config: pytest.Config) -> tuple[int, int, str]:
    """Seed, steps and scope from ``--qpu-seed/--qpu-steps/--qpu-scope`` (or QPU_WALK_*)."""
    seed_text = str(config.getoption("--qpu-seed") or "")
    if seed_text == "random":
        seed = random.SystemRandom().randrange(10**6)
    else:
        seed = int(seed_text or BOUNDED_SEED)
    steps = int(config.getoption("--qpu-steps") or BOUNDED_STEPS)
    return seed, steps, str(config.getoption("--qpu-scope"))


@dataclass
class Finding:
    """One thing the walk found: at which step, what broke, what it waits for."""

    step: int
    check: str
    waits: tuple[str, ...]
    text: str
    log: list[str]

    def headline(self) -> str:
        """One paragraph: the step, the check, the defect it waits for, the message."""
        known = f" (known: {', '.join(self.waits)})" if self.waits else " (NEW)"
        return f"step {self.step}: [{self.check}]{known} {self.text}"


def finding_of(walk: Walk, step: int, failure: BaseException) -> Finding:
    """What ``failure`` during step ``step`` means."""
    if isinstance(failure, CheckFailedError):
        check, text = failure.check, failure.message
    else:
        check, text = "harness", "".join(traceback.format_exception(failure))[-4000:]
    waiting = walk.waiting
    waits = waiting.get(check) or waiting.get(walk.kind) or ()
    walk.found.update(name for name in (check, walk.kind) if name in waiting)
    return Finding(step, check, waits, hide_secrets(text), list(walk.log))


def hide_secrets(text: str) -> str:
    """The walk's own report never repeats a secret value either."""
    return SECRET_VALUE.sub("[secret]", text)


def report(findings: list[Finding], seed: int, steps: int, scope: str, door: str) -> str:
    """Every finding, with the steps that led to the last, and how to replay each."""
    lines = [f"random walk (seed {seed}, {steps} steps, scope {scope}, door {door}) found:"]
    for finding in findings:
        lines += [
            finding.headline(),
            f"  replay: make soak SEED={seed} STEPS={finding.step} SCOPE={scope} DOOR={door}",
        ]
    lines += [
        "(#n: issue 15's list; Wn: docs/reliability.md, Defects found by the random walk)",
        f"or: .venv/bin/python -m pytest -q -s tests/e2e/test_random_walk.py --qpu-seed {seed} "
        f"--qpu-steps N --qpu-scope {scope} -k {door}",
        "steps:",
        *findings[-1].log,
    ]
    return hide_secrets("\n".join(lines))


def test_random_sequences_of_user_steps_keep_exactly_one_session_per_resource(
    front_door: FrontDoor,
    cli_dir: Path,
    emulator_factory: EmulatorFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    seed, steps, scope = walk_settings(request.config)
    # The soak records each finding, starts afresh and goes on; the bounded run stops.
    keep_going = os.environ.get("QPU_WALK_KEEP_GOING", "") not in ("", "0")
    # On a state file, so that an outage may stop the process and start it again.
    qpu = emulator_factory(state_file=tmp_path / "qaas.sqlite", log_level="info", **BASE_DELAYS)
    one = RealEngine(find_cli(), qpu, tmp_path / "backend-one")
    two = RealEngine(find_cli(), qpu, tmp_path / "backend-two")
    for real in (one, two):
        front_door.prepare(real, tmp_path / "plugins")
    for key, value in one.env().items():
        if key.startswith("SCW_"):
            monkeypatch.setenv(key, value)

    def say(line: str) -> None:
        print(hide_secrets(line), file=sys.stderr, flush=True)

    world = World(qpu, say)
    # QPU_WALK_KINDS=up,kill-up,...: only those step kinds (to dwell on one area).
    only = frozenset(k for k in os.environ.get("QPU_WALK_KINDS", "").split(",") if k)
    walk = Walk(world, random.Random(seed), scope, slow=keep_going, only=only, door=front_door.name)
    kinds = f", kinds {sorted(only)}" if only else ""
    say(f"random walk: seed {seed}, {steps} steps, scope {scope}, door {front_door.name}{kinds}")
    world.add_stack("A", one, PROJECT, "ci")
    world.add_stack("B", two, PROJECT, "ci")
    world.add_stack("C", one, PROJECT, "dev")
    for sm in world.stacks.values():
        world.write_program(sm)
    findings: list[Finding] = []
    started = time.monotonic()
    for number in range(steps + 1):
        walk.number = number + 1
        try:
            finish(walk) if number == steps else take_step(walk)
        except Exception as failure:  # every failure is a finding, the harness's too
            findings.append(finding_of(walk, min(walk.number, steps), failure))
            say(f"FOUND {findings[-1].headline()}")
            if not keep_going:
                break
            world.recover(BASE_DELAYS)
            say("(fresh start: every stack emptied, every session ended)")
    counts = ", ".join(f"{k} {n}" for k, n in sorted(walk.counts.items()))
    minutes = (time.monotonic() - started) / 60
    say(
        f"random walk: seed {seed}, {steps} steps in {minutes:.1f} min, scope {scope}, "
        f"door {front_door.name}"
    )
    say(f"step kinds: {counts}")
    live = world.live()
    left = {i: why for i, why in world.abandoned.items() if i in live}
    say(f"findings: {len(findings)}; left running on purpose: {left or 'nothing'}")
    record = os.environ.get("QPU_WALK_REPORT")
    if record:
        with open(record, "a", encoding="utf-8") as out:
            summary = {
                "seed": seed,
                "steps": steps,
                "scope": scope,
                "door": front_door.name,
                "minutes": round(minutes, 1),
                "kinds": walk.counts,
                "findings": [
                    {"step": f.step, "check": f.check, "waits": f.waits, "text": f.text[:600]}
                    for f in findings
                ],
            }
            out.write(json.dumps(summary) + "\n")
    if findings:
        pytest.fail(report(findings, seed, steps, scope, front_door.name), pytrace=False)
