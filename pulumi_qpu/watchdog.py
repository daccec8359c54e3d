"""The provider process ends with its engine: no create goes on for a run that is gone.

The engine starts every provider process, the dynamic provider host (``python -m
pulumi.dynamic <engine address>``) and the ``qpu`` plugin (``pulumi-resource-qpu <engine
address>``) alike, in a process group of its own (``Setpgid``), and stops it at the end
of a run with SIGINT (SIGKILL 5 s later). Killing ``pulumi`` itself (``kill -9``, a lost
terminal) sends nothing, so it leaves the provider running: its creates would keep
waiting, keep their creating tag alive (pulumi_qpu/identity.py) and finally remove it,
leaving sessions no state will ever hold and that no later run may take back. The
provider therefore watches its engine:
when its parent process changes (the engine died) or the engine's address refuses
connections, it says so and exits at once. The creates it abandons leave sessions
carrying a creating tag that stops changing: the next ``pulumi up`` takes them back,
``pulumi destroy`` (the stack's leftover sweeper) or ``qpu-leftovers --end`` ends them.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
import time
from typing import Final

__all__ = ["CHECK_EVERY_SECONDS", "watch_engine"]

CHECK_EVERY_SECONDS: Final = 1.0
"""How often the provider looks for its engine: well inside one heartbeat."""

_STARTED = threading.Event()


def _engine_address() -> tuple[str, int] | None:
    """Return the engine's address if this process is the SDK's dynamic host, else None."""
    main = sys.argv[0] if sys.argv else ""
    if not main.endswith(os.path.join("pulumi", "dynamic", "__main__.py")) or len(sys.argv) < 2:
        return None
    return _parse(sys.argv[1])


def _engine_gone(address: tuple[str, int]) -> bool:
    try:
        socket.create_connection(address, timeout=2).close()
    except ConnectionRefusedError:
        return True
    except OSError:
        return False  # a slow or busy engine is not a dead one
    return False


def _watch(address: tuple[str, int], parent: int) -> None:
    while True:
        time.sleep(CHECK_EVERY_SECONDS)
        if os.getppid() != parent or _engine_gone(address):
            # Nobody may read stderr any more (a killed engine): a write must not stop the exit.
            with contextlib.suppress(OSError, ValueError):
                sys.stderr.write(
                    "qpu: the Pulumi engine is gone; the provider exits. Sessions its "
                    "creates left are taken back by the next `pulumi up`, or ended by "
                    "`pulumi destroy` or `qpu-leftovers --end`\n"
                )
                sys.stderr.flush()
            os._exit(70)


def _parse(address: str) -> tuple[str, int] | None:
    host, _, port = address.rpartition(":")
    return (host, int(port)) if host and port.isdigit() else None


def watch_engine(engine_address: str | None = None) -> None:
    """Start watching the engine, once.

    The engine at ``engine_address`` (the plugin, given it as its argument), or, without
    it, the dynamic provider host's, if this process is that host.
    """
    address = _engine_address() if engine_address is None else _parse(engine_address)
    if address is None or _STARTED.is_set():
        return
    _STARTED.set()
    threading.Thread(
        target=_watch, args=(address, os.getppid()), name="qpu-engine-watchdog", daemon=True
    ).start()
