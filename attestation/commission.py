"""The commission at a sitting, and the protocol's number: what the signed protocol names.

The composition is recorded per sitting (members change between sittings and a member
may be absent): one chair, one secretary and the members present, in the order the
protocol lists them and signs.  It may be changed until the sitting is closed; each
change is audited with what it replaced.

The protocol is numbered per venue and calendar year of the sitting, like the acts:
the number is given when the sitting is first closed and kept when it is reopened.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import audit
from .errors import InvalidInput, NotAllowed, check_text
from .models import Sitting
from .vocabulary import CommissionPosition, SittingStatus

#: The most members a commission lists besides its chair and secretary.
MAX_MEMBERS = 15


def members(sitting: Sitting) -> list[tuple[str, str]]:
    """(position, name) pairs in the protocol's order: chair, secretary, members."""
    order = list(CommissionPosition)
    return sorted(((m["position"], m["name"]) for m in sitting.commission or ()),
                  key=lambda pair: order.index(pair[0]))


def record(s: Session, sitting: Sitting, *, chair: str, secretary: str, others: list[str],
           actor: audit.Actor) -> Sitting:
    """Record who sits on the commission today (replacing, with an audit entry, what was there)."""
    if sitting.status == SittingStatus.CLOSED:
        raise NotAllowed("the sitting is closed", code="sitting_closed")
    names = [(CommissionPosition.CHAIR, chair), (CommissionPosition.SECRETARY, secretary)]
    names += [(CommissionPosition.MEMBER, name) for name in others if (name or "").strip()]
    if not (chair or "").strip() or not (secretary or "").strip():
        raise InvalidInput("name the chair and the secretary", code="commission_incomplete")
    if len(names) > MAX_MEMBERS + 2:
        raise InvalidInput(f"more than {MAX_MEMBERS} members", code="too_long")
    composition = [{"position": str(position), "name": check_text(name.strip(), "a member's name", 200)}
                   for position, name in names]
    before = sitting.commission or []
    sitting.commission = composition
    s.flush()
    audit.append(s, actor, "sitting.commission", "sitting", sitting.id, sitting_id=sitting.id,
                 before={"commission": before}, after={"commission": composition})
    return sitting


def number_protocol(s: Session, sitting: Sitting) -> None:
    """Give the protocol its number (once): the next of its venue in the sitting's year."""
    if sitting.protocol_number is not None:
        return
    year = sitting.date.year
    top = s.execute(select(func.max(Sitting.protocol_number)).where(
        Sitting.venue_id == sitting.venue_id, Sitting.protocol_year == year)).scalar()
    sitting.protocol_year, sitting.protocol_number = year, (top or 0) + 1
