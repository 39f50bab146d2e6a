"""The candidate's attestation file (point 8 of the Rules): one printable page and PDF, kk or ru.

Point 8 makes the professional-qualification recognition document one of the documents of
the attestation file.  This page gathers, for one roster entry, what the system knows of
that file: who the person is, how and when they were identified, the language they chose,
the stage plan and device rules they acknowledged, the documents the secretary confirmed,
the interview, any act of violation, the absence and the protocol decision.  It reads
only; every fact on it was audited when it was recorded.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import force_locale, gettext as _
from sqlalchemy import select

from attestation import corrections, loaders
from attestation.models import Absence, Assignment, Decision, RosterEntry, ViolationAct
from attestation import iin as iin_mod, states
from attestation.timeutil import local

from .auth import requires
from .common import db, document_lang, load
from .corrections import decision_text, history
from .pdf import Document, pdf_response
from .texts import ABSENCE_REASONS, IDENTIFIED_BY, LANGUAGES, STATES, VIOLATION_KINDS

bp = Blueprint("attestation_file", __name__, url_prefix="/panel")


def _when(moment) -> str:
    return f"{local(moment):%d.%m.%Y %H:%M}" if moment else "—"


def file_rows(s, entry: RosterEntry, lang: str) -> list[tuple[str, str]]:
    """(label, value) pairs of the file, in the order a reader of the file expects."""
    p, sitting = entry.candidate, entry.sitting
    acts = s.execute(select(ViolationAct).where(ViolationAct.roster_entry_id == entry.id)
                     .order_by(ViolationAct.id)).scalars().all()
    absence = corrections.standing_of(s, Absence, entry.id)
    decision = corrections.standing_of(s, Decision, entry.id)
    corrected = corrections.of_entries(s, [entry.id]).get(entry.id, [])
    assignment = s.execute(select(Assignment).where(Assignment.roster_entry_id == entry.id)
                           .order_by(Assignment.id.desc())).scalars().first()
    with force_locale(lang):
        rows = [
            (_("Full name"), p.full_name), (_("IIN"), iin_mod.on_document(p.iin)),
            (_("Organisation"), p.organization or "—"), (_("Position"), p.position or "—"),
            (_("Sitting"), f"{getattr(sitting.venue, f'name_{lang}')} · {sitting.date:%d.%m.%Y} "
                           f"{sitting.start_time:%H:%M}"),
            (_("State"), str(STATES[entry.state])),
            (_("Language of the attestation"),
             str(LANGUAGES.get(entry.language or "", "—"))),
            (_("Identified by"), str(IDENTIFIED_BY[entry.identified_by]) if entry.identified_by else "—"),
            (_("Checked in"), _when(entry.checked_in_at)),
            (_("Stage plan acknowledged"), _when(entry.stages_acknowledged_at)),
            (_("Device rules acknowledged"), _when(entry.rules_acknowledged_at)),
            (_("Professional qualification document"), entry.qualification_document or "—"),
            (_("Documents confirmed"), _when(entry.documents_confirmed_at)),
        ]
        if entry.identity_to_check or entry.identity_checked_at:
            rows.append((_("Identity document checked by staff"), _when(entry.identity_checked_at)))
        rows += [(_("Interview started"), _when(entry.interview_started_at)),
                 (_("Interview finished"), _when(entry.interviewed_at))]
        if assignment is not None:
            rows.append((_("Cell"), f"№{assignment.cell.number}"))
        for act in acts:
            label = _("Act of violation No. %(number)s", number=act.label)
            rows.append((label, f"{_when(act.occurred_at)} · {VIOLATION_KINDS.get(act.kind, act.kind)}: "
                                f"{act.description}"))
        if absence is not None and entry.state in (states.ABSENT_VALID, states.ABSENT_INVALID):
            if absence.reason:
                value = _("%(reason)s; document: %(document)s; back at work %(back)s; attestation "
                          "no later than %(deadline)s", reason=str(ABSENCE_REASONS[absence.reason]),
                          document=absence.document, back=f"{absence.return_date:%d.%m.%Y}",
                          deadline=f"{absence.deadline:%d.%m.%Y}")
            else:
                value = _("Not attested (absent without a valid reason)")
            rows.append((_("Absence"), value))
        if decision is not None:
            value = decision_text(s, decision.outcome_code, decision.category_code, decision.note, lang)
            rows.append((_("Decision"), f"{value} ({_when(decision.recorded_at)})"))
        for c in history(s, corrected, lang):
            rows.append((_("Correction: %(kind)s", kind=c["title"]),
                         _("%(what)s. Reason: %(reason)s (%(by)s, %(at)s)", what=c["what"],
                           reason=c["reason"], by=c["by"], at=c["at"])))
    return rows


def file_texts(s, entry: RosterEntry, lang: str) -> dict:
    with force_locale(lang):
        title = _("ATTESTATION FILE of a social worker")
    return {"lang": lang, "entry_id": entry.id, "title": title, "rows": file_rows(s, entry, lang)}


def file_pdf(texts: dict) -> bytes:
    pdf = Document()
    pdf.heading(texts["title"])
    pdf.pairs(texts["rows"])
    return pdf.to_bytes()


def _document(entry_id: int) -> dict:
    with db().read() as s:
        entry = load(s, RosterEntry, entry_id, *loaders.ENTRY)
        return file_texts(s, entry, document_lang(entry.language))


@bp.get("/entries/<int:entry_id>/file")
@requires("protocol.export")
def attestation_file(entry_id):
    return render_template("attestation_file.html", doc=_document(entry_id))


@bp.get("/entries/<int:entry_id>/file.pdf")
@requires("protocol.export")
def attestation_file_pdf(entry_id):
    doc = _document(entry_id)
    return pdf_response(file_pdf(doc), f"file-{entry_id}-{doc['lang']}.pdf")
