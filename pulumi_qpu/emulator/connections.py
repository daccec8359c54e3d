"""Aborting a client's TCP connection from inside the ASGI app (faults reset and drop).

ASGI gives an app no handle on its socket, so the emulator runs uvicorn with
:class:`AbortableH11Protocol`, which records each connection's transport under the
client address that uvicorn also puts in ``scope["client"]``. :func:`abort` finds it,
sets ``SO_LINGER`` to zero (so closing sends a TCP RST: the client sees "connection
reset", not a polite close) and aborts it before any byte of a reply is written.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["AbortableH11Protocol", "abort"]

_OPEN: dict[tuple[str, int], AbortableH11Protocol] = {}


class AbortableH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, remembering its transport so a fault can abort it."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Register the connection under its client address."""
        super().connection_made(transport)
        if self.client is not None:
            _OPEN[(self.client[0], self.client[1])] = self

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the connection."""
        if self.client is not None:
            _OPEN.pop((self.client[0], self.client[1]), None)
        super().connection_lost(exc)


async def abort(scope: dict[str, Any]) -> bool:
    """Reset the connection of the request in ``scope``; False if it cannot be found."""
    client = scope.get("client")
    protocol = _OPEN.get((client[0], client[1])) if client else None
    if protocol is None:
        return False
    transport = protocol.transport
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # Linger 0: close() sends RST instead of FIN.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    # Let connection_lost run, so uvicorn knows the client is gone and sends nothing.
    for _ in range(10):
        if protocol.cycle is None or protocol.cycle.disconnected:
            break
        await asyncio.sleep(0)
    return True
