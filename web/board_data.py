"""What the live board shows about a sitting, built with a handful of bulk queries."""

from __future__ import annotations

import collections
import threading

from sqlalchemy import and_, func, select

from attestation import cabinet_state, corrections, states
from attestation.collation import name_key
from attestation import iin as iin_mod
from attestation.models import (
    Absence,
    Assignment,
    AuditEntry,
    Cabinet,
    Candidate,
    Cell,
    Decision,
    DoorEvent,
    LockCommand,
    RosterEntry,
    Sitting,
    ViolationAct,
)
from attestation.timeutil import local
from attestation.vocabulary import CommandPurpose, UnlockPhase

TIMES = ("checked_in_at", "documents_confirmed_at", "admitted_at", "interview_started_at",
         "interviewed_at", "decided_at", "removed_at", "absence_recorded_at")


def mark(s) -> tuple[int, int]:
    """Where the records stand: the last audit entry and the last door event."""
    return (s.execute(select(func.max(AuditEntry.id))).scalar() or 0,
            s.execute(select(func.max(DoorEvent.id))).scalar() or 0)


def version(s) -> str:
    """Changes whenever anything the board shows changes (audit entries, door events)."""
    return "%d.%d" % mark(s)


def _hhmm(moment):
    return local(moment).strftime("%H:%M") if moment else None


#: When a candidate came into each state (the board's "time" column).
STATE_SINCE = {states.CHECKED_IN: "checked_in_at", states.ADMITTED: "admitted_at",
               states.IN_INTERVIEW: "interview_started_at", states.INTERVIEWED: "interviewed_at",
               states.DECIDED: "decided_at", states.REMOVED: "removed_at",
               states.ABSENT_VALID: "absence_recorded_at", states.ABSENT_INVALID: "absence_recorded_at"}
#: The board's order: who needs someone's action comes first, in this order (and, in each
#: group, who has waited longest); devices still in a cell after the interview come last
#: of them; then everyone else, in the alphabet.
ACTION_FIRST = (states.CHECKED_IN, states.ADMITTED, states.IN_INTERVIEW)


def priority(entry, holds_cell: bool) -> list:
    """``[group, since]`` to sort the board by (``since``: ISO time, "" for the rest)."""
    since = getattr(entry, STATE_SINCE[entry.state]) if entry.state in STATE_SINCE else None
    if entry.state in ACTION_FIRST:
        group = ACTION_FIRST.index(entry.state)
    elif holds_cell:
        group = len(ACTION_FIRST)
    else:
        return [len(ACTION_FIRST) + 1, ""]
    return [group, since.isoformat() if since else ""]


#: What the board calls each phase of a "return devices" unlock.
RETURN_STATUS = {UnlockPhase.OPENING: "pending", UnlockPhase.LOCK_FAULT: "failed",
                 UnlockPhase.PUT_DEVICES: "opened", UnlockPhase.DONE: "opened"}


def return_status(cmd: LockCommand | None, assignment: Assignment, cell: Cell) -> str | None:
    """pending -> opened -> closed (cell free) | failed, for the "return devices" action."""
    if cmd is None:
        return None
    if assignment.released_at is not None:
        return "closed"
    return RETURN_STATUS[cabinet_state.unlock_phase(cmd, cell)]


_ENTRY_COLUMNS = (RosterEntry.id, RosterEntry.state, RosterEntry.language, RosterEntry.identified_by,
                  RosterEntry.identity_to_check, RosterEntry.identity_checked_at,
                  *(getattr(RosterEntry, k) for k in TIMES))
_PERSON_COLUMNS = (Candidate.last_name, Candidate.first_name, Candidate.middle_name, Candidate.iin,
                   Candidate.organization)


def board(s, sitting_id: int) -> dict:
    current = version(s)  # first, so the rows are at least as new as the version they carry
    return _board(s, sitting_id, _rows(s, sitting_id), current)


def patched(s, old: dict, entry_ids) -> dict:
    """``old`` with the rows of ``entry_ids`` read again: what a change to a few people
    costs on a board of thousands.  The whole board is read instead when one of them is
    new to it or was renamed (the order may change)."""
    current = version(s)
    sitting_id = old["sitting"]["id"]
    before = {row["id"]: row for row in old["rows"]}
    fresh = {row["id"]: row for row in _rows(s, sitting_id, set(entry_ids))}
    if any(i not in before or row["name"] != before[i]["name"] for i, row in fresh.items()):
        return _board(s, sitting_id, _rows(s, sitting_id), current)
    return _board(s, sitting_id, [fresh.get(row["id"], row) for row in old["rows"]], current)


def _board(s, sitting_id: int, rows: list[dict], current: str) -> dict:
    sitting = s.get(Sitting, sitting_id)
    counts = {state: 0 for state in states.STATES}
    for row in rows:
        counts[row["state"]] += 1
    return {"sitting": {"id": sitting.id, "date": sitting.date.isoformat(),
                        "start": sitting.start_time.strftime("%H:%M"), "status": sitting.status,
                        "venue": sitting.venue.code},
            "counts": counts, "total": len(rows), "rows": rows, "version": current}


def _rows(s, sitting_id: int, only: set[int] | None = None) -> list[dict]:
    """The board's rows in alphabetical order: everyone of the sitting, or ``only`` these."""
    among = RosterEntry.sitting_id == sitting_id
    if only is not None:
        among = and_(among, RosterEntry.id.in_(only))
    # Plain rows, not ORM objects: a board is built on every change it shows.
    entries = s.execute(select(*_ENTRY_COLUMNS, *_PERSON_COLUMNS).join(Candidate).where(among)).all()
    entries.sort(key=name_key)  # the alphabet, not code points (Ә after А)
    assignments = {}
    for a, cell, cab in s.execute(select(Assignment, Cell, Cabinet).join(Cell, Assignment.cell_id == Cell.id)
                                  .join(Cabinet).join(RosterEntry).where(among)
                                  .order_by(Assignment.id)).all():
        assignments[a.roster_entry_id] = (a, cell, cab)  # the latest per entry wins
    returns = {}
    assignment_ids = [a.id for a, _, _ in assignments.values()]
    if assignment_ids:
        for cmd in s.execute(select(LockCommand).where(LockCommand.assignment_id.in_(assignment_ids),
                                                       LockCommand.purpose == CommandPurpose.RETURN)
                             .order_by(LockCommand.id)).scalars():
            returns[cmd.assignment_id] = cmd
    acts = {}
    for act in s.execute(select(ViolationAct).join(RosterEntry).where(among)
                         .order_by(ViolationAct.id)).scalars():
        acts.setdefault(act.roster_entry_id, []).append(act)
    absences = corrections.standing_by_entry(s, Absence, sitting_id)
    decisions = corrections.standing_by_entry(s, Decision, sitting_id)
    corrected = corrections.of_entries(s, [entry.id for entry in entries])
    out = []
    for entry in entries:
        row = {
            "id": entry.id, "name": Candidate.full_name.fget(entry), "iin": iin_mod.mask(entry.iin),
            "organization": entry.organization, "state": entry.state,
            "language": entry.language, "identified_by": entry.identified_by,
            "identity_to_check": bool(entry.identity_to_check) and entry.identity_checked_at is None,
            "times": {k: _hhmm(getattr(entry, k)) for k in TIMES},
            "since": _hhmm(getattr(entry, STATE_SINCE[entry.state])) if entry.state in STATE_SINCE else None,
            "cell": None, "return": None, "acts": [], "absence": None, "decision": None,
            "corrections": [c.kind for c in corrected.get(entry.id, [])],
        }
        if entry.id in assignments:
            a, cell, cab = assignments[entry.id]
            row["cell"] = {"number": cell.number, "cabinet": cab.name, "door": cell.door,
                           "released": a.released_at is not None}
            row["return"] = return_status(returns.get(a.id), a, cell)
        row["priority"] = priority(entry, row["cell"] is not None and not row["cell"]["released"])
        for act in acts.get(entry.id, []):
            row["acts"].append({"id": act.id, "number": act.label, "kind": act.kind})
        if entry.id in absences and entry.state in (states.ABSENT_VALID, states.ABSENT_INVALID):
            ab = absences[entry.id]
            row["absence"] = {"reason": ab.reason, "deadline": ab.deadline.isoformat() if ab.deadline else None,
                              "deadline_shown": f"{ab.deadline:%d.%m.%Y}" if ab.deadline else None}
        if entry.id in decisions:
            d = decisions[entry.id]
            row["decision"] = {"outcome": d.outcome_code, "category": d.category_code}
        out.append(row)
    return out


class BoardCache:
    """Boards built once per (sitting, version) and shared by every open board.

    With 50 boards open on a 2,000-candidate sitting, building the board 50 times per
    change would take seconds; here the first request after a change builds it (the others
    wait for that one), and a client that says which version it holds gets only the rows
    that changed since (``since``), which is a few hundred bytes instead of the whole list.
    """

    def __init__(self, keep: int = 16):
        self.keep = keep
        self._boards: "collections.OrderedDict[tuple[int, str], dict]" = collections.OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[int, threading.Lock] = {}
        self._diffs: dict[tuple[int, str, str], dict] = {}

    def _remember(self, sitting_id: int, data: dict) -> None:
        with self._lock:
            self._boards[(sitting_id, data["version"])] = data
            while len(self._boards) > self.keep:
                self._boards.popitem(last=False)

    def _cached(self, sitting_id: int, ver: str):
        with self._lock:
            return self._boards.get((sitting_id, ver))

    def current(self, db, sitting_id: int) -> dict:
        with db.read() as s:
            ver = version(s)
        found = self._cached(sitting_id, ver)
        if found is not None:
            return found
        with self._lock:
            building = self._building.setdefault(sitting_id, threading.Lock())
        with building:  # one build per sitting at a time; latecomers reuse its result
            found = self._cached(sitting_id, ver)
            if found is None:
                with db.read() as s:
                    found = board(s, sitting_id)
                self._remember(sitting_id, found)
                if found["version"] != ver:
                    self._remember(sitting_id, dict(found, version=ver))
        return found

    def patch(self, db, old: dict, entry_ids) -> dict:
        """``old`` brought up to date for a change to these people (:func:`patched`),
        kept for the clients that fetch the board at its version."""
        with db.read() as s:
            new = patched(s, old, entry_ids)
        self._remember(new["sitting"]["id"], new)
        return new

    def answer(self, db, sitting_id: int, since: str | None) -> dict:
        """The whole board, or only what changed since the version the client holds."""
        now = self.current(db, sitting_id)
        old = self._cached(sitting_id, since) if since else None
        if old is None or not same_rows(old, now):
            return dict(now, full=True)
        key = (sitting_id, since, now["version"])
        with self._lock:
            diff = self._diffs.get(key)
        if diff is None:  # every open board holds the same version: compute the diff once
            diff = board_diff(old, now)
            with self._lock:
                self._diffs[key] = diff
                while len(self._diffs) > self.keep * 4:
                    self._diffs.pop(next(iter(self._diffs)))
        return diff


def same_rows(old: dict, new: dict) -> bool:
    """Whether both boards list the same people in the same order (a diff can say the rest)."""
    return len(old["rows"]) == len(new["rows"]) and all(
        a["id"] == b["id"] for a, b in zip(old["rows"], new["rows"]))


def board_diff(old: dict, new: dict) -> dict:
    """What a client holding ``old`` needs to show ``new`` (both list the same rows)."""
    return {"full": False, "from": old["version"], "version": new["version"],
            "counts": new["counts"], "total": new["total"], "sitting": new["sitting"],
            "changed": [row for row, before in zip(new["rows"], old["rows"]) if row != before]}
