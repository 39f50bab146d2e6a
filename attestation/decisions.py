"""The commission's protocol decision (point 4 (2)); outcomes and categories are data."""

from __future__ import annotations

from sqlalchemy.orm import Session

from . import audit, transitions
from .errors import InvalidInput
from .models import Category, Decision, Outcome, RosterEntry


def record(session: Session, entry: RosterEntry, *, outcome_code: str,
           category_code: str | None, recorded_by_id: int, actor: audit.Actor,
           note: str = "") -> Decision:
    outcome = session.get(Outcome, outcome_code)
    if outcome is None or not outcome.active:
        raise InvalidInput(f"unknown outcome {outcome_code!r}", code="invalid_outcome")
    if outcome.needs_category:
        category = session.get(Category, category_code) if category_code else None
        if category is None or not category.active:
            raise InvalidInput("this outcome needs a qualification category",
                               code="category_required")
    elif category_code:
        raise InvalidInput("this outcome takes no category", code="category_not_allowed")
    transitions.apply(session, entry, "decide", actor)
    decision = Decision(roster_entry_id=entry.id, outcome_code=outcome.code,
                        category_code=category_code or None, note=note,
                        recorded_by_id=recorded_by_id)
    session.add(decision)
    session.flush()
    audit.append(session, actor, "decision.recorded", "decision", decision.id,
                 after={"roster_entry_id": entry.id, "outcome": outcome.code,
                        "category": category_code, "note": note}, sitting_id=entry.sitting_id)
    return decision
