"""Look up a platform by name, list existing sessions, adopt one into the stack.

Config:
  ``platform``         default EMU-AER-16C-128M.
  ``adoptSessionId``   optional: an existing live session on that platform to take
                       over (``pulumi import`` cannot work for dynamic resources; this
                       is pulumi-qpu's way). From then on the stack manages it: a tag
                       change updates it, ``pulumi destroy`` ends it.
"""

from collections import Counter

import pulumi

from pulumi_qpu import Session, get_platform, list_sessions

LIVE = ("starting", "running")

config = pulumi.Config()
platform = get_platform(name=config.get("platform") or "EMU-AER-16C-128M")

pulumi.export("platform_id", platform.id)
pulumi.export("platform_qubits", platform.max_qubit_count)
pulumi.export(
    "platform_price_per_hour",
    platform.price_per_hour.model_dump(mode="json") if platform.price_per_hour else None,
)

existing = list_sessions(platform_id=platform.id)
# Only live sessions can be adopted; the stopped ones (most of a project's history) are
# counted, not listed.
pulumi.export(
    "live_sessions",
    {s.id: {"name": s.name, "status": str(s.status)} for s in existing if s.status in LIVE},
)
pulumi.export("session_counts", dict(Counter(str(s.status) for s in existing)))

adopt = config.get("adoptSessionId")
if adopt:
    adopted = Session(
        "adopted",
        session_id=adopt,
        platform_id=platform.id,
        tags=config.get_object("tags") or ["adopted"],
    )
    pulumi.export("adopted_status", adopted.status)
    pulumi.export("adopted_name", adopted.name)
