"""The sitting archive's price: a closed sitting of N people (decisions, absences, two acts),
its ZIP made as the panel makes it, in one process.

Three figures, each wall and CPU time:

* every document laid out with the full DejaVu fonts (how every archive was made before the
  fonts were cut: :mod:`web.pdf_fonts`);
* every document laid out (the fonts cut once per process): ``kioskctl sitting archive``, or a
  download when nothing had been prepared;
* the panel's download after closing the sitting prepared the documents
  (:class:`web.archive.Preparer`): the texts read again, the PDFs found made, the ZIP packed.
"""

from __future__ import annotations

import datetime as dt
import time
from unittest import mock

from sqlalchemy import select

from attestation import absence, admission, commission, decisions, transitions, venues, violations
from attestation import db as dbmod
from attestation.models import RosterEntry, Sitting, User
from attestation.timeutil import utcnow
from attestation.vocabulary import SittingStatus

from .database import fresh_database
from .live_board import _setup
from .production import ACTOR


def _day(database: dbmod.Database, candidates: int) -> int:
    """A closed sitting: nine in ten came (two of them removed by an act, the others decided),
    the rest absent."""
    sitting_id, entry_ids = _setup(database, candidates)
    with database.write() as s:
        entries = [s.get(RosterEntry, i) for i in entry_ids]
        clerk = s.execute(select(User.id).where(User.username == "bench")).scalar_one()
        present = entries[:candidates * 9 // 10]
        for n, entry in enumerate(present):
            transitions.apply(s, entry, "check_in", ACTOR, language="kk" if n % 2 else "ru",
                              identified_by="iin")
            admission.admit(s, entry, qualification_document=f"Сертификат № {n + 1}",
                            identity_checked=True, actor=ACTOR)
            if n < 2:
                violations.draw_up(s, entry, kind="device", description="Телефон под столом",
                                   occurred_at=utcnow() - dt.timedelta(minutes=5), recorded_by_id=clerk,
                                   witnesses="Сейітова Ғ.", actor=ACTOR)
                continue
            admission.call_in(s, entry, ACTOR)
            admission.finish_interview(s, entry, ACTOR)
            decisions.record(s, entry, outcome_code="assign_category", category_code="first",
                             recorded_by_id=clerk, actor=ACTOR)
        for entry in entries[len(present):]:
            absence.record(s, entry, reason=None, recorded_by_id=clerk, actor=ACTOR)
        sitting = s.get(Sitting, sitting_id)
        commission.record(s, sitting, chair="Омаров Бақыт", secretary="Сейітова Ғалия",
                          others=["Ким Елена"], actor=ACTOR)
        venues.set_sitting_status(s, sitting, SittingStatus.CLOSED, ACTOR)
    return sitting_id


def run(url: str | None, candidates: int, out=print) -> dict:
    from web import archive, create_app, pdf, pdf_fonts
    with fresh_database(url) as (target, _tmp):
        database = dbmod.Database(target)
        sitting_id = _day(database, candidates)
        database.dispose()
        app = create_app({"DATABASE_URL": target, "SECRET_KEY": "bench", "PANEL_PREPARE_ARCHIVE": False})
        db = app.extensions["attestation_db"]

        def timed(what):
            with app.app_context(), db.read() as s:
                archive.snapshot(s)
                wall, cpu = time.perf_counter(), time.process_time()
                result = what(s, s.get(Sitting, sitting_id))
                return result, time.perf_counter() - wall, time.process_time() - cpu

        def whole(s, sitting):
            return archive.build(s, sitting, "bench")

        figures = {}
        with mock.patch.object(pdf, "RENDERED", pdf._Rendered(pdf.CACHE_BYTES)), \
                mock.patch.object(pdf_fonts, "covering", lambda texts: pdf_fonts.full()):
            data, *figures["full fonts, every document laid out"] = timed(whole)
        pdf_fonts.covering("")  # the fonts are cut once per process, not per archive
        with mock.patch.object(pdf, "RENDERED", pdf._Rendered(pdf.CACHE_BYTES)):
            _data, *figures["cut fonts, every document laid out"] = timed(whole)
        with mock.patch.object(pdf, "RENDERED", pdf._Rendered(pdf.CACHE_BYTES)):
            _docs, *figures["preparing at close (in the background)"] = timed(archive._documents)
            prepared = pdf.RENDERED.made
            _data, *figures["download after the close prepared it"] = timed(whole)
            documents, laid_out_in_download = pdf.RENDERED.reused, pdf.RENDERED.made - prepared
    out(f"sitting of {candidates}, {'PostgreSQL' if target.startswith('postgresql') else 'SQLite'}: "
        f"{documents} PDFs, archive {len(data) / 1024:.0f} KiB")
    out(f"{'':42} {'wall':>9} {'CPU':>9}")
    for what, (wall, cpu) in figures.items():
        out(f"{what:42} {wall * 1000:7.0f} ms {cpu * 1000:6.0f} ms")
    return {"documents": documents, "laid_out_in_download": laid_out_in_download,
            "times": {what: {"wall_ms": wall * 1000, "cpu_ms": cpu * 1000}
                      for what, (wall, cpu) in figures.items()}}
