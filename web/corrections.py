"""Correcting a candidate's record: withdraw an absence or an admission, supersede a
decision, fix a name or organisation, add a walk-in.  Each is a new fact with a reason
(``attestation.corrections``); who may make it is who may record what it corrects."""

from __future__ import annotations

from flask import Blueprint, g, render_template, url_for
from flask_babel import get_locale, gettext as _

from attestation import corrections, decisions, loaders, roster_import
from attestation.errors import DomainError
from attestation.models import Category, Decision, Outcome, RosterEntry, Sitting
from attestation.timeutil import local
from attestation.vocabulary import DEFAULT_LANGUAGE, CorrectionKind, SittingStatus

from .auth import actor, requires
from .common import db, done, failed, field, load
from .roles import CORRECTION_PERMISSIONS, allowed
from .texts import ABSENCE_REASONS, CORRECTION_KINDS, STATES

bp = Blueprint("corrections", __name__, url_prefix="/panel")


def decision_text(s, outcome_code: str | None, category_code: str | None, note: str | None,
                  lang: str) -> str:
    """A decision as the protocol words it: outcome · category · note."""
    if not outcome_code:
        return "—"
    parts = [getattr(s.get(Outcome, outcome_code), f"name_{lang}")]
    if category_code:
        parts.append(getattr(s.get(Category, category_code), f"name_{lang}"))
    if note:
        parts.append(note)
    return " · ".join(parts)


def describe(s, c, lang: str) -> str:
    """What a correction changed, in the current locale: the earlier fact, then the new one."""
    b, a = c.before or {}, c.after or {}
    if c.kind == CorrectionKind.WITHDRAW_ABSENCE:
        was = str(ABSENCE_REASONS[b["reason"]]) if b.get("reason") else _("no valid reason")
        return _("the absence (%(was)s) was recorded by mistake", was=was)
    if c.kind == CorrectionKind.WITHDRAW_ADMISSION:
        return _("the admission (document: %(document)s) was made by mistake",
                 document=b.get("qualification_document") or "—")
    if c.kind == CorrectionKind.SUPERSEDE_DECISION:
        return _("was: %(was)s; now: %(now)s",
                 was=decision_text(s, b.get("outcome"), b.get("category"), b.get("note"), lang),
                 now=decision_text(s, a.get("outcome"), a.get("category"), a.get("note"), lang))
    if c.kind == CorrectionKind.FIX_DETAILS:
        return "; ".join(f"{b[k]} → {a[k]}" for k in b)
    return _("IIN %(iin)s, %(name)s", iin=a.get("iin", ""), name=a.get("name", ""))


def history(s, items, lang: str) -> list[dict]:
    """Each correction as the board, the page and the attestation file show it."""
    return [{"kind": c.kind, "title": str(CORRECTION_KINDS[c.kind]), "what": describe(s, c, lang),
             "reason": c.reason, "by": c.recorded_by.full_name or c.recorded_by.username,
             "at": f"{local(c.recorded_at):%d.%m.%Y %H:%M}"} for c in items]


def offered(entry: RosterEntry) -> list[str]:
    """The corrections this user may make to ``entry`` now."""
    return [k for k in corrections.available(entry) if allowed(g.user.role, CORRECTION_PERMISSIONS[k])]


@bp.get("/entries/<int:entry_id>/corrections")
@requires("board.view")
def page(entry_id):
    lang = str(get_locale() or DEFAULT_LANGUAGE)
    with db().read() as s:
        entry = load(s, RosterEntry, entry_id, *loaders.ENTRY)
        past = history(s, corrections.of_entries(s, [entry.id]).get(entry.id, []), lang)
        decision = corrections.standing_of(s, Decision, entry.id)
        outcomes, categories = decisions.offered(s)
        now = decision_text(s, decision.outcome_code, decision.category_code, decision.note, lang) \
            if decision else ""
    return render_template("corrections.html", entry=entry, person=entry.candidate, past=past,
                           offered=offered(entry), state=STATES[entry.state], decision=now,
                           outcomes=outcomes, categories=categories, kinds=CORRECTION_KINDS,
                           closed=entry.sitting.status == SittingStatus.CLOSED)


def _correct(entry_id, fn, message):
    back = url_for("corrections.page", entry_id=entry_id)
    try:
        with db().write() as s:
            fn(s, load(s, RosterEntry, entry_id, *loaders.ENTRY))
    except DomainError as exc:
        return failed(exc, back)
    return done(message, back)


def _by() -> dict:
    return {"reason": field("reason"), "recorded_by_id": g.user.id, "actor": actor()}


def _route(kind):
    """A correction's form and JSON route, guarded by the permission to record what it corrects."""
    def deco(view):
        guarded = requires(CORRECTION_PERMISSIONS[kind])(view)
        for prefix in ("", "/api"):
            bp.add_url_rule(f"{prefix}/entries/<int:entry_id>/corrections/{kind}",
                            f"{prefix.strip('/')}_{view.__name__}".lstrip("_"), guarded,
                            methods=["POST"])
        return guarded
    return deco


@_route(CorrectionKind.WITHDRAW_ABSENCE)
def withdraw_absence(entry_id):
    return _correct(entry_id, lambda s, e: corrections.withdraw_absence(s, e, **_by()),
                    _("The absence is withdrawn; the candidate is expected again and may check in."))


@_route(CorrectionKind.WITHDRAW_ADMISSION)
def withdraw_admission(entry_id):
    return _correct(entry_id, lambda s, e: corrections.withdraw_admission(s, e, **_by()),
                    _("The admission is withdrawn; the candidate is checked in again."))


@_route(CorrectionKind.SUPERSEDE_DECISION)
def supersede_decision(entry_id):
    return _correct(entry_id, lambda s, e: corrections.supersede_decision(
        s, e, outcome_code=field("outcome"), category_code=field("category") or None,
        note=field("note"), **_by()),
        _("The new decision is recorded; the earlier one is kept as superseded."))


@_route(CorrectionKind.FIX_DETAILS)
def fix_details(entry_id):
    return _correct(entry_id, lambda s, e: corrections.fix_details(
        s, e, **{name: field(name) for name in corrections.DETAILS}, **_by()),
        _("The details are corrected; the earlier ones are kept in the record."))


@bp.post("/sittings/<int:sitting_id>/roster/add")
@requires(CORRECTION_PERMISSIONS[CorrectionKind.ADD_CANDIDATE])
def add_candidate(sitting_id):
    with db().read() as s:
        sitting = load(s, Sitting, sitting_id, *loaders.SITTING)
    row = {column: field(column) for column in roster_import.COLUMNS}
    back = url_for("board.sitting", sitting_id=sitting_id)
    try:
        with db().write() as s:
            corrections.add_candidate(s, s.get(Sitting, sitting_id), row, **_by())
    except roster_import.RosterFileError as exc:
        return render_template("roster.html", sitting=sitting, errors=exc.errors, walk_in=row), 400
    except DomainError as exc:
        return failed(exc, url_for("roster.import_roster", sitting_id=sitting_id))
    return done(_("%(name)s is added to the roster.", name=f"{row['last_name']} {row['first_name']}"), back)
