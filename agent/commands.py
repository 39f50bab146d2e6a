"""Executing a cabinet's lock commands: claim one, send its frame, record the outcome.

Command life: ``requested`` -> ``sent`` (written *before* the pulse) -> ``done`` | ``failed``.
The rules (why a frame is never written twice on its own, what a crash leaves) are in
:mod:`agent.cabinet_agent`'s docstring; this module is where they are kept.
"""

from __future__ import annotations

import dataclasses
import time

from sqlalchemy import select, update

from attestation import audit
from attestation.db import Database
from attestation.timeutil import utcnow
from attestation.vocabulary import CellStatus, CommandStatus, DoorState
from locker_driver import LockerError

from . import statements as sql
from .timing import AgentTiming


@dataclasses.dataclass(frozen=True)
class Pulse:
    """An unlock the board accepted, awaiting its door: the command, its cell, and when
    the frame went out (``time.monotonic()``, s)."""

    command_id: int
    cell_id: int
    at: float


class CommandRunner:
    """One cabinet's queue of lock commands, executed one at a time on its bus.

    ``cells`` maps a cell id to ``(board, lock, has_sensor)``; ``signal`` tells when the
    queue may have changed (:class:`attestation.changes.Signal`), so an idle agent does not
    read it.  ``max_attempts``: sends of an unlock whose frame provably never left;
    ``faulty_after``: failed commands in a row that take a cell out of service.
    """

    def __init__(self, db: Database, actor: audit.Actor, cabinet_id: int, cells: dict, driver,
                 timing: AgentTiming, signal, *, max_attempts: int, faulty_after: int):
        self.db, self.actor, self.cabinet_id = db, actor, cabinet_id
        self.cells, self.driver, self.timing, self.signal = cells, driver, timing, signal
        self.max_attempts, self.faulty_after = max_attempts, faulty_after
        self.not_before: dict[int, float] = {}  # command id -> monotonic time of next attempt
        self._waiting: list[int] | None = None  # queued command ids, as last read

    def recover_sent(self) -> None:
        """A command found ``sent`` at start-up is never pulsed again: done if its door is
        open now, else failed ("interrupted") for staff to decide."""
        with self.db.write() as s:
            stuck = s.execute(select(sql.COMMANDS.c.id, sql.CELLS.c.has_sensor, sql.CELLS.c.door)
                              .join(sql.CELLS, sql.CELLS.c.id == sql.COMMANDS.c.cell_id)
                              .where(sql.COMMANDS.c.cabinet_id == self.cabinet_id,
                                     sql.COMMANDS.c.status == CommandStatus.SENT)).all()
            for cmd_id, has_sensor, door in stuck:
                if has_sensor and door == DoorState.OPEN:
                    self.finish(s, cmd_id, CommandStatus.DONE, door_opened=True)
                else:
                    self.finish(s, cmd_id, CommandStatus.FAILED, error="interrupted: the agent stopped after "
                                "sending this unlock; not repeated automatically")

    def unlock_waiting(self) -> bool:
        """Is an unlock due?  The queue is read only when it may have changed, so an idle
        agent's door polls cost no database reads."""
        if self._waiting is None or self.signal is None or self.signal.changed():
            with self.db.connect() as connection:
                self._waiting = connection.execute(sql.QUEUED, {"cabinet": self.cabinet_id}).scalars().all()
        now = time.monotonic()
        return any(self.not_before.get(cmd_id, 0) <= now for cmd_id in self._waiting)

    def _claim(self):
        """Mark the first due queued command ``sent``, committed before its frame goes out.

        One UPDATE of the id the queue read found: the row's status is checked again in
        it, so a command cancelled or claimed since is skipped, never sent."""
        now = time.monotonic()
        with self.db.write() as s:
            connection = s.connection()
            waiting = self._waiting
            if waiting is None:
                waiting = connection.execute(sql.QUEUED, {"cabinet": self.cabinet_id}).scalars().all()
            for cmd_id in waiting:
                if self.not_before.get(cmd_id, 0) > now:
                    continue
                claimed = connection.execute(sql.CLAIM, {"command": cmd_id, "sent": utcnow()}).first()
                if claimed is not None:
                    return (cmd_id, *claimed)
        return None

    def execute_next(self) -> tuple[bool, Pulse | None]:
        """Claim the next due unlock and send it.  Returns whether one was executed, and
        the pulse whose door is now to be watched (None: nothing to watch)."""
        claimed = self._claim()
        if claimed is None:
            self._waiting = None  # read stale: read it again
            return False, None
        cmd_id, cell_id, attempts = claimed
        if self._waiting is not None:  # the rest of the queue is as read (new ones wake us)
            self._waiting = [c for c in self._waiting if c != cmd_id]
        board, lock, has_sensor = self.cells[cell_id]
        try:
            self.driver.open_lock(board, lock)
        except LockerError as exc:
            if exc.frame_sent:
                self._reply_lost(cmd_id, cell_id, exc)
            else:
                self._attempt_failed(cmd_id, attempts, exc)
            return True, None
        if has_sensor:
            return True, Pulse(cmd_id, cell_id, time.monotonic())
        with self.db.write() as s:
            self.finish(s, cmd_id, CommandStatus.DONE)
        return True, None

    def _reply_lost(self, cmd_id: int, cell_id: int, exc: LockerError) -> None:
        """The frame may have pulsed the lock: look at the door instead of pulsing again."""
        board, lock, has_sensor = self.cells[cell_id]
        error = f"{type(exc).__name__}: {exc}"
        opened = None
        if has_sensor:
            try:
                opened = self.driver.read_doors(board).get(lock)
            except LockerError as read_exc:
                error += f"; the door could not be read either ({read_exc})"
        with self.db.write() as s:
            if opened:
                self.finish(s, cmd_id, CommandStatus.DONE, door_opened=True)
            elif opened is False:
                self.finish(s, cmd_id, CommandStatus.FAILED,
                            error=f"no reply, door closed; not repeated automatically ({error})")
            else:
                self.finish(s, cmd_id, CommandStatus.FAILED,
                            error=f"no reply, door state unknown; not repeated automatically ({error})")

    def _attempt_failed(self, cmd_id: int, attempts: int, exc: Exception) -> None:
        """The frame provably never reached the wire: the command may run again."""
        error = f"{type(exc).__name__}: {exc}"
        with self.db.write() as s:
            if attempts < self.max_attempts:
                s.execute(update(sql.COMMANDS).where(sql.COMMANDS.c.id == cmd_id)
                          .values(status=CommandStatus.REQUESTED, error=error))
                self.not_before[cmd_id] = time.monotonic() + self.timing.retry_delay * attempts
                self._waiting = None  # queued again: read it again
                audit.append(s, self.actor, "lock.retry", "lock_command", cmd_id,
                             after={"attempts": attempts, "error": error})
            else:
                self.finish(s, cmd_id, CommandStatus.FAILED, error=error)

    def finish(self, s, cmd_id: int, status: str, *, error: str = "",
               door_opened: bool = False) -> None:
        """Record a command's outcome in ``s``; a failure counts against its cell.

        Built statements on the session's connection, no ORM objects: this runs for every
        unlock, on the agent's path."""
        connection, now = s.connection(), utcnow()
        cell_id, attempts, error = connection.execute(sql.FINISH, {
            "command": cmd_id, "status": status, "finished": now, "error": error or None,
            "opened": now if door_opened else None}).one()
        number, failures, cell_status = connection.execute(
            sql.CLEAR_FAILURES if status == CommandStatus.DONE else sql.COUNT_FAILURE,
            {"cell": cell_id}).one()
        if failures >= self.faulty_after and cell_status == CellStatus.IN_SERVICE:
            # The full error stays in the command (a Text column) and its audit entry; the
            # reason names it rather than cutting it to fit the cell's column.
            reason = f"{failures} failed unlocks in a row; the last is unlock command {cmd_id}"
            connection.execute(update(sql.CELLS).where(sql.CELLS.c.id == cell_id)
                               .values(status=CellStatus.FAULTY, status_reason=reason))
            audit.append(s, self.actor, "cell.faulty", "cell", cell_id,
                         before={"status": CellStatus.IN_SERVICE},
                         after={"status": CellStatus.FAULTY, "reason": reason})
        self.not_before.pop(cmd_id, None)
        audit.append(s, self.actor, f"lock.{status}", "lock_command", cmd_id,
                     after={"cell": number, "cell_id": cell_id, "attempts": attempts,
                            "error": error, "door_opened": door_opened})
