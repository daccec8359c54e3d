"""Every example under examples/ is a complete Pulumi project.

Their flows (up, change, destroy) run through the real Pulumi CLI in
tests/e2e/test_examples.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("name", ["basic", "fleet", "booking", "lookup"])
def test_every_example_is_a_complete_pulumi_project(name: str) -> None:
    project = EXAMPLES / name
    for part in ("Pulumi.yaml", "__main__.py", "requirements.txt", "README.md"):
        assert (project / part).is_file(), f"examples/{name}/{part} is missing"
    assert f"name: qpu-{name}" in (project / "Pulumi.yaml").read_text()
