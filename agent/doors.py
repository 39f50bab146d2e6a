"""Watching a cabinet's doors: which boards to read when, and what a door's move means.

A pulsed door seen open finishes its command; one not seen open within the jam timeout
is a jam; a door that opens with no command is a ``forced_open`` alarm; a door that
closes after its "return devices" unlock frees the cell.  Polls yield to unlocks: a
poll cycle stops between boards as soon as an unlock is waiting.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Callable

from attestation import allocation, audit
from attestation.db import Database
from attestation.models import Assignment
from attestation.timeutil import utcnow
from attestation.vocabulary import CommandStatus, DoorEventKind, DoorState
from locker_driver import LockerError

from . import statements as sql
from .commands import Pulse
from .timing import AgentTiming

log = logging.getLogger(__name__)


class DoorWatcher:
    """The door sensors of one cabinet.

    ``finish(session, command_id, status, error=..., door_opened=...)`` records a command's
    outcome (:meth:`agent.commands.CommandRunner.finish`); ``unlock_waiting()`` tells
    whether an unlock is due, so a poll gives way to it.
    """

    def __init__(self, db: Database, actor: audit.Actor, cabinet_name: str, cells: dict, driver,
                 timing: AgentTiming, *, finish: Callable, unlock_waiting: Callable[[], bool]):
        self.db, self.actor, self.cabinet_name = db, actor, cabinet_name
        self.cells, self.driver, self.timing = cells, driver, timing
        self.boards = sorted({board for board, _, _ in cells.values()})
        self._finish, self._unlock_waiting = finish, unlock_waiting
        self.pending: dict[int, Pulse] = {}  # cell id -> the pulse awaiting its door
        self.board_errors: dict[int, str | None] = {}
        self._door_cache: dict[int, bool] = {}  # cell id -> last reading (True = open)
        self._last_poll = 0.0
        self._last_full_poll = 0.0
        self._poll_from = 0  # index in self.boards where the next full poll starts

    # -- when to read ----------------------------------------------------------------------
    def next_poll_at(self) -> float:
        """``time.monotonic()`` at which the next poll is due."""
        return self._last_poll + self.timing.poll_every(bool(self.pending))

    def expect(self, pulse: Pulse) -> None:
        """Watch for the door of a pulse the board accepted."""
        self.pending[pulse.cell_id] = pulse
        if not self._unlock_waiting():
            self.poll([self.cells[pulse.cell_id][0]])  # only this board: the others keep their pace
        elif self._oldest_pending_age() > self.timing.confirm_within:
            # A burst: unlocks go first, but a door is read within confirm_within of its
            # pulse, or one opened and shut quickly would never be seen open.
            self.poll(sorted(self._pending_boards()))

    def _oldest_pending_age(self) -> float:
        """Seconds since the oldest pulse whose door has not been seen open yet."""
        if not self.pending:
            return 0.0
        return time.monotonic() - min(p.at for p in self.pending.values())

    def _pending_boards(self) -> set[int]:
        return {self.cells[c][0] for c in self.pending}

    def _watched_boards(self) -> set[int]:
        """Boards with an unlock waiting for its door, or a door open."""
        cells = set(self.pending) | {c for c, opened in self._door_cache.items() if opened}
        return {self.cells[c][0] for c in cells if c in self.cells}

    def _poll_cycle(self, initial: bool):
        """The boards of a poll, from where the last one stopped, yielding to unlocks: every
        board when the quiet interval is up, else only the watched ones."""
        if not initial and time.monotonic() - self._last_full_poll < self.timing.quiet_poll_interval:
            watched = self._watched_boards()
            self._last_poll = time.monotonic()
            yield from (b for b in self.boards if b in watched)
            return
        order = self.boards[self._poll_from:] + self.boards[:self._poll_from]
        for i, board in enumerate(order):
            if i and not initial and self._unlock_waiting():
                self._poll_from = self.boards.index(board)
                return
            yield board
        self._poll_from = 0
        self._last_poll = self._last_full_poll = time.monotonic()

    # -- reading ---------------------------------------------------------------------------
    def poll(self, boards=None, initial: bool = False) -> None:
        """Read the doors of ``boards`` (default: a full cycle over every board).

        Unlocks go ahead of polls: a full cycle yields between boards as soon as an unlock
        is waiting, so an unlock waits at most for the one status query on the wire; the
        next cycle starts where this one stopped.
        """
        if boards is None:
            boards = self._poll_cycle(initial)
        readings: dict[int, bool] = {}
        for board in boards:
            try:
                states = self.driver.read_doors(board)
                self.board_errors[board] = None
            except LockerError as exc:
                self.board_errors[board] = str(exc)
                continue
            for cell_id, (b, lock, has_sensor) in self.cells.items():
                if b == board and has_sensor and lock in states:
                    readings[cell_id] = states[lock]
        if not readings:
            return
        known = self._door_cache
        if not initial and not (self.pending.keys() & readings.keys()) and all(
                known.get(c) == v for c, v in readings.items()):
            return  # nothing moved: no write transaction at all
        with self.db.write() as s:
            connection = s.connection()
            for cell_id, number, old in connection.execute(sql.DOORS, {"ids": list(readings)}).all():
                new = DoorState.OPEN if readings[cell_id] else DoorState.CLOSED
                changed = new != old
                self._door_cache[cell_id] = readings[cell_id]
                if changed:
                    connection.execute(sql.SET_DOOR, {"cell": cell_id, "door": new, "at": utcnow()})
                if initial or old == DoorState.UNKNOWN and cell_id not in self.pending:
                    continue
                # A pending unlock of a door that was already open is done, not a jam.
                if new == DoorState.OPEN and (changed or cell_id in self.pending):
                    self._door_opened(s, cell_id, number)
                elif changed and new == DoorState.CLOSED:
                    self._door_closed(s, cell_id, number)

    # -- what a move means -----------------------------------------------------------------
    def _door_opened(self, s, cell_id: int, number: int) -> None:
        pulse = self.pending.pop(cell_id, None)
        if pulse is not None:
            self._event(s, cell_id, DoorEventKind.OPENED, command_id=pulse.command_id)
            self._audit_door(s, cell_id, number, DoorEventKind.OPENED)
            self._finish(s, pulse.command_id, CommandStatus.DONE, door_opened=True)
            return
        since = utcnow() - dt.timedelta(seconds=self.timing.forced_grace)
        recent = s.connection().execute(sql.RECENT_PULSE, {"cell": cell_id, "since": since}).first()
        if recent is not None:
            self._event(s, cell_id, DoorEventKind.OPENED, command_id=recent[0])
            self._audit_door(s, cell_id, number, DoorEventKind.OPENED)
            return
        self._event(s, cell_id, DoorEventKind.FORCED_OPEN, detail="opened with no command")
        log.warning("cell %s of %s opened with no command", number, self.cabinet_name)
        audit.append(s, self.actor, "door.forced_open", "cell", cell_id,
                     after={"cell": number, "alarm": True})

    @staticmethod
    def _event(s, cell_id: int, kind: str, command_id: int | None = None, detail: str = "") -> None:
        s.connection().execute(sql.DOOR_EVENT, {"cell_id": cell_id, "kind": kind,
                                                "command_id": command_id, "detail": detail})

    def _audit_door(self, s, cell_id: int, number: int, what: str) -> None:
        audit.append(s, self.actor, f"door.{what}", "cell", cell_id,
                     after={"cell": number, "cell_id": cell_id})

    def _door_closed(self, s, cell_id: int, number: int) -> None:
        self._event(s, cell_id, DoorEventKind.CLOSED)
        self._audit_door(s, cell_id, number, DoorEventKind.CLOSED)
        returned = s.connection().execute(sql.RETURNED, {"cell": cell_id}).scalar()
        if returned is not None:  # the devices were taken back: the cell is free again
            allocation.release(s, s.get(Assignment, returned), self.actor)

    def check_jams(self) -> None:
        """A pulse whose door was not seen open within the jam timeout: failed, never re-sent."""
        now = time.monotonic()
        late = [cell_id for cell_id, p in self.pending.items() if now >= p.at + self.timing.jam_timeout]
        if late:  # a burst of unlocks may have put off their reads: read these boards first
            self.poll(sorted({self.cells[c][0] for c in late}))
        for cell_id in late:
            if cell_id not in self.pending:
                continue  # seen open just now
            cmd_id = self.pending.pop(cell_id).command_id
            with self.db.write() as s:
                self._event(s, cell_id, DoorEventKind.JAMMED, command_id=cmd_id,
                            detail="unlock accepted, door never seen open: jammed, or its "
                                   "sensor is not responding")
                # The sensor cannot tell a jammed door from a dead sensor; the pulse went out
                # either way, so it is never repeated, and staff look at the door.
                self._finish(s, cmd_id, CommandStatus.FAILED,
                             error=f"jammed, or the door sensor is not responding: the board "
                                   f"accepted the unlock but the door was not seen open within "
                                   f"{self.timing.jam_timeout:g} s")
