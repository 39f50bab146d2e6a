"""The cabinet agent: the only process that touches a cabinet's locks.

It executes the lock commands queued for its cabinet (the outbox written by check-in,
"return devices" and force-open), one at a time, and watches the door sensors.

Command life: ``requested`` -> ``sent`` (written *before* the pulse) -> ``done`` | ``failed``.

* **An unlock frame is never written twice on its own.**  Once the frame may have reached
  the wire, a missing or corrupt reply is followed by a status read of the board: the
  door open means the pulse went out (``done``); the door closed means ``failed`` ("no
  reply, door closed") for staff to repeat or take the cell out of service; no sensor or
  no answer means ``failed`` with the door unknown.  Only an error that proves the frame
  never left (the port could not be opened, or the OS refused the write) is retried, up to
  ``max_attempts`` times.
  A failed command counts against the cell; ``faulty_after`` failed commands in a row
  mark the cell ``faulty`` (allocation skips it).
* With a door sensor, ``done`` means the door was *seen open* after the pulse; a pulse
  the board accepted while the door stayed shut for ``jam_timeout`` seconds is a jam:
  ``failed``, a ``jammed`` door event, a failure counted.  Without a sensor, ``done``
  means the board accepted the pulse.
* A door that opens with no command in flight is a ``forced_open`` alarm.
* A door that closes after its "return devices" unlock frees the cell.

**The rule after a crash** (a command found ``sent`` at start-up): it is never pulsed
again automatically.  If the door is open now, the pulse went out: ``done``.  Otherwise it
is ``failed`` ("interrupted") and staff decide: re-sending blindly could open a cell a
second time with someone's devices inside.  A command still ``requested`` (queued while
the agent was down, or before a kiosk crashed) is executed normally, once.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
import threading
import time

from sqlalchemy import select

from attestation import allocation, audit, changes
from attestation.cabinet_state import HEARTBEAT_INTERVAL
from attestation.db import Database
from attestation.models import (
    AgentHeartbeat,
    Assignment,
    Cabinet,
    Cell,
    DoorEvent,
    LockCommand,
)
from attestation.timeutil import utcnow
from attestation.vocabulary import (CellStatus, CommandPurpose, CommandStatus, DoorEventKind,
                                    DoorState)
from locker_driver import LockerError
from locker_driver.registry import make_driver
from serving import sdnotify

log = logging.getLogger(__name__)



class CabinetAgent:
    def __init__(self, db: Database, cabinet_name: str, *, driver=None,
                 poll_interval: float = 0.2,
                 jam_timeout: float = 5.0, max_attempts: int = 3, faulty_after: int = 2,
                 retry_delay: float = 0.5, forced_grace: float = 10.0,
                 quiet_poll_interval: float = 1.0, confirm_within: float = 0.25):
        """``poll_interval`` (s): how often boards with something to watch (an unlock
        waiting for its door, a door open) are read; ``quiet_poll_interval`` (s): every
        board, at least this often (a door forced open is seen within it).  Reading only
        the boards that matter keeps an idle agent at a few per cent of a Pi's core.
        ``confirm_within`` (s): during a burst of unlocks, the longest a pulsed door waits
        to be read."""
        self.db = db
        self.cabinet_name = cabinet_name
        self.driver = driver
        self.poll_interval = poll_interval
        self.jam_timeout = jam_timeout
        self.max_attempts = max_attempts
        self.faulty_after = faulty_after
        self.retry_delay = retry_delay
        self.forced_grace = forced_grace
        self.quiet_poll_interval = max(quiet_poll_interval, poll_interval)
        self.confirm_within = confirm_within
        self._last_full_poll = 0.0
        self.actor = audit.Actor(f"agent:{cabinet_name}", f"host:{socket.gethostname()}")
        self.pending: dict[int, tuple[int, float]] = {}  # cell id -> (command id, jam deadline)
        self.not_before: dict[int, float] = {}  # command id -> monotonic time of next attempt
        self.board_errors: dict[int, str | None] = {}
        self._door_cache: dict[int, bool] = {}  # cell id -> last reading (True = open)
        self.last_loop = time.monotonic()
        self._last_poll = 0.0
        self._poll_from = 0  # index in self.boards where the next full poll starts
        self._last_heartbeat = 0.0
        self._stop = threading.Event()
        self.signal: changes.Signal | None = None
        self._waiting: list[int] | None = None  # queued command ids, as last read

    # -- start-up ----------------------------------------------------------------------
    def start(self) -> None:
        with self.db.read() as s:
            cab = s.execute(select(Cabinet).where(Cabinet.name == self.cabinet_name)).scalar()
            if cab is None:
                raise LookupError(f"no cabinet named {self.cabinet_name!r}")
            self.cabinet_id = cab.id
            cells = s.execute(select(Cell).where(Cell.cabinet_id == cab.id)).scalars().all()
            self.cells = {c.id: (c.board, c.lock, c.has_sensor) for c in cells}
            self.boards = sorted({c.board for c in cells})
            if self.driver is None:
                self.driver = make_driver(cab.driver, cab.port, cab.settings, boards=self.boards,
                                          door_open_when_set=cab.door_open_when_set)
        self.board_errors = self.driver.all_off()
        if self.signal is None:
            self.signal = changes.Signal(self.db, changes.LOCK_COMMANDS, wakeup_cabinet=self.cabinet_id)
        with self.db.write() as s:
            audit.append(s, self.actor, "agent.started", "cabinet", self.cabinet_id,
                         after={"boards": {str(b): e for b, e in self.board_errors.items()}})
        self._poll_doors(initial=True)
        self._recover_sent()
        self._heartbeat()

    def _recover_sent(self) -> None:
        with self.db.write() as s:
            stuck = s.execute(select(LockCommand).where(
                LockCommand.cabinet_id == self.cabinet_id, LockCommand.status == CommandStatus.SENT)).scalars().all()
            for cmd in stuck:
                cell = s.get(Cell, cmd.cell_id)
                if cell.has_sensor and cell.door == DoorState.OPEN:
                    self._finish(s, cmd, CommandStatus.DONE, door_opened=True)
                else:
                    self._finish(s, cmd, CommandStatus.FAILED, error="interrupted: the agent stopped after "
                                 "sending this unlock; not repeated automatically")

    # -- the loop ------------------------------------------------------------------------
    def step(self) -> bool:
        """One pass: execute the next due unlock; poll the doors when due and no unlock is
        waiting (unlocks before polls); check jams.  True when an unlock was executed:
        the caller loops again at once, so a queue of unlocks goes out back to back."""
        self.last_loop = time.monotonic()
        executed = self._unlock_waiting() and self._execute_next()
        now = time.monotonic()
        interval = self.poll_interval / 2 if self.pending else self.poll_interval
        if now - self._last_poll >= interval and not (executed and self._unlock_waiting()):
            self._poll_doors()
        self._check_jams()
        if now - self._last_heartbeat >= HEARTBEAT_INTERVAL:
            self._heartbeat()
        return executed

    def _heartbeat(self) -> None:
        """Tell kiosks and the panel that this cabinet's agent is alive, and how its boards are."""
        self._last_heartbeat = time.monotonic()
        boards = {str(b): e for b, e in self.board_errors.items()}
        with self.db.write() as s:
            beat = s.get(AgentHeartbeat, self.cabinet_id)
            if beat is None:
                s.add(AgentHeartbeat(cabinet_id=self.cabinet_id, at=utcnow(),
                                     host=self.actor.device, boards=boards))
            else:
                beat.at, beat.host, beat.boards = utcnow(), self.actor.device, boards

    def run(self, stop: threading.Event | None = None) -> None:
        stop = stop or self._stop
        self.start()
        try:
            while not stop.is_set():
                if not self.step():
                    # Idle: sleep until the queue changes or the next poll is due.
                    due = self._last_poll + (self.poll_interval / 2 if self.pending else self.poll_interval)
                    self.signal.wait(min(max(due - time.monotonic(), 0.0), 1.0), stop)
        finally:
            self.signal.close()
            self.driver.all_off()
            self.driver.close()

    def stop(self) -> None:
        self._stop.set()

    # -- commands ------------------------------------------------------------------------
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

    def _execute_next(self) -> bool:
        claimed = self._claim()
        self._waiting = None  # the queue changed (or was read stale): read it again
        if claimed is None:
            return False
        cmd_id, cell_id, attempts = claimed
        board, lock, has_sensor = self.cells[cell_id]
        try:
            self.driver.open_lock(board, lock)
        except LockerError as exc:
            if exc.frame_sent:
                self._reply_lost(cmd_id, cell_id, exc)
            else:
                self._attempt_failed(cmd_id, attempts, exc)
            return True
        if has_sensor:
            self.pending[cell_id] = (cmd_id, time.monotonic() + self.jam_timeout)
            if not self._unlock_waiting():
                self._poll_doors([board])  # only this board: the others keep their own pace
            elif self._oldest_pending_age() > self.confirm_within:
                # A burst: unlocks go first, but a door is read within confirm_within of
                # its pulse, or one opened and shut quickly would never be seen open.
                self._poll_doors(sorted(self._pending_boards()))
        else:
            with self.db.write() as s:
                self._finish(s, s.get(LockCommand, cmd_id), CommandStatus.DONE)
        return True

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
                self._finish(s, cmd, CommandStatus.DONE, door_opened=True)
            elif opened is False:
                self._finish(s, cmd, CommandStatus.FAILED,
                             error=f"no reply, door closed; not repeated automatically ({error})")
            else:
                self._finish(s, cmd, CommandStatus.FAILED,
                             error=f"no reply, door state unknown; not repeated automatically ({error})")

    def _attempt_failed(self, cmd_id: int, attempts: int, exc: Exception) -> None:
        """The frame provably never reached the wire: the command may run again."""
        error = f"{type(exc).__name__}: {exc}"
        with self.db.write() as s:
            cmd = s.get(LockCommand, cmd_id)
            cmd.error = error
            if attempts < self.max_attempts:
                cmd.status = CommandStatus.REQUESTED
                self.not_before[cmd_id] = time.monotonic() + self.retry_delay * attempts
                audit.append(s, self.actor, "lock.retry", "lock_command", cmd.id,
                             after={"attempts": attempts, "error": error})
            else:
                self._finish(s, cmd, CommandStatus.FAILED, error=error)

    def _finish(self, s, cmd: LockCommand, status: str, *, error: str = "",
                door_opened: bool = False) -> None:
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

    # -- doors ---------------------------------------------------------------------------
    def _poll_doors(self, boards=None, initial: bool = False) -> None:
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
            cells = s.execute(select(Cell).where(Cell.id.in_(list(readings)))).scalars().all()
            for cell in cells:
                new = DoorState.OPEN if readings[cell.id] else DoorState.CLOSED
                old, changed = cell.door, new != cell.door
                self._door_cache[cell.id] = readings[cell.id]
                if changed:
                    cell.door, cell.door_changed_at = new, utcnow()
                if initial or old == DoorState.UNKNOWN and cell.id not in self.pending:
                    continue
                # A pending unlock of a door that was already open is done, not a jam.
                if new == DoorState.OPEN and (changed or cell.id in self.pending):
                    self._door_opened(s, cell)
                elif changed and new == DoorState.CLOSED:
                    self._door_closed(s, cell)

    def _oldest_pending_age(self) -> float:
        """Seconds since the oldest pulse whose door has not been seen open yet."""
        if not self.pending:
            return 0.0
        return time.monotonic() - (min(deadline for _, deadline in self.pending.values()) - self.jam_timeout)

    def _pending_boards(self) -> set[int]:
        return {self.cells[c][0] for c in self.pending}

    def _watched_boards(self) -> set[int]:
        """Boards with an unlock waiting for its door, or a door open."""
        cells = set(self.pending) | {c for c, opened in self._door_cache.items() if opened}
        return {self.cells[c][0] for c in cells if c in self.cells}

    def _poll_cycle(self, initial: bool):
        """The boards of a poll, from where the last one stopped, yielding to unlocks: every
        board when the quiet interval is up, else only the watched ones."""
        if not initial and time.monotonic() - self._last_full_poll < self.quiet_poll_interval:
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

    def _unlock_waiting(self) -> bool:
        """Is an unlock due?  The queue is read only when it may have changed (see
        :class:`attestation.changes.Signal`), so an idle agent's door polls cost no database reads."""
        if self._waiting is None or self.signal is None or self.signal.changed():
            with self.db.read() as s:
                self._waiting = s.execute(select(LockCommand.id).where(
                    LockCommand.cabinet_id == self.cabinet_id,
                    LockCommand.status == CommandStatus.REQUESTED)).scalars().all()
        now = time.monotonic()
        return any(self.not_before.get(cmd_id, 0) <= now for cmd_id in self._waiting)

    def _door_opened(self, s, cell: Cell) -> None:
        pending = self.pending.pop(cell.id, None)
        if pending is not None:
            cmd = s.get(LockCommand, pending[0])
            s.add(DoorEvent(cell_id=cell.id, kind=DoorEventKind.OPENED, command_id=cmd.id))
            self._audit_door(s, cell, DoorEventKind.OPENED)
            self._finish(s, cmd, CommandStatus.DONE, door_opened=True)
            return
        since = utcnow() - dt.timedelta(seconds=self.forced_grace)
        recent = s.execute(select(LockCommand.id).where(
            LockCommand.cell_id == cell.id, LockCommand.status.in_((CommandStatus.SENT, CommandStatus.DONE)),
            LockCommand.sent_at >= since)).first()
        if recent is not None:
            s.add(DoorEvent(cell_id=cell.id, kind=DoorEventKind.OPENED, command_id=recent[0]))
            self._audit_door(s, cell, DoorEventKind.OPENED)
            return
        s.add(DoorEvent(cell_id=cell.id, kind=DoorEventKind.FORCED_OPEN, detail="opened with no command"))
        s.flush()
        log.warning("cell %s of %s opened with no command", cell.number, self.cabinet_name)
        audit.append(s, self.actor, "door.forced_open", "cell", cell.id,
                     after={"cell": cell.number, "alarm": True})

    def _audit_door(self, s, cell: Cell, what: str) -> None:
        s.flush()
        audit.append(s, self.actor, f"door.{what}", "cell", cell.id,
                     after={"cell": cell.number, "cell_id": cell.id})

    def _door_closed(self, s, cell: Cell) -> None:
        s.add(DoorEvent(cell_id=cell.id, kind=DoorEventKind.CLOSED))
        self._audit_door(s, cell, DoorEventKind.CLOSED)
        assignment = s.execute(select(Assignment).where(
            Assignment.cell_id == cell.id, Assignment.released_at.is_(None),
            Assignment.return_requested_at.is_not(None))).scalar()
        if assignment is not None:
            opened = s.execute(select(LockCommand.id).where(
                LockCommand.assignment_id == assignment.id, LockCommand.purpose == CommandPurpose.RETURN,
                LockCommand.door_opened_at.is_not(None))).first()
            if opened is not None:
                allocation.release(s, assignment, self.actor)

    def _check_jams(self) -> None:
        now = time.monotonic()
        late = [cell_id for cell_id, (_, deadline) in self.pending.items() if now >= deadline]
        if late:  # a burst of unlocks may have put off their reads: read these boards first
            self._poll_doors(sorted({self.cells[c][0] for c in late}))
        for cell_id in late:
            if cell_id not in self.pending:
                continue  # seen open just now
            cmd_id, _ = self.pending.pop(cell_id)
            with self.db.write() as s:
                s.add(DoorEvent(cell_id=cell_id, kind=DoorEventKind.JAMMED, command_id=cmd_id,
                                detail="unlock accepted, door never seen open: jammed, or its "
                                       "sensor is not responding"))
                # The sensor cannot tell a jammed door from a dead sensor; the pulse went out
                # either way, so it is never repeated, and staff look at the door.
                self._finish(s, s.get(LockCommand, cmd_id), CommandStatus.FAILED,
                             error=f"jammed, or the door sensor is not responding: the board "
                                   f"accepted the unlock but the door was not seen open within "
                                   f"{self.jam_timeout:g} s")

    def health(self) -> dict:
        return {"cabinet": self.cabinet_name, "boards": self.board_errors,
                "pending_doors": len(self.pending),
                "loop_age_s": round(time.monotonic() - self.last_loop, 3)}


def serve(db: Database, cabinet_names: list[str], **agent_kwargs) -> None:
    """Run one agent per cabinet (one queue per bus), each in its own thread.

    READY=1 is sent once every agent has started; WATCHDOG=1 is sent only while every
    agent's loop is alive, so a hung bus trips systemd's watchdog.
    """
    stop = threading.Event()
    agents = [CabinetAgent(db, name, **agent_kwargs) for name in cabinet_names]
    errors: list[BaseException] = []

    def runner(agent):
        try:
            agent.run(stop)
        except BaseException as exc:  # reported by the supervisor below
            errors.append(exc)
            stop.set()

    threads = [threading.Thread(target=runner, args=(a,), daemon=True, name=a.cabinet_name)
               for a in agents]
    for t in threads:
        t.start()
    ping = sdnotify.watchdog_interval() or 5.0
    ready = False
    try:
        while not stop.is_set():
            stop.wait(min(ping, 1.0))
            if errors:
                break
            alive = all(time.monotonic() - a.last_loop < max(10.0, ping) for a in agents)
            if not ready and all(getattr(a, "cabinet_id", None) for a in agents):
                sdnotify.notify("READY=1")
                ready = True
            if ready and alive:
                sdnotify.notify("WATCHDOG=1")
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=5)
    if errors:
        raise errors[0]
