"""Corrections: an earlier fact recorded by mistake is set aside by a new fact, never edited.

Whoever may record a fact may correct it (the panel's role matrix says who), with a
stated reason, until the sitting is closed (the chair reopens it for a late correction).
A correction is a :class:`~attestation.models.Correction` row naming what it sets
aside, plus an audit entry; the absence or decision it sets aside stays as it was.  From
which state each correction may be made is :data:`attestation.states.CORRECTIONS`.

Acts of violation are not corrected here: an act keeps its own correcting acts.
"""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from . import audit, decisions, roster_import, states
from .errors import InvalidInput, NotAllowed, check_text
from .models import Absence, Candidate, Correction, Decision, RosterEntry, Sitting
from .vocabulary import CorrectionKind, SittingStatus

#: The candidate's details a correction may fix (the IIN is not one: a wrong IIN is
#: another person, added as a walk-in).
DETAILS = ("last_name", "first_name", "middle_name", "organization", "position")


def standing(model):
    """A SQL condition: this absence or decision has not been set aside by a correction."""
    column = Correction.absence_id if model is Absence else Correction.decision_id
    return ~exists().where(column == model.id)


def standing_by_entry(s: Session, model, sitting_id: int) -> dict[int, Absence | Decision]:
    """The absences (or decisions) of a sitting that stand, by roster entry."""
    rows = s.execute(select(model).join(RosterEntry, RosterEntry.id == model.roster_entry_id)
                     .where(RosterEntry.sitting_id == sitting_id, standing(model))
                     .order_by(model.id)).scalars()
    return {row.roster_entry_id: row for row in rows}


def standing_of(s: Session, model, entry_id: int):
    """The absence (or decision) of one roster entry that stands, or None."""
    return s.execute(select(model).where(model.roster_entry_id == entry_id, standing(model))
                     .order_by(model.id.desc())).scalars().first()


def of_entries(s: Session, entry_ids) -> dict[int, list[Correction]]:
    """Every correction of these roster entries, oldest first, by entry."""
    out: dict[int, list[Correction]] = {}
    if entry_ids:
        for c in s.execute(select(Correction).where(Correction.roster_entry_id.in_(list(entry_ids)))
                           .order_by(Correction.id)).scalars():
            out.setdefault(c.roster_entry_id, []).append(c)
    return out


def available(entry: RosterEntry) -> list[str]:
    """The corrections the rules allow on ``entry`` now (before anyone's role is asked)."""
    if entry.sitting.status == SittingStatus.CLOSED:
        return []
    return [*states.corrections_from(entry.state), CorrectionKind.FIX_DETAILS]


def _check_open(sitting: Sitting) -> None:
    if sitting.status == SittingStatus.CLOSED:
        raise NotAllowed("the sitting is closed: the chair reopens it, with a reason, for a "
                         "correction", code="sitting_closed")


def _reason(text: str | None) -> str:
    reason = check_text((text or "").strip(), "the reason")
    if not reason:
        raise InvalidInput("state why the earlier record was wrong", code="reason_required")
    return reason


def _record(s: Session, entry: RosterEntry, kind: str, reason: str, recorded_by_id: int,
            actor: audit.Actor, before: dict, after: dict, **sets_aside) -> Correction:
    before, after = audit.jsonable(before), audit.jsonable(after)
    correction = Correction(roster_entry_id=entry.id, kind=kind, reason=reason, before=before,
                            after=after, recorded_by_id=recorded_by_id, **sets_aside)
    s.add(correction)
    s.flush()
    audit.append(s, actor, f"correction.{kind}", "roster_entry", entry.id, sitting_id=entry.sitting_id,
                 before=before, after=after | {"reason": reason, "correction": correction.id,
                                               **sets_aside})
    return correction


def _move(s: Session, entry: RosterEntry, kind: str) -> dict:
    """Move ``entry`` as the correction ``kind`` says; what it held before, for the record."""
    new_state = states.corrected_state(entry.state, kind)
    cleared = states.CORRECTION_CLEARS[kind]
    before = {"state": entry.state} | {name: getattr(entry, name) for name in cleared}
    entry.state = new_state
    for name in cleared:
        setattr(entry, name, None)
    return before


def withdraw_absence(s: Session, entry: RosterEntry, *, reason: str, recorded_by_id: int,
                     actor: audit.Actor) -> Correction:
    """The absence was recorded by mistake: the candidate is expected again (and may check in)."""
    _check_open(entry.sitting)
    reason = _reason(reason)
    absence = standing_of(s, Absence, entry.id)
    before = _move(s, entry, CorrectionKind.WITHDRAW_ABSENCE)
    before |= {"reason": absence.reason, "deadline": absence.deadline} if absence else {}
    return _record(s, entry, CorrectionKind.WITHDRAW_ABSENCE, reason, recorded_by_id, actor,
                   before, {"state": entry.state}, absence_id=absence.id if absence else None)


def withdraw_admission(s: Session, entry: RosterEntry, *, reason: str, recorded_by_id: int,
                       actor: audit.Actor) -> Correction:
    """Admitted by mistake (before the interview began): back to "checked in"."""
    _check_open(entry.sitting)
    reason = _reason(reason)
    before = _move(s, entry, CorrectionKind.WITHDRAW_ADMISSION)
    before["qualification_document"] = entry.qualification_document
    entry.qualification_document = ""
    return _record(s, entry, CorrectionKind.WITHDRAW_ADMISSION, reason, recorded_by_id, actor,
                   before, {"state": entry.state})


def supersede_decision(s: Session, entry: RosterEntry, *, outcome_code: str,
                       category_code: str | None, note: str = "", reason: str,
                       recorded_by_id: int, actor: audit.Actor) -> Correction:
    """A new decision replaces the one that stands (which stays, set aside by this record)."""
    _check_open(entry.sitting)
    reason = _reason(reason)
    old = standing_of(s, Decision, entry.id)
    states.corrected_state(entry.state, CorrectionKind.SUPERSEDE_DECISION)
    new = decisions.new_decision(s, entry, outcome_code=outcome_code, category_code=category_code,
                                 note=note, recorded_by_id=recorded_by_id)
    if old is not None and (old.outcome_code, old.category_code, old.note) == (
            new.outcome_code, new.category_code, new.note):
        raise InvalidInput("the new decision is the same as the one that stands",
                           code="nothing_changed")
    s.add(new)
    s.flush()
    before = {"outcome": old.outcome_code, "category": old.category_code, "note": old.note} if old else {}
    return _record(s, entry, CorrectionKind.SUPERSEDE_DECISION, reason, recorded_by_id, actor,
                   before, {"outcome": new.outcome_code, "category": new.category_code,
                            "note": new.note, "decision": new.id},
                   decision_id=old.id if old else None)


def fix_details(s: Session, entry: RosterEntry, *, reason: str, recorded_by_id: int,
                actor: audit.Actor, **details: str) -> Correction:
    """Fix the person's name, organisation or position (as the import would have taken them)."""
    _check_open(entry.sitting)
    reason = _reason(reason)
    person: Candidate = entry.candidate
    wanted = {name: (details.get(name, getattr(person, name)) or "").strip() for name in DETAILS}
    for name in ("last_name", "first_name"):
        if not wanted[name]:
            raise InvalidInput(f"{name} is empty", code="invalid_input", field=name)
    for name, value in wanted.items():
        check_text(value, name, Candidate.__table__.c[name].type.length)
    before = {name: getattr(person, name) for name in DETAILS if getattr(person, name) != wanted[name]}
    if not before:
        raise InvalidInput("nothing differs from what is recorded", code="nothing_changed")
    for name in before:
        setattr(person, name, wanted[name])
    return _record(s, entry, CorrectionKind.FIX_DETAILS, reason, recorded_by_id, actor,
                   before, {name: wanted[name] for name in before})


def add_candidate(s: Session, sitting: Sitting, row: dict, *, reason: str, recorded_by_id: int,
                  actor: audit.Actor) -> Correction:
    """A walk-in: one roster row added by hand, by the import's rules (raises RosterFileError)."""
    _check_open(sitting)
    reason = _reason(reason)
    row = {column: (row.get(column) or "").strip() for column in roster_import.COLUMNS}
    roster_import.import_rows(s, sitting, [(1, row)], actor)
    entry = s.execute(select(RosterEntry).join(Candidate).where(
        RosterEntry.sitting_id == sitting.id, Candidate.iin == row["iin"])).scalar_one()
    return _record(s, entry, CorrectionKind.ADD_CANDIDATE, reason, recorded_by_id, actor,
                   {}, {"iin": row["iin"], "name": entry.candidate.full_name})
