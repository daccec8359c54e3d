"""Every example under examples/ is a complete Pulumi project.

Their flows (up, change, destroy) run through the real Pulumi CLI in
tests/e2e/test_examples.py.
"""

from __future__ import annotations

import re
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("name", ["basic", "fleet", "booking", "lookup"])
def test_every_example_is_a_complete_pulumi_project(name: str) -> None:
    project = EXAMPLES / name
    for part in ("Pulumi.yaml", "__main__.py", "requirements.txt", "README.md"):
        assert (project / part).is_file(), f"examples/{name}/{part} is missing"
    assert f"name: qpu-{name}" in (project / "Pulumi.yaml").read_text()


def test_the_booking_readme_sets_a_slot_the_platform_accepts_whenever_it_is_run() -> None:
    # The README's command, run as written: a slot 1 to 2 hours ahead, never a fixed date
    # that has passed (QPU-GARNET-20PQ books 1 h to 30 days ahead).
    readme = (EXAMPLES / "booking" / "README.md").read_text()
    (command,) = re.findall(r'^pulumi config set slotStart "\$\((.*)\)"$', readme, re.MULTILINE)
    before = datetime.now(timezone.utc)
    printed = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, check=True, timeout=30
    ).stdout.strip()
    after = datetime.now(timezone.utc)
    start = datetime.fromisoformat(printed.replace("Z", "+00:00"))
    assert printed.endswith(":00:00Z")
    assert before + timedelta(hours=1) <= start <= after + timedelta(hours=2)
