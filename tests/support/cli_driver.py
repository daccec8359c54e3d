"""One Automation API operation on an inline program, in a process of its own.

Tests that kill a deployment midway (SIGKILL to the whole process group: this driver,
the CLI, the language server and the provider host) run it here, because an inline
program's language server lives in the process that calls the Automation API:

    python -m tests.support.cli_driver --project P --stack S --work-dir W \
        --program tests.e2e.programs:fleet up

The environment (backend, credentials, PATH with the CLI) is the caller's.
"""

from __future__ import annotations

import argparse
import importlib

from pulumi import automation as auto


def main() -> None:
    """Parse the arguments and run the operation, printing the CLI's output."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", required=True)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--work-dir", required=True)
    parser.add_argument("--program", required=True, help="module:function")
    parser.add_argument("operation", choices=["up", "preview", "refresh", "destroy"])
    args = parser.parse_args()
    module, _, function = args.program.partition(":")
    program = getattr(importlib.import_module(module), function)
    stack = auto.create_or_select_stack(
        args.stack,
        project_name=args.project,
        program=program,
        opts=auto.LocalWorkspaceOptions(
            work_dir=args.work_dir,
            project_settings=auto.ProjectSettings(name=args.project, runtime="python"),
        ),
    )
    getattr(stack, args.operation)(on_output=print)


if __name__ == "__main__":
    main()
