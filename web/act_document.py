"""The act of violation as a document: its texts in one language, for the page and the PDF."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from attestation import commission
from attestation import iin as iin_mod
from attestation.timeutil import local

from .pdf import Document, remembered
from .texts import COMMISSION_POSITIONS, VIOLATION_KINDS


def act_texts(act, lang: str, checkpoint: str = "") -> dict:
    """``checkpoint``: the audit chain's head when printed (``ID:HASH``), at the foot."""
    person, sitting = act.roster_entry.candidate, act.roster_entry.sitting
    venue = sitting.venue
    members = commission.members(sitting)
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
                (_("IIN"), iin_mod.on_document(person.iin)),
                (_("Kind of violation"), str(VIOLATION_KINDS[act.kind])),
                (_("What happened"), act.description),
                (_("Witnesses"), act.witnesses or "—"),
                (_("Recorded by"), act.recorded_by.full_name or act.recorded_by.username),
            ] + ([(_("Corrects act No."), act.corrects.label)] if act.corrects_id else []) + [
                (_("The commission at the sitting:"),
                 "; ".join(f"{COMMISSION_POSITIONS[p]}: {n}" for p, n in members) or _("not recorded")),
            ],
            "consequence": _("Under point 7 of the Rules for the attestation of social workers the "
                             "candidate is removed from the attestation."),
            "signatures": _("Chair and members of the commission (signatures):"),
            "signers": [(str(COMMISSION_POSITIONS[p]), n) for p, n in members],
            "candidate_signature": _("Candidate (signature):"),
            "checkpoint": _("Audit log checkpoint: %(point)s", point=checkpoint) if checkpoint else "",
        }


@remembered
def act_pdf(texts: dict) -> bytes:
    pdf = Document(texts)
    pdf.heading(texts["title"], texts["subtitle"])
    pdf.pairs(texts["rows"])
    pdf.ln(3)
    pdf.paragraph(texts["consequence"])
    pdf.ln(5)
    pdf.signatures(texts["signatures"], texts["signers"], blank=0 if texts["signers"] else 4)
    pdf.signature(texts["candidate_signature"])
    pdf.checkpoint(texts["checkpoint"])
    return pdf.to_bytes()
