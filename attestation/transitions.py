"""Moving a roster entry through the state machine: the only code that writes ``state``."""

from __future__ import annotations

from sqlalchemy.orm import Session

from . import audit, states
from .models import RosterEntry
from .timeutil import utcnow


def snapshot(entry: RosterEntry) -> dict:
    return {"state": entry.state, "language": entry.language,
            "identified_by": entry.identified_by, "identity_to_check": entry.identity_to_check}


def apply(session: Session, entry: RosterEntry, event: str, actor: audit.Actor,
          at=None, **fields) -> RosterEntry:
    """Apply ``event`` to ``entry`` (raises IllegalTransition), stamp its time, audit it.

    ``fields`` are other columns that change together with the state (language,
    identification...), recorded in the same audit entry.
    """
    new_state = states.next_state(entry.state, event)
    before = snapshot(entry)
    at = at or utcnow()
    entry.state = new_state
    setattr(entry, states.EVENT_TIMESTAMP[event], at)
    for name, value in fields.items():
        setattr(entry, name, value)
    after = snapshot(entry) | {k: v for k, v in fields.items()}
    session.flush()
    audit.append(session, actor, f"roster.{event}", "roster_entry", entry.id,
                 before=before, after=after, sitting_id=entry.sitting_id)
    return entry
