"""Executing a cabinet's lock commands: claim one, send its frame, record the outcome.

Command life: ``requested`` -> ``sent`` (written *before* the pulse) -> ``done`` | ``failed``.
The rules (why a frame is never written twice on its own, what a crash leaves) are in
:mod:`agent.cabinet_agent`'s docstring; this module is where they are kept.
"""

from __future__ import annotations

import dataclasses
import time

from sqlalchemy import select

from attestation import audit
from attestation.db import Database
from attestation.models import Cell, LockCommand
from attestation.timeutil import utcnow
from attestation.vocabulary import CellStatus, CommandStatus, DoorState
from locker_driver import LockerError

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
            stuck = s.execute(select(LockCommand).where(
                LockCommand.cabinet_id == self.cabinet_id, LockCommand.status == CommandStatus.SENT)).scalars().all()
            for cmd in stuck:
                cell = s.get(Cell, cmd.cell_id)
                if cell.has_sensor and cell.door == DoorState.OPEN:
                    self.finish(s, cmd, CommandStatus.DONE, door_opened=True)
                else:
                    self.finish(s, cmd, CommandStatus.FAILED, error="interrupted: the agent stopped after "
                                "sending this unlock; not repeated automatically")

    def unlock_waiting(self) -> bool:
        """Is an unlock due?  The queue is read only when it may have changed, so an idle
        agent's door polls cost no database reads."""
        if self._waiting is None or self.signal is None or self.signal.changed():
            with self.db.read() as s:
                self._waiting = s.execute(select(LockCommand.id).where(
                    LockCommand.cabinet_id == self.cabinet_id,
                    LockCommand.status == CommandStatus.REQUESTED)).scalars().all()
        now = time.monotonic()
        return any(self.not_before.get(cmd_id, 0) <= now for cmd_id in self._waiting)

    def _claim(self):
        now = time.monotonic()
        with self.db.write() as s:
            query = (select(LockCommand).where(LockCommand.cabinet_id == self.cabinet_id,
                                               LockCommand.status == CommandStatus.REQUESTED)
                     .order_by(LockCommand.id))
            if not self.db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            for cmd in s.execute(query).scalars():
                if self.not_before.get(cmd.id, 0) > now:
                    continue
                cmd.status = CommandStatus.SENT
                cmd.attempts += 1
                cmd.sent_at = utcnow()
                return cmd.id, cmd.cell_id, cmd.attempts
        return None

    def execute_next(self) -> tuple[bool, Pulse | None]:
        """Claim the next due unlock and send it.  Returns whether one was executed, and
        the pulse whose door is now to be watched (None: nothing to watch)."""
        claimed = self._claim()
        self._waiting = None  # the queue changed (or was read stale): read it again
        if claimed is None:
            return False, None
        cmd_id, cell_id, attempts = claimed
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
            self.finish(s, s.get(LockCommand, cmd_id), CommandStatus.DONE)
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
            cmd = s.get(LockCommand, cmd_id)
            if opened:
                self.finish(s, cmd, CommandStatus.DONE, door_opened=True)
            elif opened is False:
                self.finish(s, cmd, CommandStatus.FAILED,
                            error=f"no reply, door closed; not repeated automatically ({error})")
            else:
                self.finish(s, cmd, CommandStatus.FAILED,
                            error=f"no reply, door state unknown; not repeated automatically ({error})")

    def _attempt_failed(self, cmd_id: int, attempts: int, exc: Exception) -> None:
        """The frame provably never reached the wire: the command may run again."""
        error = f"{type(exc).__name__}: {exc}"
        with self.db.write() as s:
            cmd = s.get(LockCommand, cmd_id)
            cmd.error = error
            if attempts < self.max_attempts:
                cmd.status = CommandStatus.REQUESTED
                self.not_before[cmd_id] = time.monotonic() + self.timing.retry_delay * attempts
                audit.append(s, self.actor, "lock.retry", "lock_command", cmd.id,
                             after={"attempts": attempts, "error": error})
            else:
                self.finish(s, cmd, CommandStatus.FAILED, error=error)

    def finish(self, s, cmd: LockCommand, status: str, *, error: str = "",
               door_opened: bool = False) -> None:
        """Record a command's outcome in ``s``; a failure counts against its cell."""
        cmd.status = status
        cmd.finished_at = utcnow()
        if error:
            cmd.error = error
        if door_opened:
            cmd.door_opened_at = cmd.finished_at
        cell = s.get(Cell, cmd.cell_id)
        if status == CommandStatus.DONE:
            cell.consecutive_failures = 0
        else:
            cell.consecutive_failures += 1
            if cell.consecutive_failures >= self.faulty_after and cell.status == CellStatus.IN_SERVICE:
                cell.status = CellStatus.FAULTY
                # The full error stays in the command (a Text column) and its audit entry; the
                # reason names it rather than cutting it to fit the cell's column.
                cell.status_reason = (f"{cell.consecutive_failures} failed unlocks in a row; "
                                      f"the last is unlock command {cmd.id}")
                s.flush()
                audit.append(s, self.actor, "cell.faulty", "cell", cell.id,
                             before={"status": CellStatus.IN_SERVICE},
                             after={"status": CellStatus.FAULTY, "reason": cell.status_reason})
        self.not_before.pop(cmd.id, None)
        s.flush()
        audit.append(s, self.actor, f"lock.{status}", "lock_command", cmd.id,
                     after={"cell": cell.number, "cell_id": cell.id, "attempts": cmd.attempts,
                            "error": cmd.error,
                            "door_opened": door_opened})
