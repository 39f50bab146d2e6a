"""Running a sitting in the panel, end to end, on SQLite and PostgreSQL."""

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from agent import AgentTiming, CabinetAgent
from attestation.iin import mask
from attestation.models import Absence, Assignment, AuditEntry, Cell, LockCommand, RosterEntry
from kiosk import create_app as kiosk_app
from locker_driver.simulator import BoardSimulator, PtyServer

from kiosk_site import build_site
from panel_site import add_users, login, panel_app
from waiting import run_until


@pytest.fixture
def venue(db, db_url):
    sim = BoardSimulator("8a", boards=(1,), locks=8, timing="real")  # a board's own pace
    pty = PtyServer(sim)
    site = build_site(db, pty.path, cells=4, candidates=6, kiosks=1)
    add_users(db)
    kiosk = kiosk_app({"DATABASE_URL": db_url, "KIOSK_TOKEN": site.tokens[0]}).test_client()
    panel = panel_app(db_url)
    agent = CabinetAgent(db, "cab-1", timing=AgentTiming(poll_interval=0.02, retry_delay=0, jam_timeout=1.0), max_attempts=2)
    agent.start()
    yield dict(db=db, sim=sim, site=site, kiosk=kiosk, panel=panel, agent=agent)
    panel.extensions["attestation_db"].dispose()
    kiosk.application.extensions["attestation_db"].dispose()
    pty.stop()


def check_in(v, n, language="kk", source="keypad"):
    auth = {"Authorization": f"Bearer {v['site'].tokens[0]}"}
    ident = v["kiosk"].post("/api/v1/kiosk/identify", headers=auth, json={
        "credential": v["site"].people[n]["iin"], "language": language, "source": source}).get_json()
    result = v["kiosk"].post("/api/v1/kiosk/checkin", headers=auth, json={
        "session": ident["session"], "acknowledged_stages": True, "acknowledged_rules": True}).get_json()
    assert result["status"] == "ok", result
    return result["cell"]["number"]


def run_agent(v, until):
    run_until(v["agent"], until)


def entry_id(v, n):
    with v["db"].read() as s:
        return s.execute(select(RosterEntry.id).where(
            RosterEntry.candidate.has(iin=v["site"].people[n]["iin"]))).scalar()


def board_row(client, v, n):
    data = client.get(f"/panel/api/sittings/{v['site'].sitting_id}/board").get_json()
    return next(r for r in data["rows"] if r["id"] == entry_id(v, n)), data


def post(client, csrf, path, **data):
    return client.post(path, json=data, headers={"X-CSRF-Token": csrf})


def test_whole_sitting(venue):
    v = venue
    sec, chair, op = (v["panel"].test_client() for _ in range(3))
    csrf_sec, csrf_chair, csrf_op = login(sec, "secretary"), login(chair, "chair"), login(op, "operator")
    cell = check_in(v, 0, "kk", "keypad")
    check_in(v, 1, "ru", "scanner")
    row, data = board_row(sec, v, 0)
    assert row["state"] == "checked_in" and row["language"] == "kk"
    assert row["identified_by"] == "iin" and row["identity_to_check"] is True
    assert row["cell"]["number"] == cell and row["times"]["checked_in_at"]
    assert data["counts"]["checked_in"] == 2 and data["counts"]["expected"] == 4
    e0 = entry_id(v, 0)
    # admission needs the qualification document and, after a typed IIN, the ID check
    r = post(sec, csrf_sec, f"/panel/api/entries/{e0}/admit", qualification_document="")
    assert r.status_code == 400 and r.get_json()["reason"] == "qualification_document_required"
    r = post(sec, csrf_sec, f"/panel/api/entries/{e0}/admit", qualification_document="Сертификат № 17")
    assert r.get_json()["reason"] == "identity_check_required"
    r = post(sec, csrf_sec, f"/panel/api/entries/{e0}/admit", qualification_document="Сертификат № 17",
             identity_checked="1")
    assert r.status_code == 200, r.get_json()
    assert post(sec, csrf_sec, f"/panel/api/entries/{e0}/finish").status_code == 409
    assert post(sec, csrf_sec, f"/panel/api/entries/{e0}/call-in").status_code == 200
    assert post(sec, csrf_sec, f"/panel/api/entries/{e0}/finish").status_code == 200
    # decision by the chair
    r = post(chair, csrf_chair, f"/panel/api/entries/{e0}/decision", outcome="assign_category")
    assert r.get_json()["reason"] == "category_required"
    r = post(chair, csrf_chair, f"/panel/api/entries/{e0}/decision", outcome="assign_category",
             category="first")
    assert r.status_code == 200
    row, _ = board_row(sec, v, 0)
    assert row["state"] == "decided" and row["decision"]["category"] == "first"
    # return of devices: the agent opens the cell; closing it frees the cell
    run_agent(v, lambda: v["sim"].is_open(1, cell))
    v["sim"].close_door(1, cell)
    run_agent(v, lambda: board_row(sec, v, 0)[0]["cell"]["door"] == "closed")
    assert post(op, csrf_op, f"/panel/api/entries/{e0}/return-devices").status_code == 200
    assert board_row(op, v, 0)[0]["return"] == "pending"
    run_agent(v, lambda: board_row(op, v, 0)[0]["return"] == "opened")
    v["sim"].close_door(1, cell)
    run_agent(v, lambda: board_row(op, v, 0)[0]["return"] == "closed")
    with v["db"].read() as s:
        assert s.execute(select(Assignment).where(Assignment.roster_entry_id == e0)).scalar().released_at
    # protocol, printable and exported
    sid = v["site"].sitting_id
    page = sec.get(f"/panel/sittings/{sid}/protocol?lang=kk").get_data(as_text=True)
    assert "Аттестаттау комиссиясы отырысының ХАТТАМАСЫ" in page and "Бірінші санат" in page
    csv_text = sec.get(f"/panel/sittings/{sid}/protocol.csv?lang=ru").get_data(as_text=True)
    assert "Первая категория" in csv_text and v["site"].people[0]["iin"] in csv_text
    book = load_workbook(io.BytesIO(sec.get(f"/panel/sittings/{sid}/protocol.xlsx").data))
    values = [c for row in book.active.iter_rows(values_only=True) for c in row]
    assert "Первая категория" in values
    # the attestation file (point 8): the qualification document is part of it
    file_kk = sec.get(f"/panel/entries/{e0}/file?lang=kk").get_data(as_text=True)
    assert "АТТЕСТАТТАУ ІСІ" in file_kk and "Сертификат № 17" in file_kk
    assert "Кәсіптік біліктілікті тану туралы құжат" in file_kk and "Бірінші санат" in file_kk
    file_ru = sec.get(f"/panel/entries/{e0}/file?lang=ru").get_data(as_text=True)
    assert "АТТЕСТАЦИОННОЕ ДЕЛО" in file_ru and "казахский" in file_ru.lower()
    assert "Удостоверение личности проверено сотрудником" in file_ru
    assert sec.get("/panel/entries/99999/file").status_code == 404
    member = v["panel"].test_client()
    login(member, "member")
    assert member.get(f"/panel/entries/{e0}/file").status_code == 403


def test_violation_act_removes_and_prints(venue):
    v = venue
    member = v["panel"].test_client()
    csrf = login(member, "member")
    check_in(v, 2, "ru")
    e2 = entry_id(v, 2)
    r = member.post(f"/panel/entries/{e2}/violation", data={
        "csrf_token": csrf, "kind": "device", "description": "Пользовался телефоном под столом",
        "occurred_at": "", "witnesses": "Секретарь Тестова"})
    # the form asks first (the act removes the candidate), and nothing is recorded yet
    assert r.status_code == 200 and "отстраняется от этой аттестации" in r.get_data(as_text=True)
    assert board_row(member, v, 2)[0]["state"] == "checked_in"
    r = member.post(f"/panel/entries/{e2}/violation", data={
        "csrf_token": csrf, "kind": "device", "description": "Пользовался телефоном под столом",
        "occurred_at": "", "witnesses": "Секретарь Тестова", "confirmed": "yes"})
    assert r.status_code == 302 and "/panel/acts/" in r.headers["Location"]
    act_url = r.headers["Location"]
    row, data = board_row(member, v, 2)
    assert row["state"] == "removed" and row["acts"][0]["number"].startswith("1/")
    assert data["counts"]["removed"] == 1
    ru = member.get(act_url + "?lang=ru").get_data(as_text=True)
    kk = member.get(act_url + "?lang=kk").get_data(as_text=True)
    assert "АКТ о нарушении № 1/" in ru and "отстраняется от аттестации" in ru
    assert "Бұзушылық туралы АКТ № 1/" in kk and "шеттетіледі" in kk
    assert v["site"].people[2]["iin"] in ru  # a signed document carries the whole IIN (iin.on_document)
    pdf = member.get(act_url + ".pdf?lang=kk")
    assert pdf.status_code == 200 and pdf.data[:5] == b"%PDF-" and len(pdf.data) > 2000
    # a correction is a new, linked act; the first is unchanged
    act_id = int(act_url.rsplit("/", 1)[1])
    r = post(member, csrf, f"/panel/api/entries/{e2}/violation", kind="device",
             description="Уточнение: смарт-часы", corrects=str(act_id))
    assert r.status_code == 200 and r.get_json()["act"]["number"].startswith("2/")
    assert "Пользовался телефоном" in member.get(act_url).get_data(as_text=True)
    # bad input changes nothing
    check_in(v, 3)
    e3 = entry_id(v, 3)
    r = post(member, csrf, f"/panel/api/entries/{e3}/violation", kind="device", description=" ")
    assert r.status_code == 400 and r.get_json()["reason"] == "description_required"
    r = post(member, csrf, f"/panel/api/entries/{e3}/violation", kind="device", description="x",
             occurred_at="25:99")
    assert r.status_code == 400 and r.get_json()["reason"] == "invalid_time"
    assert board_row(member, v, 3)[0]["state"] == "checked_in"


def test_failed_unlock_is_shown_as_failed(venue):
    v = venue
    op = v["panel"].test_client()
    csrf = login(op, "operator")
    cell = check_in(v, 4)
    run_agent(v, lambda: v["sim"].is_open(1, cell))
    v["sim"].close_door(1, cell)
    e4 = entry_id(v, 4)
    with v["db"].write() as s:
        s.get(RosterEntry, e4).state = "interviewed"
    v["sim"].dead.add(1)
    assert post(op, csrf, f"/panel/api/entries/{e4}/return-devices").status_code == 200
    run_agent(v, lambda: board_row(op, v, 4)[0]["return"] == "failed")
    page = op.get(f"/panel/cabinets/{1}").get_data(as_text=True)
    assert "открытие для возврата устройств: не удалось" in page and "unlock return" not in page


def test_absences_and_deadlines(venue):
    v = venue
    sec = v["panel"].test_client()
    csrf = login(sec, "secretary")
    e5, e1 = entry_id(v, 5), entry_id(v, 1)
    r = post(sec, csrf, f"/panel/api/entries/{e5}/absence", reason="sick_leave", document="",
             return_date="2026-01-31")
    assert r.get_json()["reason"] == "document_required"
    r = post(sec, csrf, f"/panel/api/entries/{e5}/absence", reason="sick_leave",
             document="Лист нетрудоспособности № 88", return_date="2028-01-31")
    assert r.status_code == 200
    assert post(sec, csrf, f"/panel/api/entries/{e1}/absence", reason="none").status_code == 200
    with v["db"].read() as s:
        a = s.execute(select(Absence).where(Absence.roster_entry_id == e5)).scalar()
        assert str(a.deadline) == "2028-02-29"
    page = sec.get(f"/panel/sittings/{v['site'].sitting_id}/absences").get_data(as_text=True)
    assert "29.02.2028" in page
    row, data = board_row(sec, v, 5)
    assert row["state"] == "absent_valid" and row["absence"]["deadline"] == "2028-02-29"
    assert data["counts"]["absent_invalid"] == 1
    csv_text = sec.get(f"/panel/sittings/{v['site'].sitting_id}/protocol.csv").get_data(as_text=True)
    assert "Не аттестован(а) (неявка без уважительной причины)" in csv_text
    file_ru = sec.get(f"/panel/entries/{e5}/file?lang=ru").get_data(as_text=True)
    assert "Лист нетрудоспособности № 88" in file_ru and "аттестация не позднее 29.02.2028" in file_ru
    assert "Перенесено: Временная нетрудоспособность (больничный лист), до 29.02.2028" in csv_text


def test_cabinet_service_and_force_open(venue):
    v = venue
    op = v["panel"].test_client()
    csrf = login(op, "operator")
    with v["db"].read() as s:
        cell = s.execute(select(Cell).where(Cell.number == 3)).scalar()
    r = post(op, csrf, f"/panel/api/cells/{cell.id}/status", status="out_of_service", reason="")
    assert r.status_code == 400
    assert post(op, csrf, f"/panel/api/cells/{cell.id}/status", status="out_of_service",
                reason="петля сломана").status_code == 200
    assert post(op, csrf, f"/panel/api/cells/{cell.id}/force-open", reason="").status_code == 400
    assert post(op, csrf, f"/panel/api/cells/{cell.id}/force-open",
                reason="забытые вещи").status_code == 200
    run_agent(v, lambda: v["sim"].is_open(1, 3))
    with v["db"].read() as s:
        cmd = s.execute(select(LockCommand).where(LockCommand.purpose == "force")).scalar()
        assert cmd.reason == "забытые вещи" and cmd.requested_by == "user:operator1"
        actions = [a.action for a in s.execute(select(AuditEntry)).scalars()]
        assert "cell.status" in actions and "lock.requested" in actions
    page = op.get("/panel/cabinets/1").get_data(as_text=True)
    assert "петля сломана" in page
    # allocation skips the cell now
    numbers = {check_in(v, n) for n in (0, 1, 2)}
    assert 3 not in numbers


def test_roster_import_in_the_panel(venue):
    v = venue
    sec = v["panel"].test_client()
    csrf = login(sec, "secretary")
    from factories import people
    group = people(3, seed=77)
    good = "iin,last_name,first_name,middle_name,organization,position\n" + "".join(
        f"{p['iin']},{p['last_name']},{p['first_name']},,ЦСО,соцработник\n" for p in group)
    bad = good.replace(group[1]["iin"], group[1]["iin"][:11] + str((int(group[1]["iin"][11]) + 1) % 10))
    url = f"/panel/sittings/{v['site'].sitting_id}/roster"
    r = sec.post(url, data={"csrf_token": csrf, "file": (io.BytesIO(bad.encode()), "r.csv")},
                 content_type="multipart/form-data")
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "Файл отклонён" in page and "3" in page
    assert "контрольная цифра (12-я) не совпадает" in page and "check digit" not in page
    assert board_row(sec, v, 0)[1]["total"] == 6
    r = sec.post(url, data={"csrf_token": csrf, "file": (io.BytesIO(good.encode()), "r.csv")},
                 content_type="multipart/form-data")
    assert r.status_code == 200 and "Загружено аттестуемых: 3" in r.get_data(as_text=True)
    assert board_row(sec, v, 0)[1]["total"] == 9
    found = sec.get(f"/panel/search?q={group[0]['last_name'][:4]}").get_data(as_text=True)
    assert mask(group[0]["iin"]) in found and group[0]["iin"] not in found


def test_audit_viewer(venue):
    v = venue
    chair = v["panel"].test_client()
    login(chair, "chair")
    check_in(v, 0)
    page = chair.get(f"/panel/audit?sitting={v['site'].sitting_id}").get_data(as_text=True)
    assert "Цепочка проверена" in page and "roster.check_in" in page


def test_names_are_escaped_everywhere(venue):
    v = venue
    evil = "<script>alert(1)</script>\"Qu'ote\" Әбенова &amp;"
    with v["db"].write() as s:
        entry = s.get(RosterEntry, entry_id(v, 0))
        entry.candidate.last_name = evil
    sec = v["panel"].test_client()
    login(sec, "secretary")
    data = sec.get(f"/panel/api/sittings/{v['site'].sitting_id}/board").get_json()
    assert any(r["name"].startswith(evil) for r in data["rows"])  # JSON carries it as data
    for url in ("/panel/search?q=Әбенова", f"/panel/sittings/{v['site'].sitting_id}/protocol",
                f"/panel/sittings/{v['site'].sitting_id}/absences"):
        page = sec.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url


def test_board_sends_only_changed_rows_to_a_client_that_has_the_board(venue):
    v = venue
    sec = v["panel"].test_client()
    login(sec, "secretary")
    url = f"/panel/api/sittings/{v['site'].sitting_id}/board"
    first = sec.get(url).get_json()
    assert first["full"] is True and len(first["rows"]) == 6
    same = sec.get(f"{url}?since={first['version']}").get_json()
    assert same["full"] is False and same["changed"] == []
    check_in(v, 3)
    diff = sec.get(f"{url}?since={first['version']}").get_json()
    assert diff["full"] is False and [r["id"] for r in diff["changed"]] == [entry_id(v, 3)]
    assert diff["changed"][0]["state"] == "checked_in" and diff["counts"]["checked_in"] == 1
    unknown = sec.get(f"{url}?since=nonsense").get_json()
    assert unknown["full"] is True and len(unknown["rows"]) == 6


def test_out_of_range_ids_and_long_texts_are_bad_input_not_outages(venue):
    v = venue
    chair = v["panel"].test_client()
    csrf = login(chair, "chair")
    assert chair.get("/panel/acts/99999999999").status_code == 404
    check_in(v, 0)
    e0 = entry_id(v, 0)
    r = post(chair, csrf, f"/panel/api/entries/{e0}/violation", kind="device", description="x",
             corrects="3000000000")
    assert r.status_code == 400
    op = v["panel"].test_client()
    csrf_op = login(op, "operator")
    r = post(op, csrf_op, "/panel/api/cells/1/force-open", reason="x" * 301)
    assert r.status_code == 400 and r.get_json()["reason"] == "too_long"
    sec = v["panel"].test_client()
    csrf_sec = login(sec, "secretary")
    r = post(sec, csrf_sec, f"/panel/api/entries/{entry_id(v, 5)}/absence", reason="vacation",
             document="d" * 301, return_date="2027-01-01")
    assert r.status_code == 400 and r.get_json()["reason"] == "too_long"
    check_in(v, 1)
    r = post(sec, csrf_sec, f"/panel/api/entries/{entry_id(v, 1)}/admit",
             qualification_document="Д" * 301, identity_checked="1")
    assert r.status_code == 400 and r.get_json()["reason"] == "too_long"
    assert board_row(sec, v, 1)[0]["state"] == "checked_in"
