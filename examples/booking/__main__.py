"""A session in a booked slot on a bookable QPU.

The session stays ``starting`` until the slot opens and ends when it closes; ``up``
returns once the booking is accepted (no wait for the slot).

Config:
  ``slotStart``     required, RFC 3339 in UTC; at least one hour ahead on
                    QPU-GARNET-20PQ (the platform's booking requirement). The README
                    sets it to two hours from now, once: it stays in the stack config,
                    since a slot computed at every run would move and replace the session.
  ``slotDuration``  default 1h (15 min to 4 h on QPU-GARNET-20PQ).
  ``platform``      default QPU-GARNET-20PQ; must be bookable.
"""

from datetime import datetime

import pulumi

from pulumi_qpu import Session
from pulumi_qpu.durations import duration_seconds

config = pulumi.Config()
slot_start = datetime.fromisoformat(config.require("slotStart").replace("Z", "+00:00"))
slot_seconds = float(duration_seconds(config.get("slotDuration") or "1h"))
slot_end = slot_start.timestamp() + slot_seconds

session = Session(
    "booked",
    platform_name=config.get("platform") or "QPU-GARNET-20PQ",
    name=f"{pulumi.get_stack()}-booked",
    max_duration=slot_seconds,
    booking_demand={
        "started_at": slot_start.isoformat(),
        "finished_at": datetime.fromtimestamp(slot_end, slot_start.tzinfo).isoformat(),
        "description": "pulumi-qpu booking example",
    },
    tags=["example:booking"],
)

pulumi.export("session_id", session.id)
pulumi.export("status", session.status)
pulumi.export("booking_id", session.booking_id)
