"""Cells: claiming a free one, asking for it to open, and freeing it.

The database guarantees the invariants (partial unique indexes: one active assignment
per cell and per roster entry); this module only tries not to hit them.  On PostgreSQL a
free cell is claimed with ``FOR UPDATE SKIP LOCKED`` so concurrent kiosks pick different
cells instead of queueing on the same one; on SQLite the whole write transaction holds
the database's write lock (BEGIN IMMEDIATE), so the first free cell is simply free.
A collision that still happens surfaces as an IntegrityError and the caller's
transaction is retried (:meth:`attestation.db.Database.run_write`).
"""

from __future__ import annotations

from sqlalchemy import exists, select, text
from sqlalchemy.orm import Session, contains_eager

from . import audit, changes, states, wakeup
from .db import is_postgresql
from .errors import DomainError, NoFreeCell, check_text
from .models import Assignment, Cabinet, Cell, LockCommand, RosterEntry
from .timeutil import utcnow
from .vocabulary import CellStatus, CommandPurpose


def active_assignment(session: Session, entry_id: int) -> Assignment | None:
    return session.execute(select(Assignment).where(
        Assignment.roster_entry_id == entry_id, Assignment.released_at.is_(None))).scalar()


def claim_free_cell(session: Session, venue_id: int, cabinet_id: int | None = None) -> Cell:
    """Lock and return the lowest-numbered free in-service cell, or raise NoFreeCell."""
    postgresql = is_postgresql(session)
    busy = exists().where(Assignment.cell_id == Cell.id, Assignment.released_at.is_(None))
    skipped: list[int] = []
    while True:
        query = (select(Cell).join(Cabinet).options(contains_eager(Cell.cabinet))  # its name is shown
                 .where(Cell.status == CellStatus.IN_SERVICE, ~busy, Cabinet.venue_id == venue_id,
                        Cell.id.not_in(skipped))
                 .order_by(Cabinet.id, Cell.number).limit(1))
        if cabinet_id is not None:
            query = query.where(Cell.cabinet_id == cabinet_id)
        if postgresql:
            query = query.with_for_update(skip_locked=True, of=Cell)
        cell = session.execute(query).scalar()
        if cell is None:
            raise NoFreeCell("no free cell in service")
        if not postgresql or not _taken_since(session, cell):
            return cell
        skipped.append(cell.id)


def _taken_since(session: Session, cell: Cell) -> bool:
    """Was ``cell`` assigned by a transaction that committed while we queued for its lock?

    Under READ COMMITTED the claim's snapshot can predate that commit (the lock was
    released by it), so the claim saw the cell free; a new statement sees the truth.
    Without this the insert hits the unique index and the whole check-in is retried.
    """
    return session.execute(select(exists().where(
        Assignment.cell_id == cell.id, Assignment.released_at.is_(None)))).scalar()


def queue_unlock(session: Session, cell: Cell, purpose: str, actor: audit.Actor,
                 assignment: Assignment | None = None, reason: str = "",
                 sitting_id: int | None = None) -> LockCommand:
    """Put an unlock in the cabinet agent's outbox (nothing touches hardware here)."""
    check_text(reason, "the reason")
    command = LockCommand(cabinet_id=cell.cabinet_id, cell_id=cell.id, purpose=purpose,
                          assignment_id=assignment.id if assignment else None,
                          reason=reason, requested_by=actor.name, requested_at=utcnow())
    session.add(command)
    session.flush()
    audit.append(session, actor, "lock.requested", "lock_command", command.id,
                 after={"cell_id": cell.id, "cell": cell.number, "purpose": purpose,
                        "reason": reason}, sitting_id=sitting_id)
    if is_postgresql(session):
        # Wakes the cabinet's agent at commit (see attestation.changes); polling still works.
        session.execute(text("SELECT pg_notify(:channel, :c)"),
                        {"channel": changes.LOCK_COMMANDS, "c": str(cell.cabinet_id)})
    else:  # the same after the commit, by attestation.wakeup (see Database.write)
        session.info.setdefault(wakeup.SESSION_KEY, set()).add(cell.cabinet_id)
    return command


def assign(session: Session, entry: RosterEntry, cell: Cell, actor: audit.Actor) -> Assignment:
    assignment = Assignment(cell_id=cell.id, roster_entry_id=entry.id, assigned_at=utcnow())
    session.add(assignment)
    session.flush()  # the partial unique indexes speak here if someone was faster
    audit.append(session, actor, "cell.assigned", "assignment", assignment.id,
                 after={"cell_id": cell.id, "cell": cell.number, "roster_entry_id": entry.id},
                 sitting_id=entry.sitting_id)
    return assignment


#: Devices go back after the interview or a removal; earlier, the person is still inside.
RETURNABLE_STATES = (states.INTERVIEWED, states.DECIDED, states.REMOVED)


def request_return(session: Session, entry: RosterEntry, actor: audit.Actor) -> LockCommand:
    """Staff: open the candidate's cell so they take their devices back."""
    assignment = active_assignment(session, entry.id)
    if assignment is None:
        raise DomainError("this candidate has no cell", code="no_cell")
    if entry.state not in RETURNABLE_STATES:
        raise DomainError("devices are returned after the interview or after removal",
                          code="too_early_to_return")
    assignment.return_requested_at = utcnow()
    return queue_unlock(session, assignment.cell, CommandPurpose.RETURN, actor, assignment,
                        sitting_id=entry.sitting_id)


def release(session: Session, assignment: Assignment, actor: audit.Actor) -> None:
    """The door closed after the return unlock: the cell is free again."""
    assignment.released_at = utcnow()
    session.flush()
    audit.append(session, actor, "cell.released", "assignment", assignment.id,
                 after={"cell_id": assignment.cell_id}, sitting_id=None)
