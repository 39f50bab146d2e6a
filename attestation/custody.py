"""The custody report of a sitting: every cell used that day, whose devices it held, and
when they went in, were locked, were asked back, came out and the cell was free again.

Read from the facts the kiosk and the agent recorded (assignments, unlock commands and
door events); nothing here is stored.  It is the annex of the protocol, so the archive
carries it too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from .collation import name_key
from .models import Assignment, Cabinet, Candidate, Cell, DoorEvent, LockCommand, RosterEntry
from .vocabulary import CommandPurpose, DoorEventKind


@dataclasses.dataclass(frozen=True)
class Custody:
    person: str
    cell: int
    cabinet: str
    opened_at: dt.datetime | None       # the check-in unlock opened the door: devices in
    locked_at: dt.datetime | None       # the door closed on them
    return_asked_at: dt.datetime | None
    return_asked_by: str                # who asked (the audit actor, "user:NAME")
    returned_at: dt.datetime | None     # the return unlock opened the door: devices out
    released_at: dt.datetime | None     # the door closed again, the cell free


def report(session: Session, sitting_id: int) -> list[Custody]:
    """One row per assignment of the sitting, in the order of the people's names."""
    rows = session.execute(
        select(Assignment, Candidate, Cell.number, Cabinet.name)
        .join(RosterEntry, RosterEntry.id == Assignment.roster_entry_id)
        .join(Candidate, Candidate.id == RosterEntry.candidate_id)
        .join(Cell, Cell.id == Assignment.cell_id).join(Cabinet, Cabinet.id == Cell.cabinet_id)
        .where(RosterEntry.sitting_id == sitting_id)).all()
    ids = [a.id for a, *_ in rows]
    commands: dict[tuple[int, str], LockCommand] = {}
    for cmd in session.execute(select(LockCommand).where(LockCommand.assignment_id.in_(ids))
                               .order_by(LockCommand.id)).scalars():
        commands.setdefault((cmd.assignment_id, cmd.purpose), cmd)  # the first of each kind
    closes: dict[int, list[dt.datetime]] = {}
    cells = {a.cell_id for a, *_ in rows}
    for cell_id, at in session.execute(select(DoorEvent.cell_id, DoorEvent.at).where(
            DoorEvent.cell_id.in_(cells), DoorEvent.kind == DoorEventKind.CLOSED).order_by(DoorEvent.at)):
        closes.setdefault(cell_id, []).append(at)
    out = []
    for a, person, number, cabinet in sorted(rows, key=lambda row: (name_key(row[1]), row[0].id)):
        put = commands.get((a.id, CommandPurpose.CHECKIN))
        back = commands.get((a.id, CommandPurpose.RETURN))
        opened = put.door_opened_at if put else None
        until = a.return_requested_at or a.released_at
        locked = next((at for at in closes.get(a.cell_id, ())
                       if opened and at >= opened and (until is None or at <= until)), None)
        out.append(Custody(person.full_name, number, cabinet, opened, locked, a.return_requested_at,
                           back.requested_by if back else "", back.door_opened_at if back else None,
                           a.released_at))
    return out
