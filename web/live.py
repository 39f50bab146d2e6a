"""Live updates for the board and the cabinet view: what changed, and to whom it goes.

A live view (``/panel/api/sittings/<id>/events``, ``/panel/api/cabinets/<id>/events``)
checks who asks, as every view does, then answers :func:`stream_response`: a marker
naming the stream's *topic*.  The panel's server (:mod:`web.live_server`) sees the
marker and holds the connection itself, on its event loop: an open board costs a
socket and a queue, never a worker thread.

One :class:`ChangeFeed` thread per panel process learns that something was recorded
without polling each board (PostgreSQL: ``LISTEN records_changed``; SQLite: ``PRAGMA
data_version``, see :mod:`attestation.changes`), finds the people and sittings it
touched, reads again only those people's rows, and sends every open board of that
sitting the rows that changed (``event: board``).  A client that holds another version
than the diff's ``from`` fetches the board itself; ``event: change`` asks every client
to fetch (a person added to the sitting, the cabinet view).
"""

from __future__ import annotations

import json
import logging
import threading

from flask import Response
from sqlalchemy import select

from attestation import changes
from attestation.models import (Absence, Assignment, AuditEntry, Decision, DoorEvent, LockCommand, RosterEntry,
                                ViolationAct)

from .board_data import board_diff, mark, same_rows

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


#: Audit subjects that belong to one roster entry, by the table that says whose.
_OF_ENTRY = {"absence": Absence, "decision": Decision, "violation_act": ViolationAct,
             "assignment": Assignment}
#: The whole sitting's board: touched[sitting] is WHOLE when more than rows may change.
WHOLE = None


def touched(s, since: tuple[int, int], now: tuple[int, int]) -> dict[int, set[int] | None] | None:
    """Which boards the records between two marks may change, and which of their rows:
    ``{sitting id: {roster entry ids}}``, a sitting mapped to :data:`WHOLE` when its
    header or its list may change (a roster import, a status), or None for every board
    (a change that names no sitting, a user say).

    Most audit entries name a person's row or something of theirs (an absence, a
    decision, an act, a cell assignment); the agent's name a cell or an unlock, and a door
    event names a cell: those reach whoever ever held that cell."""
    entries: set[int] = set()
    whole: set[int] = set()
    cells: set[int] = set()
    commands: set[int] = set()
    owned: dict[str, set[int]] = {}
    for sitting_id, kind, subject in s.execute(
            select(AuditEntry.sitting_id, AuditEntry.subject_type, AuditEntry.subject_id)
            .where(AuditEntry.id > since[0], AuditEntry.id <= now[0])):
        if kind == "roster_entry":
            entries.add(int(subject))
        elif kind in _OF_ENTRY:
            owned.setdefault(kind, set()).add(int(subject))
        elif kind == "cell":
            cells.add(int(subject))
        elif kind == "lock_command":
            commands.add(int(subject))
        elif sitting_id is not None:
            whole.add(sitting_id)
        else:
            return None
    cells.update(s.execute(select(DoorEvent.cell_id).where(DoorEvent.id > since[1],
                                                            DoorEvent.id <= now[1])).scalars())
    if commands:
        cells.update(s.execute(select(LockCommand.cell_id).where(LockCommand.id.in_(commands))).scalars())
    if cells:
        owned.setdefault("assignment", set()).update(
            s.execute(select(Assignment.id).where(Assignment.cell_id.in_(cells))).scalars())
    for kind, ids in owned.items():
        model = _OF_ENTRY[kind]
        entries.update(s.execute(select(model.roster_entry_id).where(model.id.in_(ids))).scalars())
    out: dict[int, set[int] | None] = {}
    if entries:
        for entry_id, sitting_id in s.execute(select(RosterEntry.id, RosterEntry.sitting_id)
                                              .where(RosterEntry.id.in_(entries))):
            out.setdefault(sitting_id, set()).add(entry_id)
    out.update(dict.fromkeys(whole, WHOLE))
    return out


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
        #: The records' mark the last step sent everything up to.
        self._seen: tuple[int, int] | None = None

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True, name="live-feed")
                self._thread.start()

    def _run(self) -> None:
        signal = changes.Signal(self.db, changes.RECORDS)
        with self.db.read() as s:
            self._seen = mark(s)
        try:
            while not self.stop.is_set():
                self._forget_closed()
                signal.wait(self.fallback, self.stop)
                signal.changed()  # consumed: the marks below say whether anything is new
                try:
                    self.step()
                except Exception:  # the database may be briefly away; keep watching
                    log.exception("live feed")
                    self.stop.wait(self.fallback)
        finally:
            signal.close()

    def watch(self, name: str) -> None:
        """Called (from a worker thread) before a stream of ``name`` opens, so that its
        first change is sent as a diff from the board as it is now."""
        kind, ident = parse_topic(name)
        if kind != SITTING:
            return
        while True:
            with self._lock:
                if ident in self._shown:
                    return
            with self.db.read() as s:
                at = mark(s)  # first: the board read after it is at least this new
            board = self.cache.current(self.db, ident)
            with self._lock:
                # A board older than what the feed has sent would never get the changes
                # in between: read it again.
                if self._seen is None or (at[0] >= self._seen[0] and at[1] >= self._seen[1]):
                    self._shown.setdefault(ident, board)
                    return

    def _forget_closed(self) -> None:
        open_sittings = {ident for kind, ident in map(parse_topic, self.topics()) if kind == SITTING}
        with self._lock:
            for gone in set(self._shown) - open_sittings:
                del self._shown[gone]

    def step(self) -> None:
        """Send what was recorded since the last step."""
        with self.db.read() as s:
            now = mark(s)
            if now == self._seen:
                return
            changed = touched(s, self._seen, now)
        for name in self.topics():
            kind, ident = parse_topic(name)
            if kind == CABINET:
                self.publish(name, CHANGE)
            elif changed is None or ident in changed:
                self._send_board(name, ident, None if changed is None else changed[ident])
        with self._lock:
            self._seen = now

    def _send_board(self, name: str, sitting_id: int, rows: set[int] | None) -> None:
        with self._lock:
            old = self._shown.get(sitting_id)
        if old is not None and rows is not WHOLE:
            new = self.cache.patch(self.db, old, rows)
        else:
            new = self.cache.current(self.db, sitting_id)
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
