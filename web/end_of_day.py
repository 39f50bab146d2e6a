"""The end of the day, before a sitting is closed (as a locker room's end-of-day is): who
still has devices in a cell, with one action to return them all through the agent (each
cell's unlock audited), and who is still expected, with one action to record "did not
appear, no valid reason" for those the secretary ticks (the others go to the absence form
for a valid reason).  The protocol carries the day's cells as its annex."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from attestation import absence, allocation, loaders, states
from attestation.collation import name_key
from attestation.errors import DomainError, InvalidInput
from attestation.models import Assignment, Cell, LockCommand, RosterEntry, Sitting
from attestation.vocabulary import CommandPurpose

from .auth import actor, requires
from .board_data import return_status
from .common import db, done, failed, load
from .texts import RETURN_STATUS, STATES

bp = Blueprint("end_of_day", __name__, url_prefix="/panel")

def day(s, sitting_id: int) -> dict:
    """Who holds a cell (with the state of its return), who is still expected."""
    entries = s.execute(select(RosterEntry).where(RosterEntry.sitting_id == sitting_id)
                        .options(*loaders.ENTRY)).scalars().all()
    by_id = {e.id: e for e in entries}
    held = s.execute(select(Assignment, Cell).join(Cell, Cell.id == Assignment.cell_id).where(
        Assignment.roster_entry_id.in_(by_id), Assignment.released_at.is_(None))).all()
    returns = {cmd.assignment_id: cmd for cmd in s.execute(  # the latest return of each
        select(LockCommand).where(LockCommand.assignment_id.in_([a.id for a, _ in held]),
                                  LockCommand.purpose == CommandPurpose.RETURN).order_by(LockCommand.id)).scalars()}
    holding = []
    for a, cell in held:
        cmd, entry = returns.get(a.id), by_id[a.roster_entry_id]
        holding.append({"entry": entry, "cell": cell.number, "state": str(STATES[entry.state]),
                        "returnable": entry.state in allocation.RETURNABLE_STATES,
                        "return": str(RETURN_STATUS[return_status(cmd, a, cell)]) if cmd else ""})
    holding.sort(key=lambda h: name_key(h["entry"].candidate))
    expected = sorted((e for e in entries if e.state == states.EXPECTED), key=lambda e: name_key(e.candidate))
    return {"holding": holding, "expected": expected}


@bp.get("/sittings/<int:sitting_id>/end")
@requires("sitting.manage")
def end_of_day(sitting_id):
    with db().read() as s:
        sitting = load(s, Sitting, sitting_id, *loaders.SITTING)
        return render_template("end_of_day.html", sitting=sitting, **day(s, sitting_id))


@bp.post("/sittings/<int:sitting_id>/end/return-all")
@requires("devices.return")
def return_all(sitting_id):
    back = url_for("end_of_day.end_of_day", sitting_id=sitting_id)
    try:
        with db().write() as s:
            load(s, Sitting, sitting_id)
            asked = 0
            for held in day(s, sitting_id)["holding"]:
                if held["returnable"] and not held["return"]:
                    allocation.request_return(s, held["entry"], actor())
                    asked += 1
    except DomainError as exc:
        return failed(exc, back)
    return done(_("%(count)s cells will open for the devices to be returned.", count=asked), back)


@bp.post("/sittings/<int:sitting_id>/end/absent")
@requires("absence.record")
def record_absent(sitting_id):
    back = url_for("end_of_day.end_of_day", sitting_id=sitting_id)
    ticked = [int(i) for i in request.form.getlist("entry") if i.isdigit() and int(i) < 2**31]
    with db().read() as s:
        load(s, Sitting, sitting_id)  # another venue's sitting: 404, before anything else
    try:
        if not ticked:
            raise InvalidInput("tick who did not appear", code="nobody_ticked")
        with db().write() as s:  # all of them or none
            for entry_id in ticked:
                entry = load(s, RosterEntry, entry_id, *loaders.ENTRY)
                if entry.sitting_id != sitting_id:
                    raise InvalidInput("not of this sitting", code="not_of_this_sitting")
                absence.record(s, entry, reason=None, recorded_by_id=g.user.id, actor=actor())
    except DomainError as exc:
        return failed(exc, back)
    return done(_("Recorded as absent without a valid reason: %(count)s.", count=len(ticked)), back)
