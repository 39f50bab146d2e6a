"""The commission's protocol decision (point 4 (2)); outcomes and categories are data."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import audit, transitions
from .errors import LONG_TEXT_LIMIT, InvalidInput, NotFound, check_text
from .models import Category, Decision, Outcome, RosterEntry


def record(session: Session, entry: RosterEntry, *, outcome_code: str,
           category_code: str | None, recorded_by_id: int, actor: audit.Actor,
           note: str = "") -> Decision:
    decision = new_decision(session, entry, outcome_code=outcome_code, category_code=category_code,
                            note=note, recorded_by_id=recorded_by_id)
    transitions.apply(session, entry, "decide", actor)
    session.add(decision)
    session.flush()
    audit.append(session, actor, "decision.recorded", "decision", decision.id,
                 after={"roster_entry_id": entry.id, "outcome": decision.outcome_code,
                        "category": decision.category_code, "note": note},
                 sitting_id=entry.sitting_id)
    return decision


def new_decision(session: Session, entry: RosterEntry, *, outcome_code: str,
                 category_code: str | None, note: str, recorded_by_id: int) -> Decision:
    """A decision checked against the lists (not yet added): the one rule for a decision's
    outcome, category and note, whether it is the first or one that supersedes it."""
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
    check_text(note, "the note", LONG_TEXT_LIMIT, multiline=True)
    return Decision(roster_entry_id=entry.id, outcome_code=outcome.code,
                    category_code=category_code or None, note=note, recorded_by_id=recorded_by_id)


# -- the configurable lists ----------------------------------------------------------------

def offered(session: Session) -> tuple[list[Outcome], list[Category]]:
    """The outcomes and categories a decision may take now, in their order."""
    return (session.execute(select(Outcome).where(Outcome.active).order_by(Outcome.sort)).scalars().all(),
            session.execute(select(Category).where(Category.active).order_by(Category.sort)).scalars().all())


def _next_sort(session: Session, model) -> int:
    return (session.execute(select(func.max(model.sort))).scalar() or 0) + 10


def add_outcome(session: Session, code: str, *, name_kk: str, name_ru: str, attested: bool,
                needs_category: bool, actor: audit.Actor) -> Outcome:
    """Offer a new protocol outcome (after those already listed)."""
    if session.get(Outcome, code):
        raise InvalidInput(f"outcome {code!r} already exists", code="duplicate")
    outcome = Outcome(code=code, name_kk=name_kk, name_ru=name_ru, attested=attested,
                      needs_category=needs_category, sort=_next_sort(session, Outcome), active=True)
    session.add(outcome)
    session.flush()
    audit.append(session, actor, "outcome.added", "outcome", code,
                 after={"name_ru": name_ru, "attested": attested})
    return outcome


def add_category(session: Session, code: str, *, name_kk: str, name_ru: str,
                 actor: audit.Actor) -> Category:
    """Offer a new qualification category (after those already listed)."""
    if session.get(Category, code):
        raise InvalidInput(f"category {code!r} already exists", code="duplicate")
    category = Category(code=code, name_kk=name_kk, name_ru=name_ru,
                        sort=_next_sort(session, Category), active=True)
    session.add(category)
    session.flush()
    audit.append(session, actor, "category.added", "category", code, after={"name_ru": name_ru})
    return category


def disable(session: Session, code: str, actor: audit.Actor) -> Outcome | Category:
    """Stop offering an outcome or category; decisions already made keep it."""
    item = session.get(Outcome, code) or session.get(Category, code)
    if item is None:
        raise NotFound(f"no outcome or category {code!r}")
    item.active = False
    session.flush()
    audit.append(session, actor, "decision_list.disabled", "outcome" if isinstance(item, Outcome)
                 else "category", code)
    return item
