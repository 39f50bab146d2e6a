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
from sqlalchemy import or_, select

from attestation import corrections, loaders
from attestation.models import Absence, Assignment, AuditEntry, Decision, RosterEntry, ViolationAct
from attestation import iin as iin_mod, states
from attestation.timeutil import local

from . import audit_words
from .auth import requires
from .common import db, document_lang, load
from .corrections import decision_text, history
from .pdf import Document, pdf_response, remembered
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
            (_("Organisation"), p.organization_in(lang) or "—"), (_("Position"), p.position_in(lang) or "—"),
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


def histories(s, entries, lang: str) -> dict[int, list[tuple[str, str]]]:
    """Every audited fact about each candidate, in words: entry id -> [(when and who, what)].
    The sittings' log is read once for all of ``entries`` (an archive asks for 40 at once)."""
    ids = {e.id for e in entries}
    log = s.execute(select(AuditEntry).where(
        or_(AuditEntry.sitting_id.in_({e.sitting_id for e in entries}),
            (AuditEntry.subject_type == "roster_entry") & AuditEntry.subject_id.in_([str(i) for i in ids])))
        .order_by(AuditEntry.id)).scalars().all()

    def owners(e) -> set[int]:
        mine = {(e.after or {}).get("roster_entry_id")}
        if e.subject_type == "roster_entry" and str(e.subject_id).isdigit():
            mine.add(int(e.subject_id))
        return mine & ids

    theirs = [(owners(e), e) for e in log]
    theirs = [(who, e) for who, e in theirs if who]
    out: dict[int, list[tuple[str, str]]] = {i: [] for i in ids}
    with force_locale(lang):
        for (who, _e), item in zip(theirs, audit_words.in_words(s, [e for _who, e in theirs], lang)):
            line = (f"{item['when']} · {item['who']}",
                    item["what"] + (f" ({audit_words.detail_line(item)})" if item["details"] else ""))
            for entry_id in who:
                out[entry_id].append(line)
    return out


def files_texts(s, entries, lang: str) -> dict[int, dict]:
    """Entry id -> the texts of its file in ``lang``."""
    with force_locale(lang):
        title, history_title = _("ATTESTATION FILE of a social worker"), _("History of the file")
    history = histories(s, entries, lang)
    return {e.id: {"lang": lang, "entry_id": e.id, "title": title, "rows": file_rows(s, e, lang),
                   "history_title": history_title, "history": history[e.id]} for e in entries}


def file_texts(s, entry: RosterEntry, lang: str) -> dict:
    return files_texts(s, [entry], lang)[entry.id]


@remembered
def file_pdf(texts: dict) -> bytes:
    pdf = Document(texts)
    pdf.heading(texts["title"])
    pdf.pairs(texts["rows"])
    if texts["history"]:
        pdf.paragraph(texts["history_title"], size=11, bold=True)
        pdf.pairs(texts["history"])
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
