"""The package's public face: every name in __all__ resolves, and nothing is loaded early."""

from __future__ import annotations

import subprocess
import sys

import pulumi_qpu


def test_all_lists_exactly_the_lazy_names() -> None:
    assert set(pulumi_qpu.__all__) == {"__version__", *pulumi_qpu._LAZY}


def test_every_public_name_resolves_to_a_documented_object() -> None:
    for name in pulumi_qpu.__all__:
        value = getattr(pulumi_qpu, name)
        if name != "__version__":
            assert value.__doc__, f"{name} has no docstring"


def test_importing_the_client_does_not_import_pulumi() -> None:
    code = "import sys, pulumi_qpu.client, pulumi_qpu.emulator; print('pulumi' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
