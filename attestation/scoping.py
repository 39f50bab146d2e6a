"""Which venues a panel user may see: the one rule every panel query is limited by.

A user belongs to the venues listed for them (:class:`~.models.UserVenue`), or to all of
them (``User.all_venues``, for a regional administrator).  A scope is a frozenset of venue
ids, or :data:`EVERY_VENUE`.  What lies outside a user's scope does not exist for them:
the panel answers 404, never 403, so an id reveals nothing.
"""

from __future__ import annotations

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from .models import (Cabinet, Cell, KioskDevice, RosterEntry, Sitting, User, UserVenue, Venue,
                     ViolationAct)

#: The scope of a user who sees every venue.
EVERY_VENUE = None

Scope = frozenset[int] | None


def scope_of(session: Session, user: User) -> Scope:
    if user.all_venues:
        return EVERY_VENUE
    return frozenset(session.execute(
        select(UserVenue.venue_id).where(UserVenue.user_id == user.id)).scalars())


def venue_id_of(row) -> int:
    """The venue a sitting, roster entry, act, cabinet, cell or kiosk belongs to (a venue: itself)."""
    if isinstance(row, Venue):
        return row.id
    if isinstance(row, (Sitting, Cabinet, ViolationAct, KioskDevice)):
        return row.venue_id
    if isinstance(row, RosterEntry):
        return row.sitting.venue_id
    if isinstance(row, Cell):
        return row.cabinet.venue_id
    raise TypeError(f"{type(row).__name__} does not belong to a venue")


def user_within(scope: Scope, user: User, venue_ids) -> bool:
    """Whether an administrator with ``scope`` manages ``user`` (who works at ``venue_ids``):
    a regional administrator manages everyone; another, the users of their venues only
    (never a regional one)."""
    if scope is EVERY_VENUE:
        return True
    return not user.all_venues and bool(set(venue_ids) & scope)


def within(scope: Scope, venue_id: int | None) -> bool:
    return scope is EVERY_VENUE or venue_id in scope


def venue_filter(scope: Scope, column):
    """A WHERE clause limiting ``column`` (a venue id column) to ``scope``."""
    return true() if scope is EVERY_VENUE else column.in_(sorted(scope))


def sitting_ids(scope: Scope):
    """A subquery of the ids of the sittings in ``scope`` (for rows that name a sitting)."""
    return select(Sitting.id).where(venue_filter(scope, Sitting.venue_id))
