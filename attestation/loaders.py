"""Loading a row by its key with what its readers need, or :class:`NotFound`.

The eager-loading options below are the one answer to "what does a board, an act or a
protocol read": the rows come back with those relationships loaded, so they can be used
after their session closed.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from .errors import NotFound
from .models import Assignment, Cell, RosterEntry, Sitting, ViolationAct

#: A sitting with its venue (headers of the board, the protocol, the absence pages).
SITTING = (joinedload(Sitting.venue),)
#: A roster entry with its person and sitting (act form, attestation file).
ENTRY = (joinedload(RosterEntry.candidate), joinedload(RosterEntry.sitting).joinedload(Sitting.venue))
#: An act with its entry, person, sitting and author (the act's print and PDF).
ACT = (joinedload(ViolationAct.roster_entry).joinedload(RosterEntry.candidate),
       joinedload(ViolationAct.roster_entry).joinedload(RosterEntry.sitting).joinedload(Sitting.venue),
       joinedload(ViolationAct.recorded_by))
#: An assignment with its cell's cabinet and the person holding it (cabinet view).
ASSIGNMENT = (joinedload(Assignment.cell).joinedload(Cell.cabinet),
              joinedload(Assignment.roster_entry).joinedload(RosterEntry.candidate))


def find(session: Session, model, **by):
    """The one ``model`` row whose unique column has this value (``code="ALA-01"``), or NotFound."""
    row = session.execute(select(model).filter_by(**by)).scalar()
    if row is None:
        (column, value), = by.items()
        raise NotFound(f"no {model.__tablename__} with {column} {value!r}")
    return row


def get(session: Session, model, ident, *options):
    """The ``model`` row with primary key ``ident``, ``options`` applied, or NotFound."""
    row = session.get(model, ident, options=list(options))
    if row is None:
        raise NotFound(f"no {model.__tablename__} {ident}")
    return row
