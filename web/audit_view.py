"""The audit log viewer: filtered by sitting, candidate or cell, with the chain verified."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request, session
from sqlalchemy import select

from attestation import audit, scoping
from attestation.models import AuditEntry

from . import audit_words
from .auth import requires
from .common import db
from .texts import AUDIT_WARNINGS

bp = Blueprint("audit_view", __name__, url_prefix="/panel")


@bp.get("/audit")
@requires("audit.view")
def audit_log():
    sitting = request.args.get("sitting", "").strip()
    entry = request.args.get("entry", "").strip()
    cell = request.args.get("cell", "").strip()
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(500)
    if g.scope is not scoping.EVERY_VENUE:
        # Entries of the user's sittings only; the rest (sign-ins, set-up) is the administrator's.
        query = query.where(AuditEntry.sitting_id.in_(scoping.sitting_ids(g.scope)))
    if sitting.isdigit():
        query = query.where(AuditEntry.sitting_id == int(sitting))
    if entry.isdigit():
        query = query.where(AuditEntry.subject_type == "roster_entry", AuditEntry.subject_id == entry)
    if cell.isdigit():
        query = query.where(AuditEntry.subject_type.in_(("cell", "lock_command", "assignment"))).limit(2000)
    with db().read() as s:
        rows = s.execute(query).scalars().all()
        if cell.isdigit():
            rows = [r for r in rows if (r.subject_type == "cell" and r.subject_id == cell)
                    or (r.after or {}).get("cell_id") == int(cell)][:500]
        database = db()
        check = audit.verify(s, key=database.audit_key, checkpoints=(
            database.audit_publisher.published() if database.audit_publisher else ()))
        items = audit_words.in_words(s, rows, session.get("lang", "ru"))
    return render_template("audit.html", items=items, check=check, audit_warnings=AUDIT_WARNINGS, sitting=sitting, entry=entry, cell=cell)
