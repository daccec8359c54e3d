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
    # step kinds
    "replace-adopted": ("#2",),  # up --replace of an adopted Session
    "adopt-managed": ("#4",),  # session_id= of a session another stack manages
    "move-credentials": ("#7",),  # qpu:secretKey and qpu:projectId of another tenant, then up
    "change-key": ("#7",),  # qpu:secretKey of another tenant, then preview
    "state-delete": ("#8",),  # pulumi state delete, then up (after a replacement: not named)
    "shorten-below-run": ("#10",),  # max_duration below the time already run
    "adopted-ends": ("#11",),  # an adopted session ends (by hand, by destroy), then up
    "adopted-replace-only": ("#11",),  # a replace-only input added to an adopted Session
    # checks, and what declarations may hold
    "killed-given-id-create": ("W1",),  # a killed create of a given deduplication_id: untagged
    "secret-left-out": ("W2",),  # a secret name or tags left out of the declaration
}
