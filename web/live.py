"""Live updates for the board and the cabinet view: what changed, and to whom it goes.

A live view (``/panel/api/sittings/<id>/events``, ``/panel/api/cabinets/<id>/events``)
checks who asks, as every view does, then answers :func:`stream_response`: a marker
naming the stream's *topic*.  The panel's server (:mod:`web.live_server`) sees the
marker and holds the connection itself, on its event loop: an open board costs a
socket and a queue, never a worker thread.

One :class:`ChangeFeed` thread per panel process learns that something was recorded
without polling each board (PostgreSQL: ``LISTEN records_changed``; SQLite: ``PRAGMA
data_version``, see :mod:`attestation.changes`), finds the sittings it touched, builds
each touched board once and sends every open board of that sitting the rows that
changed (``event: board``).  A client that holds another version than the diff's
``from`` fetches the board itself; ``event: change`` asks every client to fetch (a
person added to the sitting, the cabinet view).
"""

from __future__ import annotations

import json
import logging
import threading

from flask import Response
from sqlalchemy import func, select

from attestation import changes
from attestation.models import Assignment, AuditEntry, DoorEvent, LockCommand, RosterEntry

from .board_data import board_diff, same_rows

log = logging.getLogger(__name__)

#: The response header that hands a stream to the server (never reaches the browser).
TOPIC_HEADER = "X-Live-Topic"
SITTING, CABINET = "sitting", "cabinet"
#: What a client gets when it should fetch for itself.
CHANGE = b"event: change\ndata: \n\n"
#: Sent first: how soon the browser reconnects (ms) after a stream ends.
RETRY = b"retry: 1000\n\n"
KEEPALIVE = b": keep-alive\n\n"


def topic(kind: str, ident: int) -> str:
    return f"{kind}:{ident}"


def parse_topic(value: str) -> tuple[str, int]:
    kind, _, ident = value.partition(":")
    return kind, int(ident)


def stream_response(kind: str, ident: int) -> Response:
    """The answer of a live view once the user may see the stream.

    Under the panel's server the stream follows; any other server (a development
    server, the test client) gets only this: the browser retries every 10 s and the
    page still shows what it fetched."""
    return Response(b"retry: 10000\n\n: live updates need `kioskctl serve panel`\n\n",
                    mimetype="text/event-stream",
                    headers={TOPIC_HEADER: topic(kind, ident), "Cache-Control": "no-store",
                             "X-Accel-Buffering": "no"})


def board_event(diff: dict) -> bytes:
    return b"event: board\ndata: " + json.dumps(diff, ensure_ascii=False, separators=(",", ":")).encode() + b"\n\n"


def mark(s) -> tuple[int, int]:
    """Where the records stand: the last audit entry and the last door event."""
    return (s.execute(select(func.max(AuditEntry.id))).scalar() or 0,
            s.execute(select(func.max(DoorEvent.id))).scalar() or 0)


def touched_sittings(s, since: tuple[int, int], now: tuple[int, int]) -> set[int] | None:
    """The sittings whose board the records between two marks may change (None: any).

    Most audit entries name their sitting; the agent's name a cell or an unlock, and a
    door event names a cell: those reach the sittings that ever held that cell.  An
    entry that names neither (a user, a cabinet) may show on any board."""
    sittings: set[int] = set()
    cells: set[int] = set()
    commands: set[int] = set()
    for sitting_id, kind, subject in s.execute(
            select(AuditEntry.sitting_id, AuditEntry.subject_type, AuditEntry.subject_id)
            .where(AuditEntry.id > since[0], AuditEntry.id <= now[0])):
        if sitting_id is not None:
            sittings.add(sitting_id)
        elif kind == "cell":
            cells.add(int(subject))
        elif kind == "lock_command":
            commands.add(int(subject))
        else:
            return None
    cells.update(s.execute(select(DoorEvent.cell_id).where(DoorEvent.id > since[1],
                                                            DoorEvent.id <= now[1])).scalars())
    if commands:
        cells.update(s.execute(select(LockCommand.cell_id).where(LockCommand.id.in_(commands))).scalars())
    if cells:
        sittings.update(s.execute(select(RosterEntry.sitting_id).distinct().join(Assignment)
                                  .where(Assignment.cell_id.in_(cells))).scalars())
    return sittings


class ChangeFeed:
    """The thread that turns records into messages for open streams.

    ``topics()`` says which streams are open; ``publish(topic, message)`` must be safe
    to call from this thread.  Timing: a commit reaches ``publish`` within a few ms on
    PostgreSQL, within ``look`` (8 ms) plus the board's build on SQLite; with no
    notification at all (a database without migration 0007) within ``fallback`` (1 s).
    """

    def __init__(self, db, cache, topics, publish, *, fallback: float = 1.0):
        self.db, self.cache = db, cache
        self.topics, self.publish = topics, publish
        self.fallback = fallback
        self.stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        #: The board each sitting's open streams were last brought to.
        self._shown: dict[int, dict] = {}

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True, name="live-feed")
                self._thread.start()

    def _run(self) -> None:
        signal = changes.Signal(self.db, changes.RECORDS)
        with self.db.read() as s:
            seen = mark(s)
        try:
            while not self.stop.is_set():
                self._forget_closed()
                signal.wait(self.fallback, self.stop)
                signal.changed()  # consumed: the marks below say whether anything is new
                try:
                    seen = self.step(seen)
                except Exception:  # the database may be briefly away; keep watching
                    log.exception("live feed")
                    self.stop.wait(self.fallback)
        finally:
            signal.close()

    def watch(self, name: str) -> None:
        """Called (from a worker thread) before a stream of ``name`` opens: its first
        change can then be sent as a diff from the board as it is now."""
        kind, ident = parse_topic(name)
        if kind == SITTING:
            with self._lock:
                known = ident in self._shown
            if not known:
                board = self.cache.current(self.db, ident)
                with self._lock:
                    self._shown.setdefault(ident, board)

    def _forget_closed(self) -> None:
        open_sittings = {ident for kind, ident in map(parse_topic, self.topics()) if kind == SITTING}
        with self._lock:
            for gone in set(self._shown) - open_sittings:
                del self._shown[gone]

    def step(self, seen: tuple[int, int]) -> tuple[int, int]:
        """Send what was recorded since ``seen``; returns the new mark."""
        with self.db.read() as s:
            now = mark(s)
            if now == seen:
                return seen
            touched = touched_sittings(s, seen, now)
        for name in self.topics():
            kind, ident = parse_topic(name)
            if kind == CABINET:
                self.publish(name, CHANGE)
            elif touched is None or ident in touched:
                self._send_board(name, ident)
        return now

    def _send_board(self, name: str, sitting_id: int) -> None:
        new = self.cache.current(self.db, sitting_id)
        with self._lock:
            old = self._shown.get(sitting_id)
        if old is not None and same_rows(old, new):
            diff = board_diff(old, new)
            if not diff["changed"] and diff["counts"] == old["counts"] and diff["sitting"] == old["sitting"]:
                return  # nothing shown changed: clients keep the version they hold
            message = board_event(diff)
        else:
            message = CHANGE  # someone added to the sitting: every client fetches
        with self._lock:
            self._shown[sitting_id] = new
        self.publish(name, message)
