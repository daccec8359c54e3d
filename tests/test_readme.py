"""The README's Session reference says what the provider does: the same inputs, the
same effect of a change for each, and every output."""

from __future__ import annotations

import re
from pathlib import Path

from pulumi_qpu.provider import (
    INPUT_KEYS,
    OUTPUT_KEYS,
    REPLACE_KEYS,
    SETTING_KEYS,
    UPDATE_KEYS,
)

README = Path(__file__).resolve().parent.parent / "README.md"
# Filled by the Session class itself, never by users (docs/provider.md).
INTERNAL_INPUTS = {"resource_key"}


def _section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"\n### {title}\n")
    end = text.index("\n### ", start + 1)
    return text[start:end]


def _input_rows() -> dict[str, str]:
    """The Inputs table: input name -> its "a change" cell."""
    rows = {}
    for line in _section("Inputs").splitlines():
        match = re.match(r"^\| `(\w+)` \|.*\| ([^|]+) \|$", line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


def test_the_inputs_table_lists_every_input_a_user_gives() -> None:
    assert set(_input_rows()) == set(INPUT_KEYS) - INTERNAL_INPUTS


# Replace besides REPLACE_KEYS: a platform_name acts through the platform_id it resolves
# to, and a session_id naming another session than the one held (SessionProvider.diff).
REPLACING = {*REPLACE_KEYS, "platform_name", "session_id"}


def test_the_inputs_table_says_what_a_change_does_as_the_provider_decides() -> None:
    for key, effect in _input_rows().items():
        assert ("replaces" in effect) == (key in REPLACING), key
        assert ("updates in place" in effect) == (key in UPDATE_KEYS), key
        assert ("setting only" in effect) == (key in SETTING_KEYS), key


def test_the_outputs_section_names_every_output() -> None:
    named = set(re.findall(r"`(\w+)`", _section("Outputs")))
    assert set(OUTPUT_KEYS) <= named, set(OUTPUT_KEYS) - named


def _anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_link_to_a_section_of_the_readme_finds_it() -> None:
    text = re.sub(r"\n```.*?\n```", "", README.read_text(), flags=re.S)  # code is no heading
    anchors = {_anchor(heading) for heading in re.findall(r"^#+ (.+)$", text, re.M)}
    assert _anchor("Leftovers: sessions no state holds") == "leftovers-sessions-no-state-holds"
    links = set(re.findall(r"\]\(#([^)]+)\)", text))
    assert links, "the README links to none of its sections"
    assert links <= anchors, links - anchors
