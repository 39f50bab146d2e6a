"""Checking a candidate in: finding them on today's roster, then giving them a cell.

Refusals form a closed set (:data:`REFUSALS`); the kiosk translates each code into a
screen telling the person what to do next.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import allocation, audit, states, transitions
from .errors import DomainError, NoFreeCell
from .models import Cabinet, Candidate, RosterEntry, Sitting
from .timeutil import local_today, utcnow
from .vocabulary import CommandPurpose, IdentifiedBy, Language, SittingStatus, values

#: Every reason a check-in can be refused, with what it means.
REFUSALS = {
    "invalid_iin": "the IIN is malformed or its check digit is wrong",
    "unreadable_card": "the scanned ID card, barcode or QR code could not be read",
    "document_expired": "the ID card's expiry date has passed",
    # One code whether the person is on another day's roster or on none: a kiosk is a
    # public device, and what it answers must not tell who is on which roster.
    "not_on_roster": "the person is not on today's roster of this venue",
    "sitting_not_open": "today's sitting has not been opened yet",
    "registration_closed": "today's sitting is closed: registration has ended",
    "already_removed": "the person was removed from this attestation by an act of violation",
    "absence_recorded": "an absence was already recorded for this person today",
    "already_finished": "the person's attestation today is already decided",
    "interview_over": "the person's interview is over and their devices were returned",
    "devices_returned": "the person is registered but their devices were returned (or were "
                        "never put in a cell): staff take it from here",
    "not_acknowledged": "the stage plan and the device rules must both be acknowledged",
    "cabinet_full": "no free locker cell is in service",
    "lock_fault": "the cell's lock did not open",
    "identity_service_down": "the digital documents service did not answer",
    "not_identity_document": "the digital document is not an identity document",
    "document_not_found": "the digital document's QR code is unknown or has expired",
    "name_mismatch": "the names on the document do not match the roster",
    "session_expired": "the kiosk session timed out or was reset: start again",
    "too_many_attempts": "this kiosk had too many failed identifications in a short time",
}


class Refused(DomainError):
    """A check-in refusal; ``code`` is one of :data:`REFUSALS`."""

    def __init__(self, code: str, **details):
        assert code in REFUSALS, code
        super().__init__(REFUSALS[code], code=code, **details)


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
    rows = session.execute(
        select(RosterEntry, Sitting).join(Sitting).join(Candidate)
        .where(Candidate.iin == iin, Sitting.venue_id == venue_id)).all()
    todays = [(e, s) for e, s in rows if s.date == today]
    if not todays:
        raise Refused("not_on_roster")
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
        raise Refused("already_removed")
    if entry.state in (states.ABSENT_VALID, states.ABSENT_INVALID):
        raise Refused("absence_recorded")
    if entry.state == states.DECIDED:
        raise Refused("already_finished")
    if entry.state == states.EXPECTED:
        if sitting.status == SittingStatus.CLOSED:
            raise Refused("registration_closed")
        if sitting.status != SittingStatus.OPEN:
            raise Refused("sitting_not_open")
        return
    if allocation.active_assignment(session, entry.id) is None:
        raise Refused("interview_over" if entry.state == states.INTERVIEWED else "devices_returned")


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
    query = select(RosterEntry).where(RosterEntry.id == request.entry_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    entry = session.execute(query).scalar_one()
    current = allocation.active_assignment(session, entry.id)
    if current is not None:
        cell = current.cell
        return CheckInResult(entry.id, cell.cabinet.name, cell.number, cell.id, None, True)
    refuse_unless_can_check_in(session, entry, entry.sitting)
    if request.stages_acknowledged_at is None or request.rules_acknowledged_at is None:
        raise Refused("not_acknowledged")
    if request.language not in values(Language):
        raise DomainError("the attestation language is Kazakh (kk) or Russian (ru)",
                          code="invalid_language")
    try:
        cell = allocation.claim_free_cell(session, request.venue_id, request.cabinet_id)
    except NoFreeCell:
        raise Refused("cabinet_full") from None
    assignment = allocation.assign(session, entry, cell, actor)
    transitions.apply(session, entry, "check_in", actor, at=utcnow(),
                      language=request.language, identified_by=request.identified_by,
                      identity_to_check=(request.identified_by == IdentifiedBy.IIN),
                      checkin_device=actor.device or actor.name,
                      stages_acknowledged_at=request.stages_acknowledged_at,
                      rules_acknowledged_at=request.rules_acknowledged_at)
    command = allocation.queue_unlock(session, cell, CommandPurpose.CHECKIN, actor, assignment,
                                      sitting_id=entry.sitting_id)
    cabinet = session.get(Cabinet, cell.cabinet_id)
    return CheckInResult(entry.id, cabinet.name, cell.number, cell.id, command.id, False)
