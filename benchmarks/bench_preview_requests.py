"""API requests of ``pulumi preview`` and ``pulumi refresh`` of 100 unchanged Sessions.

A preview reads every live session (one that ended by itself plans its replacement) and
a refresh reads each back; one ``GET /sessions/{id}`` per Session is 100 requests. The
client answers those reads from one listing of the project (pulumi_qpu/snapshots.py).
The emulator counts every request by route; the figure is requests per Session.

Run: ``python benchmarks/bench_preview_requests.py``; writes
``benchmarks/results/preview_requests.md``.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import bench_client  # noqa: E402  (its machine() line)
from tests.e2e.programs import fleet  # noqa: E402
from tests.support.cli import RealEngine, find_cli  # noqa: E402
from tests.support.emulator import running_emulator  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "preview_requests.md"
SESSIONS = 100


def _row(what: str, counters: dict[str, int]) -> str:
    total = sum(counters.values())
    routes = ", ".join(f"{route}: {n}" for route, n in sorted(counters.items()))
    return f"| {what} | {total} | {total / SESSIONS:.2f} | {routes} |"


def main() -> None:
    cli = find_cli()
    assert cli.bin_dir is not None, cli.reason
    with tempfile.TemporaryDirectory() as tmp, running_emulator(start_delay=0.2) as qpu:
        engine = RealEngine(cli, qpu, Path(tmp))
        stack = engine.stack(fleet, name="bench", config={"count": str(SESSIONS)})
        stack.up(parallel=32)
        rows = []
        for what, run in (("preview", stack.preview), ("refresh", stack.refresh)):
            qpu.reset_counters()
            run()
            rows.append(_row(f"`pulumi {what}`", qpu.counters()))
        engine.cleanup()
    lines = [
        f"# API requests of a preview and a refresh of {SESSIONS} unchanged Sessions",
        "",
        f"{datetime.now(timezone.utc):%Y-%m-%d}, {bench_client.machine()}, CLI {cli.version}, "
        "dynamic provider; `python benchmarks/bench_preview_requests.py`.",
        "",
        "| command | requests | per Session | by route |",
        "| --- | ---: | ---: | --- |",
        *rows,
        "",
        "Measured the same way on the commit before (each read a GET):",
        "",
        "| command | requests | per Session | by route |",
        "| --- | ---: | ---: | --- |",
        "| `pulumi preview` | 101 | 1.01 | GET .../platforms: 1, "
        "GET .../sessions/{session_id}: 100 |",
        "| `pulumi refresh` | 203 | 2.03 | GET .../platforms/{platform_id}: 2, "
        "GET .../sessions: 1, GET .../sessions/{session_id}: 200 |",
        "",
    ]
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
