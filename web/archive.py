"""The archive of a sitting (one ZIP: documents in kk and ru, roster, audit part, manifest).

The format and its verification are :mod:`backup.sitting_archive`; this module renders
the documents, so the panel's download and ``kioskctl sitting archive`` give the same
file.  Everything is read in one snapshot (on PostgreSQL a REPEATABLE READ transaction;
a SQLite read transaction is one already), so the documents, the entries and the chain
head agree with each other.

Laying out a sitting of 40's 80-odd PDFs takes fpdf2 several seconds here and three times
that on a Raspberry Pi, so when a sitting is closed the panel lays them out at once in the
background (:class:`Preparer`); the secretary's download a minute later finds them made
(:func:`web.pdf.remembered`) and only packs them.  A document that changed since (a
correction after reopening) is simply another document, laid out when asked for.
"""

from __future__ import annotations

import logging
import threading

from flask import Blueprint, Response, current_app, g
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from attestation import audit, loaders
from attestation import iin as iin_mod
from attestation.collation import name_key
from attestation.db import is_postgresql
from attestation.models import AuditEntry, RosterEntry, Sitting, ViolationAct
from attestation.timeutil import utcnow
from attestation.vocabulary import Language, values
from backup import sitting_archive as archive_format

from . import audit_words
from .act_document import act_pdf, act_texts
from .attestation_file import file_pdf, files_texts
from .auth import requires
from .common import db, load, printed_checkpoint
from .protocol import csv_bytes, protocol_pdf, protocol_texts
from .texts import LANGUAGES, STATES

bp = Blueprint("archive", __name__, url_prefix="/panel")


def archive_name(sitting: Sitting) -> str:
    return f"sitting-{sitting.id}-{sitting.date:%Y-%m-%d}-{sitting.venue.code}.zip"


PREPARE_TIMEOUT = 300  # s a download waits for the sitting's documents being laid out

log = logging.getLogger(__name__)


def build(s, sitting: Sitting, made_by: str) -> bytes:
    """The archive's bytes; call inside an app context, first in a read session."""
    head = audit.head(s)
    documents = _documents(s, sitting)
    log_entries = s.execute(select(AuditEntry).where(AuditEntry.sitting_id == sitting.id,
                                                     AuditEntry.id <= (head.entry_id if head else 0))
                            .order_by(AuditEntry.id)).scalars().all()
    for lang in values(Language):
        documents[f"audit/log-{lang}.csv"] = _log_csv(s, log_entries, lang)
    about = {"sitting": {"id": sitting.id, "venue": sitting.venue.code, "date": sitting.date.isoformat(),
                         "start": f"{sitting.start_time:%H:%M}", "status": str(sitting.status)},
             "made_at": utcnow().isoformat(timespec="seconds"), "made_by": made_by}
    key = current_app.extensions["attestation_db"].audit_key
    return archive_format.pack(documents, log_entries, head, about, key)


def _documents(s, sitting: Sitting) -> dict[str, bytes]:
    """The archive's PDFs and roster, by their name in it."""
    point = printed_checkpoint(s)
    documents: dict[str, bytes] = {}
    entries = s.execute(select(RosterEntry).where(RosterEntry.sitting_id == sitting.id)
                        .options(*loaders.ENTRY).order_by(RosterEntry.id)).scalars().all()
    acts = s.execute(select(ViolationAct).join(RosterEntry).where(RosterEntry.sitting_id == sitting.id)
                     .options(*loaders.ACT).order_by(ViolationAct.id)).scalars().all()
    for lang in values(Language):
        documents[f"protocol/protocol-{lang}.pdf"] = protocol_pdf(protocol_texts(s, sitting, lang, point))
        for act in acts:
            documents[f"acts/act-{act.number}-{act.year}-{lang}.pdf"] = act_pdf(act_texts(act, lang, point))
        for entry_id, texts in files_texts(s, entries, lang).items():
            documents[f"files/file-{entry_id}-{lang}.pdf"] = file_pdf(texts)
    documents["roster.csv"] = _roster_csv(entries)
    return documents


class Preparer:
    """Lays out a sitting's documents on a thread of its own, so the download finds them made.

    One thread per sitting at a time; :meth:`wait` lets a download that comes while it runs
    take its work rather than do it a second time beside it.  A failure here costs only
    time: the download lays out what is missing itself."""

    def __init__(self, app):
        self._app = app
        self._running: dict[int, threading.Thread] = {}
        self._lock = threading.Lock()

    def start(self, sitting_id: int) -> None:
        with self._lock:
            if sitting_id not in self._running:
                thread = threading.Thread(target=self._prepare, args=(sitting_id,), daemon=True,
                                          name=f"archive-{sitting_id}")
                self._running[sitting_id] = thread
                thread.start()

    def wait(self, sitting_id: int, timeout: float = PREPARE_TIMEOUT) -> None:
        """Return when no preparation of the sitting runs (or after ``timeout`` seconds)."""
        with self._lock:
            thread = self._running.get(sitting_id)
        if thread is not None:
            thread.join(timeout)

    def _prepare(self, sitting_id: int) -> None:
        try:
            with self._app.app_context(), self._app.extensions["attestation_db"].read() as s:
                snapshot(s)
                _documents(s, s.get(Sitting, sitting_id))
        except Exception:  # noqa: BLE001 (the download makes what this did not)
            log.exception("laying out the documents of sitting %s ahead of its archive failed", sitting_id)
        finally:
            with self._lock:
                self._running.pop(sitting_id, None)


def init_app(app) -> None:
    app.extensions["archive_preparer"] = Preparer(app)


def prepare(sitting_id: int) -> None:
    """Start laying out the sitting's archive documents (when the sitting is closed)."""
    if current_app.config["PANEL_PREPARE_ARCHIVE"]:
        current_app.extensions["archive_preparer"].start(sitting_id)


def _roster_csv(entries) -> bytes:
    """The roster with both languages' headings, for whichever language opens it."""
    def both(text_of):
        out = []
        for lang in values(Language):
            with force_locale(lang):
                out.append(str(text_of()))
        return " / ".join(out)

    head = [both(lambda: _("IIN")), both(lambda: _("Full name")), both(lambda: _("Organisation")),
            both(lambda: _("Position")), both(lambda: _("Language of the attestation")),
            both(lambda: _("State"))]
    body = [[iin_mod.on_document(e.candidate.iin), e.candidate.full_name, e.candidate.organization, e.candidate.position,
             both(lambda e=e: LANGUAGES.get(e.language or "", "")), both(lambda e=e: STATES[e.state])]
            for e in sorted(entries, key=lambda e: name_key(e.candidate))]
    return csv_bytes(head, body)


def _log_csv(s, log, lang: str) -> bytes:
    """The sitting's audit entries in words, in ``lang`` (entries.jsonl holds them as stored)."""
    with force_locale(lang):
        head = [_("When"), _("Who"), _("What"), _("Details"), _("Device"), "#"]
        body = [[item["when"], item["who"], item["what"], audit_words.detail_line(item), item["device"],
                 item["entry"].id] for item in audit_words.in_words(s, log, lang)]
    return csv_bytes(head, body)


def snapshot(s) -> None:
    """Make the read session one snapshot (PostgreSQL reads each statement afresh otherwise)."""
    if is_postgresql(s):
        s.connection(execution_options={"isolation_level": "REPEATABLE READ"})


@bp.get("/sittings/<int:sitting_id>/archive.zip")
@requires("protocol.export")
def sitting_archive(sitting_id):
    current_app.extensions["archive_preparer"].wait(sitting_id)
    with db().read() as s:
        snapshot(s)
        sitting = load(s, Sitting, sitting_id, *loaders.SITTING)
        data = build(s, sitting, f"user:{g.user.username}")
        name = archive_name(sitting)
    return Response(data, mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
