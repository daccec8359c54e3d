"""One session on an emulator platform, every field exported as a stack output.

Config (all optional): ``platform`` (default EMU-AER-16C-128M), ``team`` (a tag),
``maxIdle`` (default 15m), ``maxDuration`` (default 1h).
"""

import pulumi

from pulumi_qpu import Session

config = pulumi.Config()
team = config.get("team") or "quantum"

session = Session(
    "basic",
    platform_name=config.get("platform") or "EMU-AER-16C-128M",
    name=f"{pulumi.get_stack()}-basic",
    max_idle_duration=config.get("maxIdle") or "15m",
    max_duration=config.get("maxDuration") or "1h",
    tags=[f"team:{team}", "example:basic"],
)

pulumi.export("session_id", session.id)
for field in (
    "name",
    "platform_id",
    "project_id",
    "status",
    "created_at",
    "started_at",
    "updated_at",
    "terminated_at",
    "max_idle_duration",
    "max_duration",
    "waiting_job_count",
    "finished_job_count",
    "tags",
    "deduplication_id",
    "origin_type",
    "origin_id",
    "progress_message",
    "booking_id",
    "model_id",
    "parameters",
):
    pulumi.export(field, getattr(session, field))
