"""Checking a candidate in: finding them on today's roster, then giving them a cell.

Refusals form a closed set (:class:`~attestation.vocabulary.Refusal`); the kiosk
translates each code into a screen telling the person what to do next.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager

from . import allocation, audit, states, transitions
from .db import is_postgresql
from .errors import DomainError, NoFreeCell
from .models import Candidate, RosterEntry, Sitting
from .timeutil import local_today, utcnow
from .vocabulary import CommandPurpose, IdentifiedBy, Language, Refusal, SittingStatus, values

#: Every refusal code with what it means (for the API's documentation).
REFUSALS = {code: code.meaning for code in Refusal}


class Refused(DomainError):
    """A check-in refusal; ``code`` is a :class:`~attestation.vocabulary.Refusal` (or its
    string: anything else is a ValueError, with or without ``-O``)."""

    def __init__(self, code: Refusal | str, **details):
        code = Refusal(code)
        super().__init__(code.meaning, code=code, **details)


@dataclasses.dataclass(frozen=True)
class CheckInResult:
    entry_id: int
    cabinet: str
    cell_number: int
    cell_id: int
    command_id: int | None
    repeat: bool


def find_todays_entry(session: Session, venue_id: int, iin: str,
                      today: dt.date | None = None) -> RosterEntry:
    """The candidate's roster entry at this venue today, or a :class:`Refused`."""
    today = today or local_today()
    # The person and the sitting come in the same statement: the kiosk shows both.
    rows = session.execute(
        select(RosterEntry, Sitting).join(Sitting).join(Candidate)
        .options(contains_eager(RosterEntry.candidate), contains_eager(RosterEntry.sitting))
        .where(Candidate.iin == iin, Sitting.venue_id == venue_id)).all()
    todays = [(e, s) for e, s in rows if s.date == today]
    if not todays:
        raise Refused(Refusal.NOT_ON_ROSTER)
    # Several sittings today: prefer the one the person is active in, then an open one.
    todays.sort(key=lambda es: (es[0].state not in states.PRESENT, es[1].status != SittingStatus.OPEN,
                                es[1].start_time))
    entry, sitting = todays[0]
    refuse_unless_can_check_in(session, entry, sitting)
    return entry


def refuse_unless_can_check_in(session: Session, entry: RosterEntry, sitting: Sitting) -> None:
    """The one rule of who may go on at the kiosk; every roster state has its answer.

    Expected: only while the sitting is open.  On the premises (checked in to interviewed)
    with devices in a cell: yes (the kiosk shows that cell again).  Anything else is a
    refusal that says why, never an error.
    """
    if entry.state == states.REMOVED:
        raise Refused(Refusal.ALREADY_REMOVED)
    if entry.state in (states.ABSENT_VALID, states.ABSENT_INVALID):
        raise Refused(Refusal.ABSENCE_RECORDED)
    if entry.state == states.DECIDED:
        raise Refused(Refusal.ALREADY_FINISHED)
    if entry.state == states.EXPECTED:
        if sitting.status == SittingStatus.CLOSED:
            raise Refused(Refusal.REGISTRATION_CLOSED)
        if sitting.status != SittingStatus.OPEN:
            raise Refused(Refusal.SITTING_NOT_OPEN)
        return
    if allocation.active_assignment(session, entry.id) is None:
        raise Refused(Refusal.INTERVIEW_OVER if entry.state == states.INTERVIEWED
                      else Refusal.DEVICES_RETURNED)


@dataclasses.dataclass(frozen=True)
class CheckInRequest:
    """Everything a kiosk knows when a person asks for their cell."""

    entry_id: int
    venue_id: int
    #: The cabinet beside the kiosk; None = any cabinet of the venue.
    cabinet_id: int | None
    identified_by: str
    language: str
    #: When the stage plan and the device rules were acknowledged (None: they were not).
    stages_acknowledged_at: dt.datetime | None
    rules_acknowledged_at: dt.datetime | None
    actor: audit.Actor


def check_in(session: Session, request: CheckInRequest) -> CheckInResult:
    """Give the candidate a cell and queue its unlock; idempotent per candidate.

    Run it with :meth:`attestation.db.Database.run_write`, which owns the transaction and
    retries a collision with a concurrent kiosk.
    """
    actor = request.actor
    # Lock the roster row first: the same person at two kiosks queues here, and the
    # second one then sees the first one's assignment and gets the same cell.
    query = (select(RosterEntry).join(Sitting).options(contains_eager(RosterEntry.sitting))
             .where(RosterEntry.id == request.entry_id))
    if is_postgresql(session):
        query = query.with_for_update(of=RosterEntry)
    entry = session.execute(query).scalar_one()
    current = allocation.active_assignment(session, entry.id)
    if current is not None:
        cell = current.cell
        return CheckInResult(entry.id, cell.cabinet.name, cell.number, cell.id, None, True)
    refuse_unless_can_check_in(session, entry, entry.sitting)
    if request.stages_acknowledged_at is None or request.rules_acknowledged_at is None:
        raise Refused(Refusal.NOT_ACKNOWLEDGED)
    if request.language not in values(Language):
        raise DomainError("the attestation language is Kazakh (kk) or Russian (ru)",
                          code="invalid_language")
    try:
        cell = allocation.claim_free_cell(session, request.venue_id, request.cabinet_id)
    except NoFreeCell:
        raise Refused(Refusal.CABINET_FULL) from None
    assignment = allocation.assign(session, entry, cell, actor)
    transitions.apply(session, entry, "check_in", actor, at=utcnow(),
                      language=request.language, identified_by=request.identified_by,
                      identity_to_check=(request.identified_by == IdentifiedBy.IIN),
                      checkin_device=actor.device or actor.name,
                      stages_acknowledged_at=request.stages_acknowledged_at,
                      rules_acknowledged_at=request.rules_acknowledged_at)
    command = allocation.queue_unlock(session, cell, CommandPurpose.CHECKIN, actor, assignment,
                                      sitting_id=entry.sitting_id)
    return CheckInResult(entry.id, cell.cabinet.name, cell.number, cell.id, command.id, False)
