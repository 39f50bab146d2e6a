"""The protocol of a sitting (point 4 (2)): printable and PDF in kk/ru, exportable as CSV and XLSX."""

from __future__ import annotations

import csv
import io
import unicodedata

from flask import Blueprint, Response, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from attestation import commission, corrections, custody, loaders
from attestation import iin as iin_mod
from attestation.models import (
    Absence,
    Category,
    Decision,
    Outcome,
    RosterEntry,
    Sitting,
    ViolationAct,
)
from attestation.collation import name_key
from attestation.states import FINAL
from attestation.timeutil import local
from attestation.vocabulary import SittingStatus

from .auth import requires
from .common import db, document_lang, load, printed_checkpoint
from .pdf import Document, pdf_response, remembered
from .texts import ABSENCE_REASONS, COMMISSION_POSITIONS, LANGUAGES, STATES

bp = Blueprint("protocol", __name__, url_prefix="/panel")


def protocol_rows(s, sitting_id: int, lang: str) -> list[dict]:
    outcomes = {o.code: o for o in s.execute(select(Outcome)).scalars()}
    categories = {c.code: c for c in s.execute(select(Category)).scalars()}
    decisions = corrections.standing_by_entry(s, Decision, sitting_id)
    absences = corrections.standing_by_entry(s, Absence, sitting_id)
    acts = {}
    for act in s.execute(select(ViolationAct).join(RosterEntry).where(
            RosterEntry.sitting_id == sitting_id, ViolationAct.corrects_id.is_(None))).scalars():
        acts[act.roster_entry_id] = act.label
    entries = s.execute(select(RosterEntry).where(RosterEntry.sitting_id == sitting_id)).scalars().all()
    rows = []
    with force_locale(lang):
        for e in sorted(entries, key=lambda e: name_key(e.candidate)):
            p = e.candidate
            result, category, note = "", "", ""
            if e.id in decisions and e.state == "decided":
                d = decisions[e.id]
                result = getattr(outcomes[d.outcome_code], f"name_{lang}")
                category = getattr(categories[d.category_code], f"name_{lang}") if d.category_code else ""
                note = d.note
            elif e.state == "removed":
                result = _("Not attested (removed, act No. %(number)s)", number=acts.get(e.id, "?"))
            elif e.state == "absent_invalid":
                result = _("Not attested (absent without a valid reason)")
            elif e.state == "absent_valid":
                a = absences[e.id]
                result = _("Postponed: %(reason)s, until %(deadline)s",
                           reason=str(ABSENCE_REASONS[a.reason]), deadline=f"{a.deadline:%d.%m.%Y}")
            else:
                result = str(STATES[e.state])
            rows.append({"name": p.full_name, "iin": iin_mod.on_document(p.iin), "organization": p.organization_in(lang),
                         "position": p.position_in(lang),
                         "language": str(LANGUAGES.get(e.language or "", "")),
                         "result": result, "category": category, "note": note})
    return rows


def columns(lang):
    with force_locale(lang):
        return [_("No."), _("Full name"), _("IIN"), _("Organisation"), _("Position"),
                _("Language of the attestation"), _("Decision"), _("Qualification category"), _("Note")]


def _hhmm(moment) -> str:
    return f"{local(moment):%H:%M}" if moment else "—"


def custody_rows(s, sitting_id: int) -> list[list[str]]:
    """The annex: every cell used at the sitting, whose, and the times of its day."""
    return [[c.person, f"№{c.cell} ({c.cabinet})", _hhmm(c.opened_at), _hhmm(c.locked_at),
             _hhmm(c.return_asked_at), c.return_asked_by.partition(":")[2] or c.return_asked_by or "—",
             _hhmm(c.returned_at), _hhmm(c.released_at)] for c in custody.report(s, sitting_id)]


def protocol_texts(s, sitting: Sitting, lang: str, checkpoint: str = "") -> dict:
    """Everything the protocol says in ``lang``, for the page, the PDF and the archive."""
    rows = protocol_rows(s, sitting.id, lang)
    states = s.execute(select(RosterEntry.state).where(RosterEntry.sitting_id == sitting.id)).scalars()
    final = sitting.status == SittingStatus.CLOSED and all(state in FINAL for state in states)
    with force_locale(lang):
        members = [(str(COMMISSION_POSITIONS[position]), name)
                   for position, name in commission.members(sitting)]
        return {
            "lang": lang, "sitting_id": sitting.id,
            "title": _("PROTOCOL No. %(number)s of the sitting of the attestation commission",
                       number=sitting.protocol_label) if sitting.protocol_label else
            _("PROTOCOL of the sitting of the attestation commission"),
            "place": f"{getattr(sitting.venue, f'name_{lang}')} · {sitting.venue.address + ' · ' if sitting.venue.address else ''}"
                     f"{sitting.date:%d.%m.%Y} {sitting.start_time:%H:%M}",
            "draft": "" if final else _("DRAFT: the sitting is not closed, or a candidate has "
                                        "no final result yet"),
            "commission_title": _("The commission at the sitting:"),
            "commission": members, "no_commission": "" if members else _("not recorded"),
            "columns": columns(lang), "rows": rows,
            "signatures": _("Signatures:"), "signers": members,
            "blank_signatures": 0 if members else 4,
            "checkpoint": _("Audit log checkpoint: %(point)s", point=checkpoint) if checkpoint else "",
            "custody_title": _("Annex: the cells of the day (devices kept during the attestation)"),
            "custody_columns": [_("Candidate"), _("Cell"), _("Devices in"), _("Cell locked"),
                                _("Return asked"), _("By"), _("Devices out"), _("Cell free")],
            "custody": custody_rows(s, sitting.id),
        }


@remembered
def protocol_pdf(texts: dict) -> bytes:
    pdf = Document(texts, landscape=True, draft=texts["draft"])
    pdf.heading(texts["title"], texts["place"])
    pdf.paragraph(texts["commission_title"], bold=True)
    if texts["commission"]:
        pdf.pairs(texts["commission"])
    else:
        pdf.paragraph(texts["no_commission"])
    body = [[n, r["name"], r["iin"], r["organization"], r["position"], r["language"], r["result"],
             r["category"], r["note"]] for n, r in enumerate(texts["rows"], 1)]
    pdf.grid(texts["columns"], body, widths=(4, 21, 13, 19, 16, 13, 26, 17, 12))
    pdf.signatures(texts["signatures"], texts["signers"], blank=texts["blank_signatures"])
    if texts["custody"]:
        pdf.paragraph(texts["custody_title"], bold=True)
        pdf.grid(texts["custody_columns"], texts["custody"], widths=(24, 14, 10, 10, 10, 12, 10, 10))
    pdf.checkpoint(texts["checkpoint"])
    return pdf.to_bytes()


def _document(sitting_id: int) -> dict:
    lang = document_lang()
    with db().read() as s:
        sitting = load(s, Sitting, sitting_id, *loaders.SITTING)
        return protocol_texts(s, sitting, lang, printed_checkpoint(s))


@bp.get("/sittings/<int:sitting_id>/protocol")
@requires("protocol.export")
def protocol(sitting_id):
    return render_template("protocol.html", doc=_document(sitting_id))


@bp.get("/sittings/<int:sitting_id>/protocol.pdf")
@requires("protocol.export")
def protocol_pdf_view(sitting_id):
    doc = _document(sitting_id)
    return pdf_response(protocol_pdf(doc), f"protocol-{sitting_id}-{doc['lang']}.pdf")


def _table(sitting_id, lang):
    with db().read() as s:
        load(s, Sitting, sitting_id, *loaders.SITTING)
        rows = protocol_rows(s, sitting_id, lang)
    head = columns(lang)
    body = [[n, r["name"], r["iin"], r["organization"], r["position"], r["language"], r["result"],
             r["category"], r["note"]] for n, r in enumerate(rows, 1)]
    return head, body


def csv_bytes(head, body) -> bytes:
    """CSV as Excel in a Russian or Kazakh locale opens it: semicolons, UTF-8 with a BOM."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";")
    writer.writerow(head)
    writer.writerows([[_safe(v) for v in row] for row in body])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


@bp.get("/sittings/<int:sitting_id>/protocol.csv")
@requires("protocol.export")
def protocol_csv(sitting_id):
    lang = document_lang()
    return Response(csv_bytes(*_table(sitting_id, lang)), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="protocol-{sitting_id}-{lang}.csv"'})


#: What makes a spreadsheet read a cell as a formula (OWASP's list: TAB and CR included).
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r", "\n")


def _safe(value):
    """Keep spreadsheet programs from running a cell as a formula (CSV injection), and
    show a control character a spreadsheet cannot hold as U+FFFD rather than fail."""
    if not isinstance(value, str):
        return value
    text = "".join("\ufffd" if unicodedata.category(ch) == "Cc" and ch not in "\t\r\n" else ch
                   for ch in value)
    return "'" + text if text[:1] in FORMULA_LEADS else text


@bp.get("/sittings/<int:sitting_id>/protocol.xlsx")
@requires("protocol.export")
def protocol_xlsx(sitting_id):
    from openpyxl import Workbook  # here: the panel starts without it
    lang = document_lang()
    head, body = _table(sitting_id, lang)
    book = Workbook()
    sheet = book.active
    sheet.title = "protocol"
    sheet.append(head)
    for row in body:
        sheet.append([_safe(v) for v in row])
    buf = io.BytesIO()
    book.save(buf)
    return Response(buf.getvalue(),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="protocol-{sitting_id}-{lang}.xlsx"'})
