"""What staff do to one candidate: admit, call in, finish, return devices, absence, decision.

Each action answers a form with a redirect and a flashed message, and JSON with JSON
(``/panel/api/entries/<id>/<action>``, CSRF header required), so the same rules serve the
board's buttons and automation alike.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, g, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from attestation import absence, admission, allocation, corrections, decisions, loaders, scoping, states
from attestation.errors import DomainError, InvalidInput
from attestation.models import Absence, RosterEntry, Sitting
from attestation.timeutil import local_today
from attestation.vocabulary import NO_VALID_REASON


from .auth import actor, requires
from .common import db, done, failed, field, load, local_path
from .texts import ABSENCE_REASONS, STATES

bp = Blueprint("actions", __name__, url_prefix="/panel")


def _back(entry_id) -> str:
    with db().read() as s:
        entry = load(s, RosterEntry, entry_id)
    return local_path(request.form.get("back"), url_for("board.sitting", sitting_id=entry.sitting_id))


def _run(entry_id, fn, message):
    back = _back(entry_id)
    try:
        with db().write() as s:
            fn(s, load(s, RosterEntry, entry_id))
    except DomainError as exc:
        return failed(exc, back)
    return done(message, back)


def _route(path, permission):
    def deco(fn):
        guarded = requires(permission)(fn)
        bp.add_url_rule(f"/entries/<int:entry_id>/{path}", fn.__name__, guarded, methods=["POST"])
        bp.add_url_rule(f"/api/entries/<int:entry_id>/{path}", f"api_{fn.__name__}", guarded,
                        methods=["POST"])
        return guarded
    return deco


@_route("admit", "admission")
def admit(entry_id):
    return _run(entry_id, lambda s, e: admission.admit(
        s, e, qualification_document=field("qualification_document"),
        identity_checked=field("identity_checked") in ("1", "on", "true", "yes"), actor=actor()),
        _("Documents confirmed; the candidate is admitted."))


@_route("call-in", "admission")
def call_in(entry_id):
    return _run(entry_id, lambda s, e: admission.call_in(s, e, actor()),
                _("The candidate is called in to the interview."))


@_route("finish", "admission")
def finish(entry_id):
    return _run(entry_id, lambda s, e: admission.finish_interview(s, e, actor()),
                _("The interview is finished."))


@_route("return-devices", "devices.return")
def return_devices(entry_id):
    return _run(entry_id, lambda s, e: allocation.request_return(s, e, actor()),
                _("The cell will open for the devices to be returned."))


def _parse_date(text: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("bad date", code="return_date_required") from None


@_route("absence", "absence.record")
def record_absence(entry_id):
    def fn(s, e):
        reason = field("reason")
        absence.record(s, e, reason=None if reason == NO_VALID_REASON else reason,
                       document=field("document"), return_date=_parse_date(field("return_date")),
                       recorded_by_id=g.user.id, actor=actor())
    return _run(entry_id, fn, _("The absence is recorded."))


@_route("decision", "decision.record")
def record_decision(entry_id):
    return _run(entry_id, lambda s, e: decisions.record(
        s, e, outcome_code=field("outcome"), category_code=field("category") or None,
        note=field("note"), recorded_by_id=g.user.id, actor=actor()),
        _("The decision is recorded."))


@bp.get("/sittings/<int:sitting_id>/absences")
@requires("absence.record")
def absences(sitting_id):
    warn_until = local_today() + dt.timedelta(days=14)
    with db().read() as s:
        sitting = load(s, Sitting, sitting_id, *loaders.SITTING)
        expected = s.execute(select(RosterEntry).options(joinedload(RosterEntry.candidate)).where(
            RosterEntry.sitting_id == sitting_id, RosterEntry.state == states.EXPECTED)).scalars().all()
        postponed = s.execute(select(Absence).join(RosterEntry, RosterEntry.id == Absence.roster_entry_id)
                              .where(Absence.deadline.is_not(None), corrections.standing(Absence),
                                     RosterEntry.state == states.ABSENT_VALID,
                                     scoping.venue_filter(g.scope, Sitting.venue_id))
                              .join(Sitting, Sitting.id == RosterEntry.sitting_id)
                              .order_by(Absence.deadline)).scalars().all()
        postponed = [(a, a.roster_entry.candidate) for a in postponed]
    return render_template("absences.html", sitting=sitting, expected=expected,
                           postponed=postponed, reasons=ABSENCE_REASONS, today=local_today(),
                           warn_until=warn_until)


@bp.get("/sittings/<int:sitting_id>/decisions")
@requires("decision.record")
def decisions_page(sitting_id):
    with db().read() as s:
        sitting = load(s, Sitting, sitting_id, *loaders.SITTING)
        entries = s.execute(select(RosterEntry).options(joinedload(RosterEntry.candidate)).where(
            RosterEntry.sitting_id == sitting_id, RosterEntry.state == states.INTERVIEWED)).scalars().all()
        outcomes, categories = decisions.offered(s)
    return render_template("decisions.html", sitting=sitting, entries=entries, outcomes=outcomes,
                           categories=categories, states=STATES)
