"""Running the emulator under uvicorn on a socket we bind ourselves.

Binding first lets ``--port 0`` pick a free port and print it before serving: the
socket already listens, so a client that connects right after reading the printed URL
waits in the backlog instead of being refused.
"""

from __future__ import annotations

import socket
import sys
import threading
from typing import TextIO

import uvicorn

from pulumi_qpu.emulator.app import EmulatorApp
from pulumi_qpu.emulator.connections import AbortableH11Protocol
from pulumi_qpu.emulator.service import Emulator, EmulatorOptions
from pulumi_qpu.emulator.statefile import StateFileLock

__all__ = ["ACCESS_KEY", "announce", "bind", "serve"]

ACCESS_KEY = "SCWEMULATOR000000000"
"""A well-formed access key (``SCW`` + 17 characters) to print; never checked."""


def bind(host: str, port: int) -> socket.socket:
    """Open a listening TCP socket on ``host:port`` (port 0: a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted sockets only when
    # the proto says TCP; without it, Nagle + delayed ACK add 40 ms to every reply.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def announce(url: str, options: EmulatorOptions, out: TextIO = sys.stdout) -> None:
    """Print the URL, where the state is kept, and how to point a client at this emulator.

    The first line is ``qpu-emulator listening on URL``; every other line is either a
    command to paste or a ``#`` comment, so the output stays a valid shell script.
    """
    main, *others = options.tenants
    key, project = main.secret_key, main.project_ids[0]
    if options.state_file:
        state = (
            f"# state: {options.state_file} (keys and sessions kept across restarts; "
            "--ephemeral for none)"
        )
    else:
        state = "# state: in memory (--ephemeral): new keys and no sessions on every start"
    lines = [
        f"qpu-emulator listening on {url}",
        state,
        "# For a shell (pulumi-qpu and the official Scaleway SDKs read these):",
        f"export SCW_API_URL={url}",
        f"export SCW_SECRET_KEY={key}",
        f"export SCW_DEFAULT_PROJECT_ID={project}",
        # The emulator ignores the access key, but the official SDKs refuse to start
        # without one of the right shape.
        f"export SCW_ACCESS_KEY={ACCESS_KEY}",
        "# Or for a Pulumi stack, in its project folder. Stack config outranks the",
        "# environment: once a stack sets qpu:apiUrl, the exports above change nothing for it.",
        f"pulumi config set qpu:apiUrl {url}",
        f"pulumi config set qpu:projectId {project}",
        f"pulumi config set --secret qpu:secretKey {key}",
    ]
    lines += [f"# tenant {t.secret_key} {','.join(t.project_ids)}" for t in others]
    out.write("\n".join(lines) + "\n")
    out.flush()


def _exit_on_stdin_eof(server: uvicorn.Server) -> None:
    # A parent killed outright cannot stop us; its end of our stdin closing tells us.
    while sys.stdin.buffer.read(4096):
        pass
    server.should_exit = True


def serve(
    options: EmulatorOptions,
    *,
    host: str,
    port: int,
    log_level: str = "warning",
    exit_with_parent: bool = False,
) -> None:
    """Serve the emulator until interrupted (or, with ``exit_with_parent``, stdin closes)."""
    lock = StateFileLock(options.state_file) if options.state_file else None
    if lock is not None:
        lock.acquire()  # before the file is opened: one process per state file
    emulator = Emulator(options)
    app = EmulatorApp(emulator)
    sock = bind(host, port)
    bound_port = sock.getsockname()[1]
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{bound_port}"
    if lock is not None:
        lock.record(url)
    announce(url, options)
    config = uvicorn.Config(
        app,
        http=AbortableH11Protocol,
        lifespan="on",
        log_level=log_level,
        access_log=log_level in ("debug", "trace", "info"),
        timeout_graceful_shutdown=1,
        # The app dates its replies by the emulated clock (app.py); uvicorn's would be
        # the wall clock's, a second Date header.
        date_header=False,
    )
    server = uvicorn.Server(config)
    if exit_with_parent:
        threading.Thread(target=_exit_on_stdin_eof, args=(server,), daemon=True).start()
    try:
        server.run(sockets=[sock])
    finally:
        if lock is not None:
            lock.release()
