"""Findings of the security review (issue 13): bad input is a 400 with a reason, never a 5xx;
redirects stay on the panel; exports never hand a spreadsheet a formula."""

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from attestation import roster_import, transitions
from attestation.models import Candidate, RosterEntry, ViolationAct
from kiosk import create_app as kiosk_app

from factories import ACTOR
from kiosk_site import build_site
from panel_site import add_users, login, panel_app


@pytest.fixture
def rig(db, db_url):
    site = build_site(db, "loop://", cells=4, candidates=4, kiosks=1)
    add_users(db)
    with db.write() as s:
        entries = s.execute(select(RosterEntry).order_by(RosterEntry.id)).scalars().all()
        transitions.apply(s, entries[0], "check_in", ACTOR)
        ids = [e.id for e in entries]
    panel = panel_app(db_url)
    kiosk = kiosk_app({"DATABASE_URL": db_url, "KIOSK_TOKEN": site.tokens[0], "TESTING": True})
    yield site, panel, kiosk, ids
    panel.extensions["attestation_db"].dispose()
    kiosk.extensions["attestation_db"].dispose()


def deep(n):
    return "[" * n + "]" * n


def test_deeply_nested_json_is_a_400_on_both_apps(rig):
    site, panel, kiosk, ids = rig
    r = kiosk.test_client().post("/api/v1/kiosk/identify", data=deep(1000),
                                 content_type="application/json",
                                 headers={"Authorization": f"Bearer {site.tokens[0]}"})
    assert r.status_code == 400 and r.get_json()["reason"] == "bad_request"
    client = panel.test_client()
    csrf = login(client, "secretary")
    r = client.post(f"/panel/api/entries/{ids[0]}/admit", data=deep(1000),
                    content_type="application/json", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 400


def test_the_kiosk_api_refuses_a_large_body(rig):
    site, _panel, kiosk, _ids = rig
    body = '{"credential": "' + "1" * (1024 * 1024) + '", "language": "kk"}'
    r = kiosk.test_client().post("/api/v1/kiosk/identify", data=body, content_type="application/json",
                                 headers={"Authorization": f"Bearer {site.tokens[0]}"})
    assert r.status_code == 413 and r.get_json()["status"] == "error"


def test_implausible_dates_are_refused_and_change_nothing(rig, db):
    _site, panel, _kiosk, ids = rig
    client = panel.test_client()
    csrf = login(client, "chair")
    r = client.post(f"/panel/api/entries/{ids[0]}/violation", headers={"X-CSRF-Token": csrf},
                    json={"kind": "device", "description": "телефон", "occurred_at": "0001-01-01T10:00"})
    assert r.status_code == 400 and r.get_json()["reason"] == "invalid_time"
    client = panel.test_client()
    csrf = login(client, "secretary")
    for day in ("9999-12-31", "0001-01-01"):
        r = client.post(f"/panel/api/entries/{ids[1]}/absence", headers={"X-CSRF-Token": csrf},
                        json={"reason": "sick_leave", "document": "парақ 12", "return_date": day})
        assert r.status_code == 400 and r.get_json()["reason"] == "invalid_date", r.get_json()
    with db.read() as s:
        assert s.execute(select(ViolationAct)).first() is None
        assert s.get(RosterEntry, ids[1]).state == "expected"


def test_over_long_and_control_character_texts_are_refused(rig, db):
    _site, panel, _kiosk, ids = rig
    client = panel.test_client()
    csrf = login(client, "chair")
    r = client.post(f"/panel/api/entries/{ids[0]}/violation", headers={"X-CSRF-Token": csrf},
                    json={"kind": "device", "description": "x" * 5000})
    assert r.status_code == 400 and r.get_json()["reason"] == "too_long"
    r = client.post(f"/panel/api/entries/{ids[0]}/violation", headers={"X-CSRF-Token": csrf},
                    json={"kind": "device", "description": "телефон\x00"})
    assert r.status_code == 400 and r.get_json()["reason"] == "control_characters"
    with db.read() as s:
        assert s.execute(select(ViolationAct)).first() is None


def test_roster_rows_with_control_characters_or_over_long_names_are_refused(rig, db):
    site, *_ = rig
    from factories import make_iin
    good, other = make_iin(900, seed=7), make_iin(901, seed=7)
    data = ("iin,last_name,first_name\n"
            f"{good},Ахметов\x00,Ерлан\n{other},{'Ы' * 5000},Айгүл\n").encode()
    rows = roster_import.read_rows("roster.csv", data)
    with pytest.raises(roster_import.RosterFileError) as caught:
        with db.write() as s:
            from attestation import venues
            roster_import.import_rows(s, venues.get_sitting(s, site.sitting_id), rows, ACTOR)
    text = " ".join(str(e) for e in caught.value.errors)
    assert "control characters" in text and "longer than 100" in text
    with db.read() as s:
        assert s.execute(select(Candidate).where(Candidate.iin == good)).first() is None


@pytest.mark.parametrize("back", ["https://evil.example/phish", "//evil.example/x", "/\\evil.example",
                                  "javascript:alert(1)", "/elsewhere"])
def test_action_forms_redirect_only_to_panel_paths(rig, back):
    _site, panel, _kiosk, ids = rig
    client = panel.test_client()
    csrf = login(client, "secretary")
    r = client.post(f"/panel/entries/{ids[0]}/admit", data={"csrf_token": csrf, "back": back,
                                                           "qualification_document": "куәлік 1"})
    assert r.status_code == 302 and r.headers["Location"].startswith("/panel/")


def test_the_language_switch_ignores_a_foreign_referer(rig):
    _site, panel, _kiosk, _ids = rig
    client = panel.test_client()
    login(client, "secretary")
    r = client.get("/panel/language/kk", headers={"Referer": "https://evil.example/panel/x"})
    assert r.status_code == 302 and r.headers["Location"] == "/panel/"
    r = client.get("/panel/language/kk", headers={"Referer": "http://localhost/panel/cabinets"})
    assert r.headers["Location"] == "/panel/cabinets"


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r"])
def test_exports_neutralise_every_formula_lead_in(rig, db, lead):
    site, panel, _kiosk, ids = rig
    with db.write() as s:
        entry = s.get(RosterEntry, ids[0])
        s.get(Candidate, entry.candidate_id).organization = lead + "HYPERLINK(\"http://x\")"
        s.get(Candidate, entry.candidate_id).position = "бөлім\x07"  # stored before the rule
    client = panel.test_client()
    login(client, "secretary")
    body = client.get(f"/panel/sittings/{site.sitting_id}/protocol.csv").get_data(as_text=True)
    cells = [c for row in csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";") for c in row]
    assert not any(c[:1] in ("=", "+", "-", "@", "\t", "\r") for c in cells if "HYPERLINK" in c)
    r = client.get(f"/panel/sittings/{site.sitting_id}/protocol.xlsx")
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.data)).active
    values = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert any("HYPERLINK" in v and v.startswith("'") for v in values)
