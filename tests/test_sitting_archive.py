"""The archive of a sitting: PDFs in kk and ru, roster, audit part, manifest; its verify.

The PDFs are read back with PDFium (pypdfium2): their text must be there in each language,
and every page is rendered to PNG in test-artifacts/archive/ for a person to look at.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import pathlib
import zipfile

import pypdfium2
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from attestation import (absence, admission, audit_anchor, checkin, commission, decisions, venues,
                         violations)
from attestation.models import AuditEntry, RosterEntry, User
from attestation.timeutil import utcnow
from attestation.vocabulary import SittingStatus
from backup import sitting_archive
from kioskctl import main as kioskctl
from web import attestation_file, pdf, pdf_fonts

from factories import ACTOR, setup_venue
from panel_site import add_users, login, panel_app

ARTIFACTS = pathlib.Path("test-artifacts/archive")


def _sitting(db):
    """A closed sitting with a decision, an act and its correction, and an absence."""
    with db.write() as s:
        venue, sitting, cabinet, entries = setup_venue(s, cells=4, candidates=4)
        now = utcnow()
        for entry, lang in zip(entries[:3], ("kk", "ru", "kk")):
            checkin.check_in(s, checkin.CheckInRequest(
                entry.id, venue.id, cabinet.id, "digital_id", lang, now, now, ACTOR))
        first, second, third, fourth = entries
        admission.admit(s, first, qualification_document="Сертификат № 17", identity_checked=True,
                        actor=ACTOR)
        admission.call_in(s, first, ACTOR)
        admission.finish_interview(s, first, ACTOR)
        return sitting.id, [e.id for e in entries]


def _finish(db, entry_ids, close: bool = True):
    with db.write() as s:
        clerk = s.execute(select(User).where(User.username == "secretary1")).scalar_one()
        first, second, third, fourth = (s.get(RosterEntry, i) for i in entry_ids)
        decisions.record(s, first, outcome_code="assign_category", category_code="first",
                         recorded_by_id=clerk.id, actor=ACTOR)
        act = violations.draw_up(s, second, kind="device", description="Телефон под столом",
                                 occurred_at=dt.datetime.now(dt.timezone.utc), recorded_by_id=clerk.id,
                                 witnesses="Сейітова Ғ.", actor=ACTOR)
        violations.draw_up(s, second, kind="device", description="Уточнение: смарт-сағат",
                           occurred_at=dt.datetime.now(dt.timezone.utc), recorded_by_id=clerk.id,
                           actor=ACTOR, corrects=act)
        violations.draw_up(s, third, kind="literature", description="Шпаргалка",
                           occurred_at=dt.datetime.now(dt.timezone.utc), recorded_by_id=clerk.id,
                           actor=ACTOR)
        absence.record(s, fourth, reason=None, recorded_by_id=clerk.id, actor=ACTOR)
        commission.record(s, first.sitting, chair="Омаров Бақыт", secretary="Сейітова Ғалия",
                          others=["Ким Елена"], actor=ACTOR)
        if close:
            venues.set_sitting_status(s, first.sitting, SittingStatus.CLOSED, ACTOR)


@pytest.fixture
def closed_sitting(db, db_url):
    sitting_id, entry_ids = _sitting(db)
    add_users(db)
    _finish(db, entry_ids)
    return sitting_id, entry_ids


def _pdf_text(data: bytes, save_as: str | None = None) -> str:
    pdf = pypdfium2.PdfDocument(data)
    text = []
    for n, page in enumerate(pdf):
        text.append(page.get_textpage().get_text_range())
        if save_as:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.render(scale=1.2).to_pil().save(ARTIFACTS / f"{save_as}-p{n + 1}.png")
    return " ".join(" ".join(text).split())  # lines wrapped in table cells join again


def test_archive_download_holds_every_document_in_both_languages(db_url, closed_sitting):
    sitting_id, entry_ids = closed_sitting
    panel = panel_app(db_url)
    sec = panel.test_client()
    login(sec, "secretary")
    r = sec.get(f"/panel/sittings/{sitting_id}/archive.zip")
    assert r.status_code == 200 and r.mimetype == "application/zip"
    assert f"sitting-{sitting_id}-" in r.headers["Content-Disposition"]
    names = set(zipfile.ZipFile(io.BytesIO(r.data)).namelist())
    assert {"manifest.json", "manifest.sig", "roster.csv", "audit/entries.jsonl", "audit/head.json",
            "protocol/protocol-kk.pdf", "protocol/protocol-ru.pdf"} <= names
    assert sum(n.startswith("acts/") for n in names) == 6          # 3 acts (1 correction) x 2
    assert {f"files/file-{i}-{lang}.pdf" for i in entry_ids for lang in ("kk", "ru")} <= names
    check = sitting_archive.verify(r.data, key=panel.extensions["attestation_db"].audit_key)
    assert check.ok, check.problem
    assert check.warnings == [] and check.entries > 10
    archive = zipfile.ZipFile(io.BytesIO(r.data))
    kk = _pdf_text(archive.read("protocol/protocol-kk.pdf"), "protocol-kk")
    ru = _pdf_text(archive.read("protocol/protocol-ru.pdf"), "protocol-ru")
    assert "ХАТТАМАСЫ" in kk and "Бірінші санат" in kk and "ЖОБА" not in kk
    assert "ПРОТОКОЛ № 1/" in ru and "Первая категория" in ru and "ПРОЕКТ" not in ru
    for name in ("Омаров Бақыт", "Сейітова Ғалия", "Ким Елена"):  # the commission, and a line to sign
        assert kk.count(name) == 2 and ru.count(name) == 2, name
    assert "Комиссия төрағасы: Омаров Бақыт" in kk and "Член комиссии: Ким Елена" in ru
    assert "Аудит" in ru or "аудит" in ru  # the chain head is printed at the foot
    act_kk = next(n for n in sorted(names) if n.startswith("acts/") and n.endswith("-kk.pdf"))
    act_text = _pdf_text(archive.read(act_kk), "act-kk")
    assert "Бұзушылық туралы АКТ" in act_text and "Комиссия мүшесі: Ким Елена" in act_text
    file_ru = _pdf_text(archive.read(f"files/file-{entry_ids[0]}-ru.pdf"), "file-ru")
    assert "АТТЕСТАЦИОННОЕ ДЕЛО" in file_ru and "Сертификат № 17" in file_ru
    _pdf_text(archive.read(f"files/file-{entry_ids[0]}-kk.pdf"), "file-kk")
    roster = archive.read("roster.csv").decode("utf-8-sig").splitlines()
    assert roster[0].startswith("ЖСН / ИИН;") and len(roster) == 5
    entries = [json.loads(line) for line in archive.read("audit/entries.jsonl").splitlines()]
    assert all(e["sitting_id"] == sitting_id for e in entries)
    # the member and the admin have no export right; another venue's sitting is not found
    member = panel.test_client()
    login(member, "member")
    assert member.get(f"/panel/sittings/{sitting_id}/archive.zip").status_code == 403
    assert sec.get("/panel/sittings/99999/archive.zip").status_code == 404


def test_closing_a_sitting_lays_out_its_documents_before_the_download(db_url, db, monkeypatch, caplog):
    monkeypatch.setattr(pdf, "RENDERED", pdf._Rendered(pdf.CACHE_BYTES))  # this test's own
    caplog.set_level(logging.INFO, logger=pdf_fonts.__name__)
    sitting_id, entry_ids = _sitting(db)
    add_users(db)
    _finish(db, entry_ids, close=False)
    panel = panel_app(db_url, PANEL_PREPARE_ARCHIVE=True)
    sec = panel.test_client()
    csrf = login(sec, "secretary")
    r = sec.post(f"/panel/sittings/{sitting_id}/status",
                 data={"status": "closed", "confirmed": "yes", "csrf_token": csrf})
    assert r.status_code in (200, 302)
    panel.extensions["archive_preparer"].wait(sitting_id)
    assert pdf.RENDERED.reused == 0
    r = sec.get(f"/panel/sittings/{sitting_id}/archive.zip")
    assert r.status_code == 200
    documents = [n for n in zipfile.ZipFile(io.BytesIO(r.data)).namelist() if n.endswith(".pdf")]
    assert len(documents) == 2 * (len(entry_ids) + 1 + 3)      # files, protocol, 3 acts; kk and ru
    assert pdf.RENDERED.made == len(documents)                 # all laid out when it was closed...
    assert pdf.RENDERED.reused == len(documents)               # ...and none again for the download
    kk = _pdf_text(zipfile.ZipFile(io.BytesIO(r.data)).read("protocol/protocol-kk.pdf"))
    assert "ХАТТАМАСЫ" in kk and "ЖОБА" not in kk
    assert "full fonts" not in caplog.text          # every document fitted the cut fonts


def test_a_letter_the_cut_font_lacks_is_set_in_the_full_one(caplog):
    caplog.set_level(logging.INFO, logger=pdf_fonts.__name__)
    kazakh = "Әбенова Әсел Қайратқызы, ғ қ ң ө ұ ү һ і, «№ 17» — 5 000 ₸"
    assert pdf_fonts.covering(kazakh) != pdf_fonts.full()
    armenian = "Սարգսյան Արամ"
    assert pdf_fonts.covering({"rows": [("ФИО", armenian)]}) == pdf_fonts.full()
    texts = {"lang": "ru", "entry_id": 0, "title": "ДЕЛО", "rows": [("ФИО", armenian), ("Имя", kazakh)],
             "history_title": "", "history": []}
    text = _pdf_text(attestation_file.file_pdf(texts))
    assert armenian in text and kazakh in text
    assert "full fonts" in caplog.text


def test_every_text_of_the_panel_is_in_the_cut_fonts():
    """Otherwise every document would quietly fall back to the full fonts' slow path."""
    from babel.messages.pofile import read_po
    texts = []
    for po in pathlib.Path("web/translations").glob("*/LC_MESSAGES/messages.po"):
        with po.open("rb") as f:
            for message in read_po(f):
                texts += [message.id, message.string]
    assert len(texts) > 500
    assert pdf_fonts.covering(texts) != pdf_fonts.full()


def test_a_sitting_still_open_prints_a_draft(db_url, db):
    sitting_id, _ = _sitting(db)
    add_users(db)
    panel = panel_app(db_url)
    sec = panel.test_client()
    login(sec, "secretary")
    pdf = sec.get(f"/panel/sittings/{sitting_id}/protocol.pdf?lang=kk")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "ЖОБА" in _pdf_text(pdf.data)
    page = sec.get(f"/panel/sittings/{sitting_id}/protocol?lang=ru").get_data(as_text=True)
    assert "ПРОЕКТ: заседание не закрыто" in page


def _rezip(data: bytes, change) -> bytes:
    """The archive with ``change(name, bytes) -> bytes | None`` applied (None drops it)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for name in source.namelist():
            changed = change(name, source.read(name))
            if changed is not None:
                out.writestr(name, changed)
    return buf.getvalue()


def test_verify_fails_when_any_member_changes(db_url, closed_sitting, tmp_path):
    sitting_id, _ = closed_sitting
    runner = CliRunner()
    out = tmp_path / "a.zip"
    r = runner.invoke(kioskctl, ["--database-url", db_url, "sitting", "archive", str(sitting_id),
                                 "--out", str(out)])
    assert r.exit_code == 0, r.output
    data = out.read_bytes()
    r = runner.invoke(kioskctl, ["--database-url", db_url, "sitting", "verify-archive", str(out),
                                 "--database"])
    assert r.exit_code == 0 and "archive intact" in r.output, r.output
    key = audit_anchor.load_key()
    assert sitting_archive.verify(data, key).ok
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    for victim in names:
        def flip(name, body, victim=victim):
            if name != victim:
                return body
            return body[:-1] + bytes([body[-1] ^ 1]) if body else b"x"
        check = sitting_archive.verify(_rezip(data, flip), key)
        assert not check.ok, f"a change to {victim} went unnoticed"
    dropped = sitting_archive.verify(_rezip(data, lambda n, b: None if n == "roster.csv" else b), key)
    assert not dropped.ok and "missing" in dropped.problem
    buf = io.BytesIO(data)
    with zipfile.ZipFile(buf, "a") as z:
        z.writestr("acts/extra.pdf", b"%PDF-")
    assert "added" in sitting_archive.verify(buf.getvalue(), key).problem
    # a consistent forgery (sums recomputed) fails on the signature when the key is known
    forged = _forge(data)
    assert sitting_archive.verify(forged, key=None).ok   # without the key it cannot tell...
    assert not sitting_archive.verify(forged, key).ok     # ...with it, it can
    path = tmp_path / "forged.zip"
    path.write_bytes(forged)
    r = runner.invoke(kioskctl, ["--database-url", db_url, "sitting", "verify-archive", str(path)])
    assert r.exit_code == 3 and "signature" in r.output


def _forge(data: bytes) -> bytes:
    """Change the roster and recompute its sum in the manifest (keeping the old signature)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    roster = source.read("roster.csv") + "000000000000;Подставной;;;;\r\n".encode()
    manifest = json.loads(source.read("manifest.json"))
    manifest["members"]["roster.csv"] = hashlib.sha256(roster).hexdigest()
    replaced = {"roster.csv": roster, "manifest.json": json.dumps(manifest).encode()}
    return _rezip(data, lambda n, b: replaced.get(n, b))


def test_archive_entries_must_match_the_live_log(db_url, closed_sitting, db):
    sitting_id, _ = closed_sitting
    panel = panel_app(db_url)
    sec = panel.test_client()
    login(sec, "secretary")
    data = sec.get(f"/panel/sittings/{sitting_id}/archive.zip").data
    with db.read() as s:
        assert sitting_archive.missing_from_log(s, data) == []
        first = s.execute(select(AuditEntry.id).where(AuditEntry.sitting_id == sitting_id)
                          .order_by(AuditEntry.id)).scalar()

    def retell(name, body):
        if name != "audit/entries.jsonl":
            return body
        lines = body.splitlines()
        record = json.loads(lines[0])
        record["hash"] = "0" * 64
        return b"\n".join([json.dumps(record).encode()] + lines[1:]) + b"\n"
    with db.read() as s:
        assert sitting_archive.missing_from_log(s, _rezip(data, retell)) == [first]
