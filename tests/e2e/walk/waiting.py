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
