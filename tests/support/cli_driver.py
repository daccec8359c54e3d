"""One Automation API operation on an inline program, in a process of its own.

Tests that kill a deployment midway (SIGKILL to the whole process group: this driver,
the CLI, the language server and the provider host) run it here, because an inline
program's language server lives in the process that calls the Automation API:

    python -m tests.support.cli_driver --project P --stack S --work-dir W \
        --program tests.e2e.programs:fleet up

A project folder with its own ``Pulumi.yaml`` runs its ``__main__.py`` as the program,
on the stack the folder has selected (``pulumi stack select``), as ``pulumi up`` there
would. Run by path with the project's Python, this file imports nothing but the Pulumi
SDK, so the program sees only what the project installed:

    venv/bin/python tests/support/cli_driver.py --work-dir W --main __main__.py up

The environment (backend, credentials, PATH with the CLI) is the caller's.
"""

from __future__ import annotations

import argparse
import importlib
import runpy
from collections.abc import Callable
from pathlib import Path

from pulumi import automation as auto


def _program(args: argparse.Namespace) -> Callable[[], None]:
    if args.main:
        path = Path(args.work_dir) / args.main

        def program() -> None:
            runpy.run_path(str(path), run_name="__main__")

        return program
    module, _, function = args.program.partition(":")
    found: Callable[[], None] = getattr(importlib.import_module(module), function)
    return found


def main() -> None:
    """Parse the arguments and run the operation, printing the CLI's output."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", help="the project name (default: the folder's Pulumi.yaml)")
    parser.add_argument("--stack", help="the stack (default: the one the folder has selected)")
    parser.add_argument("--work-dir", required=True)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--program", help="module:function")
    source.add_argument("--main", help="a program file in the work dir, e.g. __main__.py")
    parser.add_argument("operation", choices=["up", "preview", "refresh", "destroy"])
    args = parser.parse_args()
    if args.project:
        options = auto.LocalWorkspaceOptions(
            work_dir=args.work_dir,
            project_settings=auto.ProjectSettings(name=args.project, runtime="python"),
        )
        stack = auto.create_or_select_stack(
            args.stack, project_name=args.project, program=_program(args), opts=options
        )
    else:
        # The folder's own Pulumi.yaml, left as it is (no project_settings to write over it).
        workspace = auto.LocalWorkspace(work_dir=args.work_dir, program=_program(args))
        selected = workspace.stack()
        name = args.stack or (selected.name if selected else None)
        if not name:
            parser.error(f"no stack is selected in {args.work_dir} and --stack is not given")
        stack = auto.Stack.select(name, workspace)
    getattr(stack, args.operation)(on_output=print)


if __name__ == "__main__":
    main()
