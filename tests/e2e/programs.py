"""Programs shared by the real-engine tests, importable by name (tests/support/cli_driver.py).

Each reads its size and settings from the stack config, so one function serves a test
that kills it midway and the run that follows.
"""

from __future__ import annotations

import pulumi

from tests.support.front_door import session


def fleet() -> None:
    """``count`` Sessions ``s000``... on ``platform`` (config), each exported by name.

    Declared through the stack's door (``front_door``: tests/support/front_door.py).

    Also from the config: ``tag``, ``wait`` (wait_for_running), ``create_timeout``, and
    ``retain`` (the retain_on_delete option).
    """
    config = pulumi.Config()
    count = int(config.get("count") or "3")
    platform = config.get("platform") or "EMU-AER-16C-128M"
    tag = config.get("tag") or "fleet"
    wait = (config.get("wait") or "true") == "true"
    retain = (config.get("retain") or "false") == "true"
    sessions = {
        f"s{i:03d}": session(
            f"s{i:03d}",
            platform_name=platform,
            tags=[tag],
            wait_for_running=wait,
            create_timeout=config.get("create_timeout"),
            opts=pulumi.ResourceOptions(retain_on_delete=retain),
        )
        for i in range(count)
    }
    pulumi.export("ids", {name: session.id for name, session in sessions.items()})
