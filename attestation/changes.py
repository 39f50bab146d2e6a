"""Telling a long-running reader that the database may have changed, without reading it.

PostgreSQL: ``LISTEN`` on a channel the writers notify (the unlock queue notifies
:data:`LOCK_COMMANDS` when it queues; triggers on the audit log and the door events
notify :data:`RECORDS`, see migration 0007).  SQLite: ``PRAGMA data_version``, which
changes whenever another connection commits (it reads shared memory, not the file), and
for a cabinet agent the wake-up datagram of :mod:`attestation.wakeup`.  A reader sleeps
in ``select`` or between looks; a signal that breaks only costs reads: it then answers
"changed".
"""

from __future__ import annotations

import logging
import threading
import time

from . import wakeup
from .db import Database

log = logging.getLogger(__name__)

#: Notified by every queued unlock (payload: the cabinet id).
LOCK_COMMANDS = "lock_commands"
#: Notified by every transaction that appends to the audit log or records a door event:
#: whatever the board shows has changed.
RECORDS = "records_changed"


class Signal:
    """``wait`` until the database may have changed, then ask ``changed``.

    Timing: on PostgreSQL a notification wakes ``wait`` within a millisecond of the
    writer's commit; on SQLite ``wait`` looks at data_version every
    :attr:`SQLITE_LOOK` seconds (:attr:`SQLITE_QUIET_LOOK` when a wake-up socket also
    wakes it).
    """

    #: How often a SQLite reader without a wake-up socket looks at data_version (s).
    SQLITE_LOOK = 0.008
    #: How often a SQLite reader with its socket looks, for writers that send nothing (s).
    SQLITE_QUIET_LOOK = 0.25

    def __init__(self, db: Database, channel: str, *, wakeup_cabinet: int | None = None):
        self.pg = not db.is_sqlite
        self.conn = db.engine.raw_connection()
        self.driver = self.conn.driver_connection
        self._seen = None
        self._pending = False  # a notification consumed while waiting
        self._unheard_since: float | None = None  # a commit seen with no wake-up, since
        self.listener = None
        self.look = self.SQLITE_LOOK
        if self.pg:
            self.driver.autocommit = True
            self.driver.execute(f"LISTEN {channel}")
            return
        self._seen = self._version()
        if wakeup_cabinet is not None:
            try:
                self.listener = wakeup.Listener(db.url, wakeup_cabinet)
                self.look = self.SQLITE_QUIET_LOOK
            except OSError as exc:  # another agent of this cabinet holds it: look instead
                log.warning("no wake-up socket for this cabinet (%s): looking every %g s",
                            exc, self.look)

    def _version(self):
        return self.driver.execute("PRAGMA data_version").fetchone()[0]

    def changed(self) -> bool:
        """Whether anything was committed since the last call (never a false "no")."""
        try:
            if self.pg:
                heard = any(True for _ in self.driver.notifies(timeout=0))
                heard, self._pending = heard or self._pending, False
                return heard
            now = self._version()
            changed, self._seen = now != self._seen, now
            if self.listener is None:
                return changed
            return self._woken_or_overdue(self.listener.drain(), changed)
        except Exception:  # a broken signal only costs reads
            return True

    def _woken_or_overdue(self, woken: bool, changed: bool) -> bool:
        """With a wake-up socket, every queued unlock sends a datagram, and the file's
        version changes with every commit of anyone (each check-in, door, heartbeat): a
        change without a datagram is answered only once it is :attr:`SQLITE_QUIET_LOOK`
        old, so a datagram lost still costs at most that, and the other commits cost no
        reads of the queue."""
        if woken:
            self._unheard_since = None
            return True
        if changed and self._unheard_since is None:
            self._unheard_since = time.monotonic()
        if self._unheard_since is not None and time.monotonic() - self._unheard_since >= self.look:
            self._unheard_since = None
            return True
        return False

    def wait(self, timeout: float, stop: threading.Event) -> None:
        """Until the database may have changed, ``timeout`` seconds pass, or ``stop`` is set."""
        try:
            if self.pg:
                for _ in self.driver.notifies(timeout=timeout, stop_after=1):
                    self._pending = True
                return
            deadline = time.monotonic() + timeout
            while not stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                if self.listener is not None:
                    if self.listener.wait(min(self.look, left)):
                        return  # left for changed() to drain
                else:
                    stop.wait(min(self.look, left))
                if self._version() != self._seen:
                    return
        except Exception:
            stop.wait(timeout)

    def close(self) -> None:
        for closing in (self.listener, self.conn):
            try:
                if closing is not None:
                    closing.close()
            except Exception:
                pass
