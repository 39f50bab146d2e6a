"""Absence (point 7): a valid reason postpones the attestation, none means not attested.

With a valid reason the question of the attestation moves to a date no later than one
month from the day the person returns to work: the deadline is the return date plus one
calendar month, clamped to the last day of a shorter month (31 January -> 28 or 29
February).
"""

from __future__ import annotations

import calendar
import datetime as dt

from sqlalchemy.orm import Session

from . import audit, transitions
from .errors import InvalidInput, check_text
from .models import Absence, RosterEntry
from .vocabulary import AbsenceReason, values


#: How far after the sitting a return-to-work date may plausibly lie.
RETURN_DATE_HORIZON = dt.timedelta(days=730)


def add_one_month(day: dt.date) -> dt.date:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))


def postponement_deadline(return_to_work: dt.date) -> dt.date:
    return add_one_month(return_to_work)


def record(session: Session, entry: RosterEntry, *, reason: str | None, document: str = "",
           return_date: dt.date | None = None, recorded_by_id: int | None,
           actor: audit.Actor) -> Absence:
    """Record why an expected candidate did not come (``reason=None``: no valid reason)."""
    if reason is None:
        event, deadline = "absent_invalid", None
    else:
        if reason not in values(AbsenceReason):
            raise InvalidInput(f"unknown absence reason {reason!r}; valid reasons: "
                               + ", ".join(AbsenceReason), code="invalid_reason")
        if not document.strip():
            raise InvalidInput("a valid reason needs its supporting document",
                               code="document_required")
        if return_date is None:
            raise InvalidInput("a valid reason needs the return-to-work date",
                               code="return_date_required")
        check_text(document, "the document reference")
        sitting_day = entry.sitting.date
        if not sitting_day <= return_date <= sitting_day + RETURN_DATE_HORIZON:
            raise InvalidInput(f"the return-to-work date must fall between the sitting "
                               f"({sitting_day}) and {RETURN_DATE_HORIZON.days} days after it",
                               code="invalid_date")
        event, deadline = "absent_valid", postponement_deadline(return_date)
    absence = Absence(roster_entry_id=entry.id, reason=reason, document=document.strip(),
                      return_date=return_date, deadline=deadline, recorded_by_id=recorded_by_id)
    transitions.apply(session, entry, event, actor)
    session.add(absence)
    session.flush()
    audit.append(session, actor, "absence.recorded", "absence", absence.id,
                 after={"roster_entry_id": entry.id, "reason": reason, "document": document,
                        "return_date": return_date, "deadline": deadline},
                 sitting_id=entry.sitting_id)
    return absence
