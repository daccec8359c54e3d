"""What waits for a defect: the step kinds, declarations and checks the bounded run leaves out.

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
