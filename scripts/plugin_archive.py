"""Make the plugin archive for ``pulumi plugin install resource qpu <version> --file ...``.

The archive holds one executable, ``pulumi-resource-qpu``: a launcher that runs the
plugin of an installed pulumi-qpu, ``$PULUMI_QPU_PYTHON -m pulumi_qpu.plugin`` (default
``python3``). Requirement: that Python has pulumi-qpu of the same version installed
(``pip install pulumi-qpu``); docs/plugin.md says how to install and use it.

Run: ``python scripts/plugin_archive.py [output folder]`` (default ``dist/``); prints the
archive's path, ``pulumi-resource-qpu-v<version>.tar.gz``.
"""

from __future__ import annotations

import io
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pulumi_qpu._version import __version__  # noqa: E402

LAUNCHER = """#!/bin/sh
# pulumi-resource-qpu {version}: runs the plugin of the pulumi-qpu installed in
# $PULUMI_QPU_PYTHON (default python3). Install it there: pip install pulumi-qpu=={version}
exec "${{PULUMI_QPU_PYTHON:-python3}}" -m pulumi_qpu.plugin "$@"
"""


def make_archive(folder: Path, version: str = __version__) -> Path:
    """Write ``pulumi-resource-qpu-v<version>.tar.gz`` into ``folder``; return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"pulumi-resource-qpu-v{version}.tar.gz"
    data = LAUNCHER.format(version=version).encode()
    info = tarfile.TarInfo("pulumi-resource-qpu")
    info.size = len(data)
    info.mode = 0o755
    with tarfile.open(target, "w:gz") as archive:
        archive.addfile(info, io.BytesIO(data))
    return target


def main(argv: list[str] | None = None) -> int:
    """Write the archive into ``argv[0]`` (default ``dist/``) and print its path."""
    args = sys.argv[1:] if argv is None else argv
    print(make_archive(Path(args[0]) if args else ROOT / "dist"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
