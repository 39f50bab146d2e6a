"""Acts of violation (point 7): drawn up by the commission, they remove the candidate.

Acts are numbered sequentially per venue and calendar year (local time).  The unique
constraint (venue, year, number) makes two simultaneous acts collide rather than share a
number; the caller's transaction is then retried.  Acts are never edited: a correction
is a new act that points at the one it corrects and does not remove anyone again.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import audit, loaders, transitions
from .errors import LONG_TEXT_LIMIT, InvalidInput, check_text
from .models import RosterEntry, Sitting, ViolationAct
from .vocabulary import ViolationKind, values
from .timeutil import LOCAL_TZ, local, utcnow


def next_number(session: Session, venue_id: int, year: int) -> int:
    top = session.execute(select(func.max(ViolationAct.number)).where(
        ViolationAct.venue_id == venue_id, ViolationAct.year == year)).scalar()
    return (top or 0) + 1


def draw_up(session: Session, entry: RosterEntry, *, kind: str, description: str,
            occurred_at: dt.datetime, recorded_by_id: int, witnesses: str = "",
            actor: audit.Actor, corrects: ViolationAct | None = None) -> ViolationAct:
    if kind not in values(ViolationKind):
        raise InvalidInput(f"kind of violation must be one of {', '.join(ViolationKind)}",
                           code="invalid_kind")
    if not description.strip():
        raise InvalidInput("describe what happened", code="description_required")
    check_text(description, "the description", LONG_TEXT_LIMIT, multiline=True)
    check_text(witnesses, "the witnesses", LONG_TEXT_LIMIT, multiline=True)
    earliest = dt.datetime.combine(entry.sitting.date - dt.timedelta(days=1), dt.time(0), LOCAL_TZ)
    if occurred_at < earliest:
        raise InvalidInput("the violation is dated before its sitting", code="invalid_time")
    if occurred_at.tzinfo is None:
        raise InvalidInput("the time of the violation needs its time zone", code="invalid_time")
    if occurred_at > utcnow() + dt.timedelta(minutes=5):
        raise InvalidInput("the violation cannot be in the future", code="future_time")
    if corrects is not None and corrects.roster_entry_id != entry.id:
        raise InvalidInput("a correction must concern the same candidate", code="wrong_candidate")
    sitting = session.get(Sitting, entry.sitting_id)
    year = local(utcnow()).year
    act = ViolationAct(venue_id=sitting.venue_id, year=year,
                       number=next_number(session, sitting.venue_id, year),
                       roster_entry_id=entry.id, kind=kind, description=description.strip(),
                       occurred_at=occurred_at, recorded_by_id=recorded_by_id,
                       witnesses=witnesses.strip(), corrects_id=corrects.id if corrects else None)
    if corrects is None:
        transitions.apply(session, entry, "remove", actor)
    session.add(act)
    session.flush()
    audit.append(session, actor, "violation.act", "violation_act", act.id,
                 after={"number": act.label, "roster_entry_id": entry.id, "kind": kind,
                        "description": act.description, "occurred_at": occurred_at,
                        "witnesses": act.witnesses, "corrects": act.corrects_id},
                 sitting_id=entry.sitting_id)
    return act


def get(session: Session, act_id: int) -> ViolationAct:
    return loaders.get(session, ViolationAct, act_id)
