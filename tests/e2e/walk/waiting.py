"""What waits for a defect: the step kinds, declarations and checks the bounded run leaves
out; and what a front door does otherwise by design (:data:`DIFFERS`).

``#n`` is a defect of issue 15's list, ``Wn`` one the random walk found
(docs/reliability.md, "Defects found by the random walk"). The bounded walk of ``make
test`` leaves each entry out; ``make soak`` (scope ``all``) runs them and reports each
once per walk. **When a defect is fixed, delete its entries**: the bounded run then
covers it, and keeps it fixed.
"""

from __future__ import annotations

from typing import Final

WAITING: Final[dict[str, tuple[str, ...]]] = {
    # pulumi state delete of a Session replaced before (its session not at the root id),
    # then up: the session left is not named
    "state-delete-after-replacement": ("#8",),
    # a killed create of a given deduplication_id: untagged, found by nothing
    "killed-given-id-create": ("W1",),
    # a secret name or tags left out of the declaration: stored in clear
    "secret-left-out": ("W2",),
    # an adopted Session renamed with an alias: its replacement is refused
    "renamed-adoption": ("W4",),
    # a session another stack manages under a given deduplication_id: adoption accepted
    "adopt-managed-given-id": ("W5",),
}

WAITING_ON_DOOR: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "plugin": {
        # parameters given as a dict cross the engine as float64: an integer past 2**53
        # reaches the API as another integer
        "int-parameters": ("W6",),
    },
}
"""What waits for a defect of one front door only (the same rules as :data:`WAITING`)."""


def waiting_on(door: str) -> dict[str, tuple[str, ...]]:
    """Everything that waits for a defect on ``door``: :data:`WAITING` and the door's own."""
    return {**WAITING, **WAITING_ON_DOOR.get(door, {})}


DIFFERS: Final[dict[str, dict[str, str]]] = {
    "plugin": {
        # docs/plugin.md#leftovers: the engine calls no method of the plugin at a destroy
        # of a state holding no Session, so nothing sweeps that stack's leftovers there
        "destroy-of-no-session": "docs/plugin.md#leftovers: nothing sweeps at a destroy "
        "of a state holding no Session",
        # tests/e2e/test_identity.py (strict xfail): --replace skips Diff, so the
        # replacement of a given deduplication_id joins the old session
        "replace-given-id": "test_identity.py's strict xfail: up --replace of a given "
        "deduplication_id joins the old session",
    },
}
"""What a front door does otherwise for a documented reason: per door, a step kind,
declaration or check -> the reason. The walk leaves each out on that door (or expects the
documented outcome) and says so in its log; never a finding."""
