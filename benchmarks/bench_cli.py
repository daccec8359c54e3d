"""Benchmarks with the real Pulumi CLI (Automation API, inline programs) and the emulator.

1. ``pulumi up`` of 1, 10 and 100 Sessions, each waiting for ``running`` with a 1 s
   start delay: wall time, and time per resource against the ideal of the provider
   host's 4 workers (``ceil(N / 4) x 1 s``) plus the run's fixed cost (the up of 1).
2. A no-op ``up`` and a ``preview`` of the 100 Sessions: wall time and the requests sent to
   the API (diff reads each live session once).
3. The CLI build: warm (Go's module and build caches filled, a new output folder) and,
   with ``--cold``, from nothing (empty GOMODCACHE and GOCACHE: minutes).

Run: ``python benchmarks/bench_cli.py`` (``--cold`` adds the cold build).
Prints the figures and writes ``benchmarks/results/cli.md``.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from benchmarks import bench_client  # noqa: E402  (its machine() line)
from tests.e2e.programs import fleet  # noqa: E402
from tests.support.cli import RealEngine, find_cli, live_sessions  # noqa: E402
from tests.support.emulator import running_emulator  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "cli.md"
START_DELAY = 1.0
WORKERS = 4  # the dynamic provider host's thread pool


def timed_build(cache: Path, extra_env: dict[str, str]) -> float:
    """Seconds for scripts/pulumi-cli.sh to build into ``cache`` (no CLI on PATH)."""
    env = {
        **os.environ,
        "PATH": "/usr/local/go/bin:/usr/bin:/bin",
        "PULUMI_QPU_CACHE": str(cache),
        **extra_env,
    }
    started = time.monotonic()
    subprocess.run(
        [str(ROOT / "scripts" / "pulumi-cli.sh")],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cold", action="store_true", help="also time a build from nothing")
    args = parser.parse_args()
    cli = find_cli()
    assert cli.bin_dir is not None, cli.reason
    rows: list[tuple[str, str, str]] = []

    with tempfile.TemporaryDirectory() as tmp, running_emulator(start_delay=START_DELAY) as qpu:
        engine = RealEngine(cli, qpu, Path(tmp))
        ups: dict[int, float] = {}
        for count in (1, 10, 100):
            stack = engine.stack(fleet, name=f"n{count}", config={"count": str(count)})
            started = time.monotonic()
            stack.up()
            ups[count] = time.monotonic() - started
            assert len(live_sessions(qpu)) == count
            fixed = ups[1] - START_DELAY  # the run's own cost: CLI, program, host start
            ideal = math.ceil(count / WORKERS) * START_DELAY + fixed
            rows.append(
                (
                    f"`pulumi up`, {count} Sessions (1 s start, waiting)",
                    f"{ups[count]:.1f} s ({ups[count] / count * 1000:.0f} ms per Session)",
                    f"ideal {ideal:.1f} s (4 workers, fixed {fixed:.1f} s): "
                    f"{ups[count] / ideal:.2f}x",
                )
            )
            if count == 100:
                qpu.reset_counters()
                started = time.monotonic()
                result = stack.up()
                elapsed = time.monotonic() - started
                requests = sum(qpu.counters().values())
                assert set(result.summary.resource_changes or {}) == {"same"}
                rows.append(
                    ("no-op `pulumi up`, 100 Sessions", f"{elapsed:.1f} s", f"{requests} requests")
                )
                qpu.reset_counters()
                started = time.monotonic()
                stack.preview()
                elapsed = time.monotonic() - started
                requests = sum(qpu.counters().values())
                rows.append(
                    ("`pulumi preview`, 100 Sessions", f"{elapsed:.1f} s", f"{requests} requests")
                )
            stack.destroy()
            stack.workspace.remove_stack(stack.name)

    with tempfile.TemporaryDirectory() as tmp:
        warm = timed_build(Path(tmp) / "warm", {})
        rows.append(("CLI build, Go caches warm", f"{warm:.0f} s", "scripts/pulumi-cli.sh"))
        if args.cold:
            cold = timed_build(
                Path(tmp) / "cold",
                {
                    "GOMODCACHE": f"{tmp}/gomod",
                    "GOCACHE": f"{tmp}/gocache",
                    "GOFLAGS": "-modcacherw",
                },
            )
            rows.append(("CLI build from nothing", f"{cold:.0f} s", "empty GOMODCACHE, GOCACHE"))

    table = "\n".join(f"| {what} | {figure} | {note} |" for what, figure, note in rows)
    print(table)
    RESULTS.write_text(
        "# Real CLI benchmarks\n\n"
        f"Command: `python benchmarks/bench_cli.py{' --cold' if args.cold else ''}`  \n"
        f"Machine: {bench_client.machine()}, pulumi SDK {version('pulumi')}, CLI {cli.version}  \n"
        f"Date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC\n\n"
        "| what | measured | against |\n| --- | --- | --- |\n" + table + "\n"
    )


if __name__ == "__main__":
    main()
