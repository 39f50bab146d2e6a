"""The act of violation as a document: its texts in one language, for the page and the PDF."""

from __future__ import annotations

import io
import pathlib

from flask_babel import force_locale
from flask_babel import gettext as _
from fpdf import FPDF

from attestation import iin as iin_mod
from attestation.timeutil import local

from .texts import VIOLATION_KINDS

FONT_DIRS = (pathlib.Path("/usr/share/fonts/truetype/dejavu"),)


def act_texts(act, lang: str, checkpoint: str = "") -> dict:
    """``checkpoint``: the audit chain's head when printed (``ID:HASH``), at the foot."""
    person, sitting = act.roster_entry.candidate, act.roster_entry.sitting
    venue = sitting.venue
    with force_locale(lang):
        return {
            "lang": lang,
            "title": _("ACT of violation No. %(number)s", number=act.label),
            "subtitle": _("of the procedure for the attestation of social workers"),
            "rows": [
                (_("Venue"), getattr(venue, f"name_{lang}")),
                (_("Sitting"), f"{sitting.date:%d.%m.%Y} {sitting.start_time:%H:%M}"),
                (_("Date and time of the violation"), local(act.occurred_at).strftime("%d.%m.%Y %H:%M")),
                (_("Candidate"), person.full_name),
                (_("IIN"), iin_mod.mask(person.iin)),
                (_("Kind of violation"), str(VIOLATION_KINDS[act.kind])),
                (_("What happened"), act.description),
                (_("Witnesses"), act.witnesses or "—"),
                (_("Recorded by"), act.recorded_by.full_name or act.recorded_by.username),
            ] + ([(_("Corrects act No."), act.corrects.label)] if act.corrects_id else []),
            "consequence": _("Under point 7 of the Rules for the attestation of social workers the "
                             "candidate is removed from the attestation."),
            "signatures": _("Chair and members of the commission (signatures):"),
            "candidate_signature": _("Candidate (signature):"),
            "checkpoint": _("Audit log checkpoint: %(point)s", point=checkpoint) if checkpoint else "",
        }


def act_pdf(texts: dict) -> bytes:
    font = next((d for d in FONT_DIRS if (d / "DejaVuSans.ttf").exists()), None)
    if font is None:
        raise RuntimeError("the DejaVu fonts are missing (apt-get install fonts-dejavu-core)")
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_font("DejaVu", "", str(font / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(font / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 15)
    pdf.multi_cell(0, 8, texts["title"], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 11)
    pdf.multi_cell(0, 6, texts["subtitle"], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    for label, value in texts["rows"]:
        pdf.set_font("DejaVu", "B", 11)
        pdf.multi_cell(0, 6, label, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 11)
        pdf.multi_cell(0, 6, str(value), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.ln(4)
    pdf.multi_cell(0, 6, texts["consequence"], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.multi_cell(0, 6, texts["signatures"], new_x="LMARGIN", new_y="NEXT")
    for _line in range(4):
        pdf.ln(8)
        pdf.cell(0, 6, "_" * 60, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.multi_cell(0, 6, texts["candidate_signature"] + "  " + "_" * 30, new_x="LMARGIN", new_y="NEXT")
    if texts["checkpoint"]:
        pdf.ln(8)
        pdf.set_font("DejaVu", "", 8)
        pdf.multi_cell(0, 4, texts["checkpoint"], new_x="LMARGIN", new_y="NEXT")
    buf = io.BytesIO()
    pdf.output(buf)
    return buf.getvalue()
