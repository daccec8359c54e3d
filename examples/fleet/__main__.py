"""Sessions on several platforms from stack config, with shared tags.

Config:
  ``fleet``   an object ``{"<key>": {"platform": "<name>", "maxIdle": "10m"}}``
              (default: two emulators). Adding a key creates a session, removing one
              ends it, changing a ``platform`` replaces that session.
  ``tags``    tags every session carries (default ``["fleet"]``); changing them
              updates every session in place.
  ``maxDuration``  applied to every session (default 2h), updated in place.

Exports ``worst_case_cost``, the most the fleet's session hours can cost, per currency,
known at ``pulumi preview``. ``pulumi config set qpu:maxCostPerSession "5 EUR"`` makes a
preview fail for any session whose worst case is above that (docs/cost.md).
"""

import pulumi

from pulumi_qpu import Session, estimate_cost

config = pulumi.Config()
fleet = config.get_object("fleet") or {
    "aer": {"platform": "EMU-AER-16C-128M"},
    "qsim": {"platform": "EMU-QSIM-L40S", "maxIdle": "10m"},
}
shared_tags = config.get_object("tags") or ["fleet"]
max_duration = config.get("maxDuration") or "2h"

sessions = {
    key: Session(
        f"fleet-{key}",
        platform_name=member["platform"],
        name=f"{pulumi.get_stack()}-{key}",
        max_idle_duration=member.get("maxIdle", "15m"),
        max_duration=max_duration,
        tags=[*shared_tags, f"member:{key}"],
    )
    for key, member in sorted(fleet.items())
}

pulumi.export("session_ids", {key: s.id for key, s in sessions.items()})
pulumi.export("platform_ids", {key: s.platform_id for key, s in sessions.items()})
pulumi.export("statuses", {key: s.status for key, s in sessions.items()})
# Price per hour x max_duration of every session, summed per currency: {"EUR": "4.60"}.
pulumi.export("worst_case_cost", estimate_cost(sessions.values()))
