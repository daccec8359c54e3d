"""The SDKs committed under ``sdk/`` are what the package schema generates today.

They are regenerated (scripts/gen-sdk.sh, the package's version) into a scratch folder and
compared file by file with what would be committed. The generator is a Go program, built
once per machine: without Go (and no cached build) the test is skipped with the reason,
except when ``CI`` is set, where it must run.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from pulumi_qpu._version import __version__

ROOT = Path(__file__).resolve().parents[1]
SDK = ROOT / "sdk"
LANGUAGES = ("python", "nodejs", "go")


def committed_files() -> dict[str, bytes]:
    """Every file under sdk/ that git tracks or would track (ignored ones left out)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", "sdk"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return {
        str(Path(name).relative_to("sdk")): (ROOT / name).read_bytes()
        for name in listed
        if (ROOT / name).is_file()
    }


def generated_files(out: Path) -> dict[str, bytes]:
    """Every file ``scripts/gen-sdk.sh`` wrote under ``out``."""
    return {
        str(path.relative_to(out)): path.read_bytes() for path in out.rglob("*") if path.is_file()
    }


@pytest.mark.timeout(1200)  # a cold build of the generator takes minutes
def test_the_committed_sdks_are_generated_from_the_package_schema(tmp_path: Path) -> None:
    out = tmp_path / "sdk"
    done = subprocess.run(
        [
            str(ROOT / "scripts" / "gen-sdk.sh"),
            str(ROOT / "schema" / "pulumi-package.json"),
            str(out),
            __version__,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 and "no go on PATH" in done.stderr and not os.environ.get("CI"):
        pytest.skip(f"the SDK generator cannot be built here:\n{done.stderr}")
    assert done.returncode == 0, done.stderr

    fresh, committed = generated_files(out), committed_files()
    assert {name.split("/")[0] for name in fresh} == set(LANGUAGES)
    stale = sorted(
        name for name in fresh.keys() & committed.keys() if fresh[name] != committed[name]
    )
    missing = sorted(fresh.keys() - committed.keys())
    extra = sorted(committed.keys() - fresh.keys())
    assert (stale, missing, extra) == ([], [], []), (
        "sdk/ is not what the package schema generates: run `make sdk` "
        f"(differ: {stale}, not committed: {missing}, not generated: {extra})"
    )
