"""Admission by the secretary (point 7): the presented documents, then the interview.

The professional-qualification recognition document must be presented (and is recorded:
it becomes part of the attestation file, point 8); where only a typed IIN identified the
person at the kiosk, their identity document must also be checked before admission.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from . import audit, transitions
from .errors import InvalidInput, check_text
from .models import RosterEntry
from .timeutil import utcnow


def admit(session: Session, entry: RosterEntry, *, qualification_document: str,
          identity_checked: bool, actor: audit.Actor) -> RosterEntry:
    document = check_text((qualification_document or "").strip(), "the document reference")
    if not document:
        raise InvalidInput("record the professional-qualification document (kind and number)",
                           code="qualification_document_required")
    if entry.identity_to_check and not identity_checked:
        raise InvalidInput("this person identified with a typed IIN only: check their identity "
                           "document first", code="identity_check_required")
    now = utcnow()
    return transitions.apply(session, entry, "admit", actor, at=now,
                             qualification_document=document,
                             documents_confirmed_at=now,
                             identity_checked_at=now if entry.identity_to_check else None)


def call_in(session: Session, entry: RosterEntry, actor: audit.Actor) -> RosterEntry:
    return transitions.apply(session, entry, "start_interview", actor)


def finish_interview(session: Session, entry: RosterEntry, actor: audit.Actor) -> RosterEntry:
    return transitions.apply(session, entry, "finish_interview", actor)
