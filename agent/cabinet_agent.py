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

The parts: :mod:`agent.commands` executes the commands, :mod:`agent.doors` watches the
doors, :mod:`agent.timing` holds every clock; this module runs them on one bus.
"""

from __future__ import annotations

import socket
import threading
import time

from sqlalchemy import select

from attestation import audit, changes
from attestation.cabinet_state import HEARTBEAT_INTERVAL
from attestation.db import Database
from attestation.models import AgentHeartbeat, Cabinet, Cell
from attestation.timeutil import utcnow
from locker_driver.registry import make_driver
from serving import sdnotify

from .commands import CommandRunner
from .doors import DoorWatcher
from .timing import AgentTiming


class CabinetAgent:
    """One cabinet's bus: its command queue and its doors, in one loop.

    ``timing``: the agent's clocks (:class:`~agent.timing.AgentTiming`); ``max_attempts``:
    sends of an unlock whose frame provably never left; ``faulty_after``: failed commands
    in a row that take a cell out of service.
    """

    def __init__(self, db: Database, cabinet_name: str, *, driver=None,
                 timing: AgentTiming = AgentTiming(), max_attempts: int = 3, faulty_after: int = 2):
        self.db = db
        self.cabinet_name = cabinet_name
        self.driver = driver
        self.timing = timing
        self.max_attempts = max_attempts
        self.faulty_after = faulty_after
        self.actor = audit.Actor(f"agent:{cabinet_name}", f"host:{socket.gethostname()}")
        self.last_loop = time.monotonic()
        self._last_heartbeat = 0.0
        self._stop = threading.Event()
        #: Set once :meth:`start` is done: everything off, doors read, heartbeat written.
        self.ready = threading.Event()
        self.signal: changes.Signal | None = None
        self.commands: CommandRunner | None = None
        self.doors: DoorWatcher | None = None

    @property
    def board_errors(self) -> dict[int, str | None]:
        """Board address -> why it does not answer (None: it does)."""
        return self.doors.board_errors if self.doors else {}

    # -- start-up ----------------------------------------------------------------------
    def start(self) -> None:
        """Everything off, the doors read, what a crash left settled (see the rule above)."""
        with self.db.read() as s:
            cab = s.execute(select(Cabinet).where(Cabinet.name == self.cabinet_name)).scalar()
            if cab is None:
                raise LookupError(f"no cabinet named {self.cabinet_name!r}")
            self.cabinet_id = cab.id
            rows = s.execute(select(Cell).where(Cell.cabinet_id == cab.id)).scalars().all()
            cells = {c.id: (c.board, c.lock, c.has_sensor) for c in rows}
            if self.driver is None:
                self.driver = make_driver(cab.driver, cab.port, cab.settings,
                                          boards=sorted({c.board for c in rows}),
                                          door_open_when_set=cab.door_open_when_set)
        if self.signal is None:
            self.signal = changes.Signal(self.db, changes.LOCK_COMMANDS, wakeup_cabinet=self.cabinet_id)
        self.commands = CommandRunner(self.db, self.actor, self.cabinet_id, cells, self.driver,
                                      self.timing, self.signal, max_attempts=self.max_attempts,
                                      faulty_after=self.faulty_after)
        self.doors = DoorWatcher(self.db, self.actor, self.cabinet_name, cells, self.driver,
                                 self.timing, finish=self.commands.finish,
                                 unlock_waiting=self.commands.unlock_waiting)
        self.doors.board_errors.update(self.driver.all_off())
        with self.db.write() as s:
            audit.append(s, self.actor, "agent.started", "cabinet", self.cabinet_id,
                         after={"boards": {str(b): e for b, e in self.board_errors.items()}})
        self.doors.poll(initial=True)
        self.commands.recover_sent()
        self._heartbeat()
        self.ready.set()

    # -- the loop ------------------------------------------------------------------------
    def step(self) -> bool:
        """One pass: execute the next due unlock; poll the doors when due and no unlock is
        waiting (unlocks before polls); check jams.  True when an unlock was executed:
        the caller loops again at once, so a queue of unlocks goes out back to back."""
        self.last_loop = time.monotonic()
        executed = False
        if self.commands.unlock_waiting():
            executed, pulse = self.commands.execute_next()
            if pulse is not None:
                self.doors.expect(pulse)
        if (time.monotonic() >= self.doors.next_poll_at()
                and not (executed and self.commands.unlock_waiting())):
            self.doors.poll()
        self.doors.check_jams()
        if time.monotonic() - self._last_heartbeat >= HEARTBEAT_INTERVAL:
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
                    wait = self.doors.next_poll_at() - time.monotonic()
                    self.signal.wait(min(max(wait, 0.0), 1.0), stop)
        finally:
            self.signal.close()
            self.driver.all_off()
            self.driver.close()

    def stop(self) -> None:
        self._stop.set()

    def health(self) -> dict:
        return {"cabinet": self.cabinet_name, "boards": self.board_errors,
                "pending_doors": len(self.doors.pending) if self.doors else 0,
                "loop_age_s": round(time.monotonic() - self.last_loop, 3)}


def serve(db: Database, cabinet_names: list[str], *, timing: AgentTiming = AgentTiming()) -> None:
    """Run one agent per cabinet (one queue per bus), each in its own thread.

    READY=1 is sent once every agent has started; WATCHDOG=1 is sent only while every
    agent's loop is alive, so a hung bus trips systemd's watchdog.
    """
    stop = threading.Event()
    agents = [CabinetAgent(db, name, timing=timing) for name in cabinet_names]
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
            if not ready and all(a.ready.is_set() for a in agents):
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
