"""Package metadata that holds outside the repository and says what is tested.

The long description is shown wherever the package metadata is (an index, ``pip show``,
an internal mirror), where a link relative to the repository leads nowhere; and the
Python classifiers must be the versions ``make test-pythons`` runs the suite on.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def _long_description() -> tuple[str, str]:
    # A regex, not tomllib: the suite also runs on Python 3.10, which has no tomllib.
    found = re.search(r'^readme = "([^"]+)"', PYPROJECT, re.MULTILINE)
    assert found, "pyproject.toml names no readme"
    return found.group(1), (ROOT / found.group(1)).read_text(encoding="utf-8")


def _python_classifiers() -> set[str]:
    return set(re.findall(r'"Programming Language :: Python :: (3\.\d+)"', PYPROJECT))


def test_the_long_description_has_no_link_that_only_works_in_the_repository() -> None:
    name, text = _long_description()
    targets = re.findall(r"\]\(([^)\s]+)\)", text) + re.findall(r'href="([^"]+)"', text)
    relative = [target for target in targets if not re.match(r"https?://", target)]
    assert relative == [], f"{name} links to {relative}"


def test_python_classifiers_are_the_versions_make_test_pythons_runs() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    found = re.search(r"^PYTHONS \?= (.+)$", makefile, re.MULTILINE)
    assert found, "the Makefile has no PYTHONS list"
    tested = set(found.group(1).split())
    assert _python_classifiers() == tested
    lowest = min(tested, key=lambda version: tuple(map(int, version.split("."))))
    assert f'requires-python = ">={lowest}"' in PYPROJECT
