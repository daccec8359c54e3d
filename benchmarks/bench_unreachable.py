"""How long ``pulumi preview`` takes to say the API cannot be reached (issue: first hour).

A stack of one Session whose ``qpu:apiUrl`` points at a loopback port nothing listens
on (an emulator not started, a wrong URL), previewed with the real CLI: the wall time of
the failed preview, against a preview of the same stack with the emulator running.

Run: ``python benchmarks/bench_unreachable.py``; writes
``benchmarks/results/unreachable.md``.
"""

from __future__ import annotations

import socket
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import bench_client  # noqa: E402  (its machine() line)
from tests.e2e.programs import fleet  # noqa: E402
from tests.support.cli import RealEngine, find_cli  # noqa: E402
from tests.support.emulator import running_emulator  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "unreachable.md"
RUNS = 3


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def main() -> None:
    from pulumi import automation as auto

    cli = find_cli()
    assert cli.bin_dir is not None, cli.reason
    failed: list[float] = []
    working: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, running_emulator() as qpu:
        engine = RealEngine(cli, qpu, Path(tmp))
        down = engine.stack(
            fleet,
            name="down",
            config={"count": "1", "qpu:apiUrl": f"http://127.0.0.1:{_closed_port()}"},
        )
        up = engine.stack(fleet, name="up", config={"count": "1"})
        for _ in range(RUNS):
            started = time.monotonic()
            try:
                down.preview()
            except auto.CommandError as error:
                message = str(error)
            else:
                raise AssertionError("the preview against a closed port succeeded")
            if "Nothing is listening" not in message:
                raise AssertionError(message)
            failed.append(time.monotonic() - started)
            started = time.monotonic()
            up.preview()
            working.append(time.monotonic() - started)
        engine.cleanup()
    lines = [
        "# Unreachable API at preview",
        "",
        f"{datetime.now(timezone.utc):%Y-%m-%d}, {bench_client.machine()}, CLI {cli.version}; "
        f"median of {RUNS}; `python benchmarks/bench_unreachable.py`.",
        "",
        "| preview of one Session | seconds |",
        "| --- | ---: |",
        f"| `qpu:apiUrl` on a closed loopback port (fails) | {_median(failed):.1f} |",
        f"| the emulator running (succeeds) | {_median(working):.1f} |",
        "",
        "Before the first-contact rule (retry.py, `first_contact_attempts`), the same failed",
        "preview was reported at 20-25 s: 10 attempts of every call, with backoff.",
        "",
    ]
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
