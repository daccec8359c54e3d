"""``qpu-emulator`` / ``python -m pulumi_qpu.emulator``: run the emulator.

On start it prints, flushed, on stdout::

    qpu-emulator listening on http://127.0.0.1:PORT
    export SCW_API_URL=http://127.0.0.1:PORT
    export SCW_SECRET_KEY=<key>
    export SCW_DEFAULT_PROJECT_ID=<project>
    export SCW_ACCESS_KEY=SCWEMULATOR000000000   (ignored; the official SDKs want one)
    # tenant <key> <project>[,<project>...]     (one line per extra tenant)

so a shell can ``eval`` the export lines and a parent process can parse the first line.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import uuid
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from pulumi_qpu.emulator import assumptions
from pulumi_qpu.emulator.faults import FaultSettings
from pulumi_qpu.emulator.service import EmulatorOptions, Tenant
from pulumi_qpu.emulator.statefile import STATE_FILE_ENV, default_state_file

__all__ = [
    "build_parser",
    "install_hint",
    "main",
    "options_from_args",
    "state_file_from_args",
]

# What the "emulator" extra brings; without it the package installs, the command does not run.
_EXTRA_MODULES = ("uvicorn", "starlette", "h11")


def _tenant(text: str) -> Tenant:
    key, _, projects = text.partition(":")
    ids = tuple(p for p in projects.split(",") if p)
    if not key or not ids:
        raise argparse.ArgumentTypeError(f"expected KEY:PROJECT[,PROJECT...], got {text!r}")
    return Tenant(key, ids)


def _shown_default() -> str:
    # The user's folder as ~, so the help reads the same for everyone.
    path = default_state_file()
    try:
        return str(Path("~") / path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def state_file_from_args(args: argparse.Namespace) -> str | None:
    """Return the state file to open: the option's, none with ``--ephemeral``, else the default."""
    if args.ephemeral:
        return None
    return str(args.state_file or default_state_file())


def build_parser() -> argparse.ArgumentParser:
    """Build the command-line parser."""
    parser = argparse.ArgumentParser(
        prog="qpu-emulator",
        description="Local emulator of the Scaleway QaaS v1alpha1 sessions and platforms API.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (0)")
    parser.add_argument("--secret-key", help="the main tenant's secret key (generated)")
    parser.add_argument("--project-id", help="the main tenant's project id (generated)")
    parser.add_argument(
        "--tenant",
        action="append",
        type=_tenant,
        default=[],
        metavar="KEY:PROJECT[,PROJECT]",
        help="another tenant (repeatable); one is generated when none is given",
    )
    state = parser.add_mutually_exclusive_group()
    state.add_argument(
        "--state-file",
        help=f"SQLite file keeping keys, sessions and the clock across restarts "
        f"(default: ${STATE_FILE_ENV}, else {_shown_default()})",
    )
    state.add_argument(
        "--ephemeral",
        action="store_true",
        help="keep the state in memory: new keys and no sessions on every start",
    )
    parser.add_argument("--platforms", help="JSON file replacing the built-in platform catalogue")
    parser.add_argument(
        "--start-delay",
        type=float,
        default=assumptions.DEFAULT_START_DELAY_SECONDS,
        help="emulated seconds from starting to running (%(default)s)",
    )
    parser.add_argument(
        "--stop-delay",
        type=float,
        default=assumptions.DEFAULT_STOP_DELAY_SECONDS,
        help="emulated seconds from stopping to stopped (%(default)s)",
    )
    parser.add_argument(
        "--time-scale", type=float, default=1.0, help="emulated seconds per real second (1)"
    )
    parser.add_argument("--seed", type=int, help="seed of the fault generator (random)")
    faults = parser.add_argument_group("faults (all off by default)")
    faults.add_argument("--error-rate", type=float, default=0.0, help="share of 5xx replies")
    faults.add_argument("--error-status", type=int, default=503, help="status of those (503)")
    faults.add_argument("--throttle-rate", type=float, default=0.0, help="share of 429 replies")
    faults.add_argument(
        "--retry-after",
        type=int,
        default=assumptions.DEFAULT_RETRY_AFTER_SECONDS,
        help="Retry-After of a 429 (%(default)s)",
    )
    faults.add_argument(
        "--reset-rate", type=float, default=0.0, help="share of connections reset unanswered"
    )
    faults.add_argument(
        "--drop-create-rate",
        type=float,
        default=0.0,
        help="share of creates stored but never answered (commit-then-drop)",
    )
    faults.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    parser.add_argument(
        "--exit-with-parent",
        action="store_true",
        help="exit when stdin closes (for a parent process that may die without stopping it)",
    )
    parser.add_argument(
        "--log-level", default="warning", help="uvicorn log level (warning); 'info' logs requests"
    )
    return parser


def options_from_args(args: argparse.Namespace) -> EmulatorOptions:
    """Emulator options from parsed arguments (keys and projects generated when absent)."""
    main_tenant = Tenant(
        args.secret_key or str(uuid.uuid4()), (args.project_id or str(uuid.uuid4()),)
    )
    others: list[Tenant] = list(args.tenant) or [Tenant(str(uuid.uuid4()), (str(uuid.uuid4()),))]
    faults = FaultSettings(
        error_rate=args.error_rate,
        error_status=args.error_status,
        throttle_rate=args.throttle_rate,
        retry_after=args.retry_after,
        reset_rate=args.reset_rate,
        drop_create_rate=args.drop_create_rate,
        latency=args.latency,
    )
    return EmulatorOptions(
        tenants=[main_tenant, *others],
        start_delay=args.start_delay,
        stop_delay=args.stop_delay,
        time_scale=args.time_scale,
        seed=args.seed,
        faults=faults,
        state_file=state_file_from_args(args),
        platforms_file=args.platforms,
        tenants_generated=not (args.secret_key or args.project_id or args.tenant),
    )


def install_hint() -> str:
    """Return the pip command that adds the ``emulator`` extra to this installation.

    pulumi-qpu is not on PyPI, so ``pip install 'pulumi-qpu[emulator]'`` would fail:
    the hint names where this copy came from (what pip recorded, PEP 610, or the clone
    it is imported from) and the interpreter it runs on, so the command lands in the
    right environment.
    """
    command = f"{sys.executable} -m pip install"
    for distribution in metadata.distributions(name="pulumi-qpu"):
        recorded = distribution.read_text("direct_url.json")
        if not recorded:
            continue
        origin = json.loads(recorded)
        url = str(origin.get("url", ""))
        vcs = origin.get("vcs_info")
        if isinstance(vcs, dict) and url:
            return f"{command} 'pulumi-qpu[emulator] @ {vcs.get('vcs', 'git')}+{url}'"
        if url.startswith("file://"):
            return f"{command} '{url.removeprefix('file://')}[emulator]'"
    clone = Path(__file__).resolve().parents[2]
    if (clone / "pyproject.toml").is_file():
        return f"{command} '{clone}[emulator]'"
    return f"{command} '/path/to/your/clone/of/pulumi-qpu[emulator]'"


def main(argv: Sequence[str] | None = None) -> None:
    """Run the emulator until interrupted."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        from pulumi_qpu.emulator.server import serve  # noqa: PLC0415 - needs the extra
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.split(".")[0] not in _EXTRA_MODULES:
            raise
        sys.exit(
            f"qpu-emulator: {exc.name} is not installed: the emulator needs the 'emulator' "
            f"extra (starlette, uvicorn). Install it into this environment with\n"
            f"  {install_hint()}\n"
            "(pulumi-qpu is not on PyPI: use the path of your clone or a git URL; in a "
            "clone, `make venv` installs everything)."
        )
    if args.time_scale <= 0:
        parser.error("--time-scale must be greater than zero")
    if args.start_delay < 0 or args.stop_delay < 0:
        parser.error("--start-delay and --stop-delay must be >= 0")
    try:
        options = options_from_args(args)
    except ValueError as exc:  # pydantic's ValidationError of a fault setting is one
        parser.error(str(exc))
    try:
        if options.state_file and not args.state_file:
            # The default file's folder (a user folder) may not exist yet; a named one must.
            Path(options.state_file).parent.mkdir(parents=True, exist_ok=True)
        serve(
            options,
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            exit_with_parent=args.exit_with_parent,
        )
    except (OSError, sqlite3.Error, ValueError) as exc:
        # A port in use, a state file unwritable or in use, a bad catalogue: one line.
        sys.exit(f"qpu-emulator: {exc}")


if __name__ == "__main__":
    main()
