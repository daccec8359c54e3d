"""The platform catalogue the emulator serves: built in (``platforms.json``) or from a file.

Built-in platforms carry stable ids (uuid5 of their name in a fixed namespace), so a
platform id written in a test or a Pulumi program stays valid across restarts and
releases. A replacement file has the same shape: ``{"platforms": [Platform, ...]}``
(a bare list works too); an entry without ``id`` gets the uuid5 of its name.

The published contract types ``booking_requirement`` and ``hardware`` as objects that
are never ``null``, and the generated ``scaleway-qaas-client`` crashes on a ``null``
there; so a platform loaded without them gets an empty one (no booking rule, no
hardware figure) rather than ``None``.
"""

from __future__ import annotations

import json
import uuid
from importlib import resources
from pathlib import Path
from typing import Any

from pulumi_qpu.models import Platform, PlatformBookingRequirement, PlatformHardware

__all__ = ["PLATFORM_ID_NAMESPACE", "Catalogue", "platform_id_for"]

PLATFORM_ID_NAMESPACE = uuid.UUID("6b1f5a2e-8f0c-4c1d-9a57-0b6a3e1c9d42")
"""Namespace of the uuid5 platform ids."""


def platform_id_for(name: str) -> str:
    """Return the stable id of the platform called ``name``."""
    return str(uuid.uuid5(PLATFORM_ID_NAMESPACE, name))


def _complete(platform: Platform) -> Platform:
    """Give ``platform`` the object properties the published contract never lets be null."""
    updates: dict[str, object] = {}
    if platform.booking_requirement is None:
        updates["booking_requirement"] = PlatformBookingRequirement()
    if platform.hardware is None:
        updates["hardware"] = PlatformHardware()
    return platform.model_copy(update=updates) if updates else platform


class Catalogue:
    """An immutable set of platforms, looked up by id or name."""

    def __init__(self, platforms: list[Platform]) -> None:
        """Index ``platforms``; ids and names must be unique."""
        self._by_id: dict[str, Platform] = {}
        self._by_name: dict[str, Platform] = {}
        for platform in platforms:
            if platform.id in self._by_id or platform.name in self._by_name:
                raise ValueError(f"duplicate platform {platform.name} ({platform.id})")
            self._by_id[platform.id] = platform
            self._by_name[platform.name] = platform

    @classmethod
    def builtin(cls) -> Catalogue:
        """Load the catalogue shipped with the package."""
        text = resources.files("pulumi_qpu.emulator").joinpath("platforms.json").read_text()
        return cls.from_json(json.loads(text))

    @classmethod
    def from_file(cls, path: str | Path) -> Catalogue:
        """Load a catalogue from a JSON file (``{"platforms": [...]}`` or a list)."""
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))

    @classmethod
    def from_json(cls, data: Any) -> Catalogue:
        """Build a catalogue from parsed JSON."""
        entries = data["platforms"] if isinstance(data, dict) else data
        if not isinstance(entries, list):
            raise ValueError("a platform catalogue is a list of platforms")
        platforms = []
        for entry in entries:
            if not isinstance(entry, dict) or "name" not in entry:
                raise ValueError(f"a platform needs at least a name: {entry!r}")
            values = {"id": platform_id_for(str(entry["name"])), **entry}
            platforms.append(_complete(Platform.model_validate(values)))
        return cls(platforms)

    def all(self) -> list[Platform]:
        """Every platform, in catalogue order."""
        return list(self._by_id.values())

    def get(self, platform_id: str) -> Platform | None:
        """Return the platform with this id, or None."""
        return self._by_id.get(platform_id)

    def by_name(self, name: str) -> Platform | None:
        """Return the platform with this name, or None."""
        return self._by_name.get(name)
