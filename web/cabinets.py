"""The cabinet view for the locker operator: every cell, its history, service and force-open."""

from __future__ import annotations

from flask import Blueprint, g, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from attestation import allocation, cabinet_state, venues
from attestation.errors import DomainError, InvalidInput
from attestation.models import (Assignment, Cabinet, Cell, DoorEvent, LockCommand)
from attestation.timeutil import local
from attestation.vocabulary import CommandPurpose


from . import live
from .auth import actor, requires
from .common import confirmation, confirmed, db, done, failed, field, load
from .texts import CELL_STATUS, COMMAND_STATUSES, DOOR, DOOR_EVENTS, UNLOCK_PURPOSES

bp = Blueprint("cabinets", __name__, url_prefix="/panel")


@bp.get("/cabinets")
@requires("cabinet.view")
def cabinets():
    with db().read() as s:
        rows = cabinet_state.agents(s, g.scope)
    return render_template("cabinets.html", rows=rows)


@bp.get("/cabinets/<int:cabinet_id>")
@requires("cabinet.view")
def cabinet(cabinet_id):
    with db().read() as s:
        cab = load(s, Cabinet, cabinet_id)
        cells = s.execute(select(Cell).where(Cell.cabinet_id == cabinet_id).order_by(Cell.number)).scalars().all()
        holders = {a.cell_id: a.roster_entry.candidate.full_name for a in s.execute(
            select(Assignment).join(Cell).where(Cell.cabinet_id == cabinet_id,
                                                Assignment.released_at.is_(None))).scalars()}
        history = {}
        for ev in s.execute(select(DoorEvent).join(Cell).where(Cell.cabinet_id == cabinet_id)
                            .order_by(DoorEvent.id.desc()).limit(400)).scalars():
            # the agent's detail is a technician's English note: kept in the log, not shown here
            history.setdefault(ev.cell_id, []).append((local(ev.at).strftime("%H:%M:%S"),
                                                       str(DOOR_EVENTS[ev.kind]), ""))
        for cmd in s.execute(select(LockCommand).where(LockCommand.cabinet_id == cabinet_id)
                             .order_by(LockCommand.id.desc()).limit(400)).scalars():
            history.setdefault(cmd.cell_id, []).append(
                (local(cmd.requested_at).strftime("%H:%M:%S"),
                 f"{UNLOCK_PURPOSES[cmd.purpose]}: {COMMAND_STATUSES[cmd.status]}", cmd.reason or cmd.error))
    for items in history.values():
        items.sort(reverse=True)
    return render_template("cabinet.html", cabinet=cab, cells=cells, holders=holders,
                           history=history, cell_status=CELL_STATUS, door=DOOR)


@bp.get("/api/cabinets/<int:cabinet_id>/events")
@requires("cabinet.view")
def cabinet_events(cabinet_id):
    """The cabinet view's change stream: it refetches itself on a change."""
    with db().read() as s:
        load(s, Cabinet, cabinet_id)
    return live.stream_response(live.CABINET, cabinet_id)


def _cell_action(cell_id, fn, message):
    with db().read() as s:
        cell = load(s, Cell, cell_id)
    back = url_for("cabinets.cabinet", cabinet_id=cell.cabinet_id)
    try:
        with db().write() as s:
            fn(s, s.get(Cell, cell_id))
    except DomainError as exc:
        return failed(exc, back)
    return done(message, back)


def _route(path, name):
    def deco(fn):
        guarded = requires("cabinet.manage")(fn)
        bp.add_url_rule(f"/cells/<int:cell_id>/{path}", name, guarded, methods=["POST"])
        bp.add_url_rule(f"/api/cells/<int:cell_id>/{path}", f"api_{name}", guarded, methods=["POST"])
        return guarded
    return deco


@_route("status", "cell_status")
def cell_status(cell_id):
    return _cell_action(cell_id, lambda s, c: venues.set_cell_status(
        s, c, field("status"), field("reason"), actor()), _("The cell's status is changed."))


@_route("force-open", "force_open")
def force_open(cell_id):
    if not confirmed():
        with db().read() as s:
            cell = load(s, Cell, cell_id)
            holder = s.execute(select(Assignment).where(Assignment.cell_id == cell_id,
                                                        Assignment.released_at.is_(None))).scalar()
            if holder is not None:
                return confirmation(
                    _("Cell No. %(number)s holds the devices of %(name)s. Open it?", number=cell.number,
                      name=holder.roster_entry.candidate.full_name),
                    url_for("cabinets.cabinet", cabinet_id=cell.cabinet_id), [field("reason")],
                    _("Open the cell"))

    def fn(s, cell):
        reason = field("reason").strip()
        if not reason:
            raise InvalidInput("reason", code="reason_required")
        allocation.queue_unlock(s, cell, CommandPurpose.FORCE, actor(), reason=reason)
    return _cell_action(cell_id, fn, _("The cell will be opened."))
