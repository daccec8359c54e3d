"""Install instructions that work: pulumi-qpu is not on PyPI, so nothing may say it is.

A new user copies what the examples and the docs say. Every example's requirements.txt
must install pulumi-qpu from a path that holds it, and no document may tell anyone to
``pip install pulumi-qpu`` by name (that fails: there is no such PyPI package).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = sorted(ROOT.glob("examples/*/requirements.txt"))
DOCUMENTS = sorted(
    [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *ROOT.glob("docs/*.md")],
) + sorted(ROOT.glob("examples/*/README.md"))
# "pip install pulumi-qpu", "pip install 'pulumi-qpu[emulator]'": the name alone, no path.
_BY_NAME = re.compile(r"pip install\s+['\"]?pulumi-qpu(?:\[[^\]]*\])?['\"]?(?=\s|$)(?!\s*@)")


def _requirements(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


@pytest.mark.parametrize("path", REQUIREMENTS, ids=lambda p: p.parent.name)
def test_example_requirements_install_pulumi_qpu_from_a_path_that_holds_it(path: Path) -> None:
    requirements = _requirements(path)
    local = [line for line in requirements if line.startswith((".", "/"))]
    assert local, f"{path} does not install pulumi-qpu"
    for line in local:
        project = (path.parent / line.split("[", 1)[0]).resolve()
        assert (project / "pyproject.toml").is_file(), f"{line} in {path} holds no project"
        assert 'name = "pulumi-qpu"' in (project / "pyproject.toml").read_text()
    assert not any(re.match(r"pulumi-qpu\b(?!\s*@)", line) for line in requirements)
    assert "not on PyPI" in path.read_text()


@pytest.mark.parametrize("path", REQUIREMENTS, ids=lambda p: p.parent.name)
def test_example_requirements_ask_for_the_pulumi_sdk_the_package_does(path: Path) -> None:
    # An older floor in an example would let pip pick an SDK pulumi-qpu refuses.
    found = re.search(r'^\s*"(pulumi[<>=!~][^"]*)",', (ROOT / "pyproject.toml").read_text(), re.M)
    assert found, "pyproject.toml names no pulumi requirement"
    sdk = [line for line in _requirements(path) if re.match(r"pulumi\s*[<>=!~]", line)]
    where = path.relative_to(ROOT)
    assert sdk == [found.group(1)], f"{where} asks for {sdk}, pyproject.toml {found.group(1)}"


@pytest.mark.parametrize("path", [p for p in DOCUMENTS if p.is_file()], ids=lambda p: p.name)
def test_no_document_installs_pulumi_qpu_by_its_name_from_pypi(path: Path) -> None:
    found = [line for line in path.read_text().splitlines() if _BY_NAME.search(line)]
    assert found == [], f"{path.relative_to(ROOT)} installs pulumi-qpu from PyPI"


def test_the_by_name_pattern_catches_what_it_must() -> None:
    assert _BY_NAME.search("$ pip install 'pulumi-qpu[emulator]'      # x")
    assert _BY_NAME.search("pip install pulumi-qpu")
    assert not _BY_NAME.search("pip install '/path/to/pulumi-qpu[emulator]'")
    assert not _BY_NAME.search("pip install 'pulumi-qpu[emulator] @ git+https://h/o/r.git'")
