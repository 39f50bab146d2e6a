"""Acts of violation: recording one (which removes the candidate), printing it in kk/ru."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, g, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from attestation import loaders, violations
from attestation.errors import DomainError, InvalidInput
from attestation.models import RosterEntry, ViolationAct
from attestation.timeutil import LOCAL_TZ, local, utcnow


from .act_document import act_pdf, act_texts
from .pdf import pdf_response
from .auth import actor, requires
from .common import (confirmation, confirmed, db, document_lang, done, failed, field, load,
                     printed_checkpoint, wants_json)
from .texts import VIOLATION_KINDS

bp = Blueprint("acts", __name__, url_prefix="/panel")


def _occurred(text: str) -> dt.datetime:
    """HH:MM today (local time), or an ISO date-time with its offset."""
    text = (text or "").strip()
    if not text:
        return utcnow()
    try:
        if len(text) <= 5:
            hh, mm = text.split(":")
            return dt.datetime.combine(local(utcnow()).date(), dt.time(int(hh), int(mm)),
                                       tzinfo=LOCAL_TZ)
        moment = dt.datetime.fromisoformat(text)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_TZ)
        moment.astimezone(dt.timezone.utc)  # a year the clock cannot hold fails here
        return moment
    except (ValueError, OverflowError):
        raise InvalidInput("bad time", code="invalid_time") from None




@bp.get("/entries/<int:entry_id>/violation")
@requires("violation.record")
def violation_form(entry_id):
    with db().read() as s:
        entry = load(s, RosterEntry, entry_id, *loaders.ENTRY)
        previous = s.execute(select(ViolationAct).where(ViolationAct.roster_entry_id == entry_id)
                             .order_by(ViolationAct.id)).scalars().all()
    return render_template("violation.html", entry=entry, kinds=VIOLATION_KINDS, previous=previous,
                           now=local(utcnow()).strftime("%H:%M"))


def _draw_up(s, entry_id):
    entry = load(s, RosterEntry, entry_id, *loaders.ENTRY)
    corrects = None
    if field("corrects"):
        ref = field("corrects")
        corrects = s.get(ViolationAct, int(ref)) if ref.isdigit() and int(ref) < 2**31 else None
        if corrects is None:
            raise InvalidInput("unknown act", code="wrong_candidate")
    return violations.draw_up(s, entry, kind=field("kind"), description=field("description"),
                              occurred_at=_occurred(field("occurred_at")),
                              recorded_by_id=g.user.id, witnesses=field("witnesses"),
                              actor=actor(), corrects=corrects)


def _record(entry_id):
    back = url_for("acts.violation_form", entry_id=entry_id)
    try:
        if not confirmed():
            # Every check first: a refusal is shown before the question, not after it.
            with db().rehearse() as s:
                name = _draw_up(s, entry_id).roster_entry.candidate.full_name
            return confirmation(_("Draw up the act? %(name)s is removed from this attestation.", name=name),
                                back, [field("description")], _("Draw up the act"))
        with db().write() as s:
            act = _draw_up(s, entry_id)
            act_id, label = act.id, act.label
    except DomainError as exc:
        return failed(exc, back)
    if wants_json():
        return done(_("Act No. %(number)s is drawn up.", number=label), back, act={"id": act_id, "number": label})
    done(_("Act No. %(number)s is drawn up; the candidate is removed.", number=label), back)
    return redirect(url_for("acts.act_page", act_id=act_id))


@bp.post("/entries/<int:entry_id>/violation")
@requires("violation.record")
def record_violation(entry_id):
    return _record(entry_id)


@bp.post("/api/entries/<int:entry_id>/violation")
@requires("violation.record")
def api_record_violation(entry_id):
    return _record(entry_id)




@bp.get("/acts/<int:act_id>")
@requires("violation.print")
def act_page(act_id):
    with db().read() as s:
        act = load(s, ViolationAct, act_id, *loaders.ACT)
        texts = act_texts(act, document_lang(act.roster_entry.language), printed_checkpoint(s))
        corrections = s.execute(select(ViolationAct).where(ViolationAct.corrects_id == act_id)).scalars().all()
        corrections = [(c.id, c.label) for c in corrections]
    return render_template("act.html", act_id=act_id, doc=texts, corrections=corrections)


@bp.get("/acts/<int:act_id>.pdf")
@requires("violation.print")
def act_pdf_view(act_id):
    with db().read() as s:
        act = load(s, ViolationAct, act_id, *loaders.ACT)
        lang = document_lang(act.roster_entry.language)
        texts = act_texts(act, lang, printed_checkpoint(s))
        name = f"act-{act.number}-{act.year}-{lang}.pdf"
    return pdf_response(act_pdf(texts), name)
