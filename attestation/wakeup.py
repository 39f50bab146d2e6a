"""Waking a cabinet agent when an unlock is queued, on SQLite (PostgreSQL has LISTEN/NOTIFY).

On the embedded deployment every process runs on one Pi and shares one SQLite file.
After a commit that queued an unlock, the writer sends an empty datagram to the agent of
that cabinet, on a Linux abstract socket named after the database file and the cabinet;
the agent sleeps in ``select`` on it, so an idle agent costs nothing between its door
polls and wakes within a millisecond.  A lost datagram (no agent yet, a full buffer)
only costs latency: the agent also looks at the database on its own.
"""

from __future__ import annotations

import hashlib
import select
import socket

#: Where a write session notes the cabinets to wake after its commit (``session.info``).
SESSION_KEY = "wake_cabinets"


def address(database_url: str, cabinet_id: int) -> str:
    """The abstract socket of the agent of ``cabinet_id`` using this database."""
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:16]
    return f"\0attestation-agent-{digest}-{cabinet_id}"


def notify(database_url: str, cabinet_ids) -> None:
    """Wake the agents of these cabinets (never raises: a wake-up is only a hint)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        for cabinet_id in cabinet_ids:
            try:
                sock.sendto(b"", address(database_url, cabinet_id))
            except OSError:  # no agent listening, or its buffer is full
                pass


class Listener:
    """The agent's end: ``wait`` until woken or the timeout, ``drain`` what came."""

    def __init__(self, database_url: str, cabinet_id: int):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(address(database_url, cabinet_id))  # OSError: another agent has it
        self.sock.setblocking(False)

    def wait(self, timeout: float) -> bool:
        return bool(select.select([self.sock], [], [], max(timeout, 0.0))[0])

    def drain(self) -> bool:
        woken = False
        while True:
            try:
                self.sock.recv(16)
                woken = True
            except BlockingIOError:
                return woken

    def close(self) -> None:
        self.sock.close()
