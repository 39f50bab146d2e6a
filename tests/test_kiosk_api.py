"""The kiosk JSON API, every outcome and refusal, on SQLite and PostgreSQL."""

import threading

import pytest
from sqlalchemy import event, select

from agent import AgentTiming, CabinetAgent
from fake_services.digital_id import FakeDigitalDocuments
from attestation.models import (Assignment, LockCommand, RosterEntry, Sitting)
from kiosk import create_app
from locker_driver.simulator import BoardSimulator, PtyServer

from factories import make_iin
from kiosk_site import build_site
from waiting import run_until


@pytest.fixture
def rig(db, db_url):
    sim = BoardSimulator("8a", boards=(1,), locks=8, timing="real")  # a board's own pace
    server = PtyServer(sim)
    fake = FakeDigitalDocuments(key="k")
    site = build_site(db, server.path, cells=3, candidates=6)
    app = create_app({"DATABASE_URL": db_url, "KIOSK_TOKEN": site.tokens[0], "TESTING": True,
                      "DIGITAL_ID_URL": fake.url, "DIGITAL_ID_KEY": "k", "DIGITAL_ID_TIMEOUT": 0.5})
    client = app.test_client()
    yield site, client, sim, fake
    fake.stop()
    server.stop()
    app.extensions["attestation_db"].dispose()


def call(client, token, method, path, payload=None):
    resp = client.open(f"/api/v1/kiosk/{path}", method=method, json=payload,
                       headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code < 500, resp.get_data(as_text=True)
    return resp


def identify(client, token, credential, language="kk", source="keypad"):
    return call(client, token, "POST", "identify",
                {"credential": credential, "language": language, "source": source}).get_json()


def checkin(client, token, session):
    return call(client, token, "POST", "checkin", {"session": session, "acknowledged_stages": True,
                                                   "acknowledged_rules": True}).get_json()


def test_full_flow_by_typed_iin(rig):
    site, client, sim, _ = rig
    t = site.tokens[0]
    person = site.people[0]
    data = identify(client, t, person["iin"], "kk")
    assert data["status"] == "ok" and data["identified_by"] == "iin"
    assert data["candidate"]["iin"] != person["iin"] and data["candidate"]["iin"][-2:] == person["iin"][-2:]
    assert data["candidate"]["identity_to_check"] is True
    assert data["stages"][0]["name"] == "Әңгімелесу" and data["stages"][0]["duration"] == "30 мин"
    assert data["stages_total"] == "Барлығы: 45 мин" and data["existing_cell"] is None
    assert call(client, t, "POST", "acknowledge", {"session": data["session"], "what": "stages"}).get_json()["status"] == "ok"
    result = checkin(client, t, data["session"])
    assert result == {"status": "ok", "repeat": False, "cell": {"cabinet": "cab-1", "number": 1}}
    state = call(client, t, "GET", f"checkin/{data['session']}").get_json()
    assert state["phase"] == "opening"
    with site.db.read() as s:
        entry = s.execute(select(RosterEntry).where(RosterEntry.candidate.has(iin=person["iin"]))).scalar()
        assert entry.state == "checked_in" and entry.language == "kk"
        assert entry.identified_by == "iin" and entry.identity_to_check
        assert entry.stages_acknowledged_at < entry.rules_acknowledged_at

    # the agent opens the cell, the door is seen open, then closed
    agent = CabinetAgent(site.db, "cab-1", timing=AgentTiming(poll_interval=0.02))
    agent.start()
    def phase():
        return call(client, t, "GET", f"checkin/{data['session']}").get_json()
    state = run_until(agent, lambda: (s := phase())["phase"] != "opening" and s)
    assert state["phase"] == "put_devices" and state["door"] == "open" and sim.is_open(1, 1)
    sim.close_door(1, 1)
    state = run_until(agent, lambda: (s := phase())["phase"] == "done" and s)
    assert state["cell"]["number"] == 1


def test_mrz_barcode_and_qr(rig):
    site, client, _, fake = rig
    t = site.tokens[0]
    data = identify(client, t, site.mrz_of(1), "ru", "scanner")
    assert data["status"] == "ok" and data["identified_by"] == "mrz"
    assert data["candidate"]["identity_to_check"] is False
    assert data["stages"][0]["name"] == "Собеседование"
    data = identify(client, t, site.people[2]["iin"], "ru", "scanner")
    assert data["identified_by"] == "barcode"
    p = site.people[3]
    # names are compared as people write them: case does not matter
    fake.add("https://digital.example/d/abc123", iin=p["iin"], last_name=p["last_name"].upper(),
             first_name=p["first_name"])
    data = identify(client, t, "https://digital.example/d/abc123", "kk", "scanner")
    assert data["status"] == "ok" and data["identified_by"] == "digital_id"


@pytest.mark.parametrize("language,title", [("kk", "ЖСН жарамсыз"), ("ru", "ИИН недействителен")])
def test_invalid_iin_in_both_languages(rig, language, title):
    site, client, _, _ = rig
    bad = site.people[0]["iin"][:11] + str((int(site.people[0]["iin"][11]) + 1) % 10)
    data = identify(client, site.tokens[0], bad, language)
    assert data == {"status": "refused", "reason": "invalid_iin", "message": title,
                    "what_to_do": data["what_to_do"], "needs_staff": False}
    assert data["what_to_do"]


def test_refusals(rig):
    site, client, sim, fake = rig
    client.application.config["KIOSK_IDENTIFY_LIMIT"] = 100  # this test walks every refusal
    t = site.tokens[0]
    from factories import make_iin
    stranger = make_iin(999, seed=5)
    assert identify(client, t, stranger)["reason"] == "not_on_roster"
    assert identify(client, t, "12345", source="scanner")["reason"] == "unreadable_card"
    corrupt = site.mrz_of(0).replace("<<<<<<<<<<<", "<<<<<<<<<<1", 1)
    assert identify(client, t, corrupt, source="scanner")["reason"] == "unreadable_card"
    # digital ID: unknown, not an identity document, names differ, service down
    assert identify(client, t, "https://digital.example/d/none", source="scanner")["reason"] == "document_not_found"
    p = site.people[4]
    fake.add("https://digital.example/d/licence", iin=p["iin"], last_name=p["last_name"],
             first_name=p["first_name"], doc_type="driver_license")
    assert identify(client, t, "https://digital.example/d/licence", source="scanner")["reason"] == "not_identity_document"
    fake.add("https://digital.example/d/other", iin=p["iin"], last_name="Басқа", first_name="Адам")
    assert identify(client, t, "https://digital.example/d/other", source="scanner")["reason"] == "name_mismatch"
    fake.fail = True
    assert identify(client, t, "https://digital.example/d/other", source="scanner")["reason"] == "identity_service_down"
    fake.fail = False
    fake.delay = 1.0
    assert identify(client, t, "https://digital.example/d/other", source="scanner")["reason"] == "identity_service_down"
    fake.delay = 0
    # states on the roster
    for n, state, code in [(0, "removed", "already_removed"), (1, "absent_valid", "absence_recorded"),
                           (2, "decided", "already_finished")]:
        with site.db.write() as s:
            e = s.execute(select(RosterEntry).where(RosterEntry.candidate.has(iin=site.people[n]["iin"]))).scalar()
            e.state = state
        assert identify(client, t, site.people[n]["iin"])["reason"] == code
    # acknowledgements are required
    data = identify(client, t, site.people[3]["iin"])
    r = call(client, t, "POST", "checkin", {"session": data["session"], "acknowledged_stages": True,
                                            "acknowledged_rules": False}).get_json()
    assert r["reason"] == "not_acknowledged"
    # expired / reset session
    assert call(client, t, "POST", "reset", {"session": data["session"]}).get_json()["ended"] is True
    assert checkin(client, t, data["session"])["reason"] == "session_expired"
    assert call(client, t, "GET", f"checkin/{data['session']}").get_json()["reason"] == "session_expired"
    # another kiosk cannot use this kiosk's session
    data = identify(client, t, site.people[3]["iin"])
    assert checkin(client, site.tokens[1], data["session"])["reason"] == "session_expired"


def test_another_days_roster_is_not_told_and_sitting_not_open(rig):
    site, client, _, _ = rig
    import datetime as dt
    with site.db.write() as s:
        sitting = s.get(Sitting, site.sitting_id)
        sitting.date = sitting.date + dt.timedelta(days=1)
    # On tomorrow's roster answers exactly as on none: the kiosk does not tell who is listed.
    on_other_day = identify(client, site.tokens[0], site.people[0]["iin"])
    on_none = identify(client, site.tokens[0], make_iin(9001, seed=991))
    assert on_other_day["reason"] == on_none["reason"] == "not_on_roster"
    assert on_other_day == on_none
    with site.db.write() as s:
        sitting = s.get(Sitting, site.sitting_id)
        sitting.date = sitting.date - dt.timedelta(days=1)
        sitting.status = "planned"
    assert identify(client, site.tokens[0], site.people[0]["iin"])["reason"] == "sitting_not_open"


def test_cabinet_full_and_repeat(rig):
    site, client, _, _ = rig
    t = site.tokens[0]
    cells = []
    for n in range(3):
        data = identify(client, t, site.people[n]["iin"])
        cells.append(checkin(client, t, data["session"])["cell"]["number"])
    assert cells == [1, 2, 3]
    data = identify(client, t, site.people[3]["iin"], "ru")
    r = checkin(client, t, data["session"])
    assert r["reason"] == "cabinet_full" and r["message"] == "Нет свободных ячеек"
    again = identify(client, t, site.people[1]["iin"], "ru", "scanner")
    assert again["existing_cell"] == {"cabinet": "cab-1", "number": 2}
    r = checkin(client, t, again["session"])
    assert r == {"status": "ok", "repeat": True, "cell": {"cabinet": "cab-1", "number": 2}}
    with site.db.read() as s:
        assert s.query(Assignment).count() == 3 and s.query(LockCommand).count() == 3


def test_lock_fault_is_reported(rig):
    site, client, sim, _ = rig
    sim.dead.add(1)
    t = site.tokens[0]
    data = identify(client, t, site.people[0]["iin"], "ru")
    checkin(client, t, data["session"])
    agent = CabinetAgent(site.db, "cab-1", timing=AgentTiming(retry_delay=0), max_attempts=2)
    agent.start()
    for _ in range(10):
        agent.step()
    state = call(client, t, "GET", f"checkin/{data['session']}").get_json()
    assert state["phase"] == "lock_fault" and state["message"] == "Ячейка не открылась"


def test_same_person_at_two_kiosks_at_once(rig):
    site, client, _, _ = rig
    person = site.people[5]["iin"]
    sessions = [identify(client, tok, person)["session"] for tok in site.tokens]
    results = [None, None]
    barrier = threading.Barrier(2)

    def go(i):
        c = client.application.test_client()
        barrier.wait()
        results[i] = checkin(c, site.tokens[i], sessions[i])
    threads = [threading.Thread(target=go, args=(i,)) for i in (0, 1)]
    [th.start() for th in threads]
    [th.join() for th in threads]
    assert {r["cell"]["number"] for r in results} == {1}
    assert sorted(r["repeat"] for r in results) == [False, True]
    with site.db.read() as s:
        assert s.query(Assignment).count() == 1 and s.query(LockCommand).count() == 1


@pytest.mark.parametrize("body", [None, "not json", [], {"credential": 5, "language": "kk"},
                                  {"credential": "x"}, {"credential": "x", "language": "en"},
                                  {"credential": "x", "language": "kk", "source": "camera"},
                                  {"credential": None, "language": "kk"}])
def test_malformed_requests_are_400(rig, body):
    site, client, _, _ = rig
    kwargs = {"data": body} if isinstance(body, str) else {"json": body}
    resp = client.post("/api/v1/kiosk/identify", headers={"Authorization": f"Bearer {site.tokens[0]}"},
                       **kwargs)
    assert resp.status_code == 400
    data = resp.get_json()
    assert data["status"] == "error" and data["reason"] == "bad_request" and data["detail"]


def test_wrong_types_on_checkin_and_ack(rig):
    site, client, _, _ = rig
    t = site.tokens[0]
    for path, body in [("checkin", {"session": "s", "acknowledged_stages": "yes", "acknowledged_rules": True}),
                       ("checkin", {"session": 1, "acknowledged_stages": True, "acknowledged_rules": True}),
                       ("acknowledge", {"session": "s", "what": "everything"}), ("reset", {"session": 7})]:
        assert call(client, t, "POST", path, body).status_code == 400


def test_authentication(rig):
    site, client, _, _ = rig
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": site.tokens[0]}):
        resp = client.post("/api/v1/kiosk/identify", json={"credential": "1", "language": "kk"},
                           headers=headers)
        assert resp.status_code == 401 and resp.get_json()["reason"] == "unauthorized"
    assert client.get("/api/v1/kiosk/nothing-here",
                      headers={"Authorization": f"Bearer {site.tokens[0]}"}).status_code == 404


def test_health_follows_the_agent(rig):
    site, client, _, _ = rig
    t = site.tokens[0]
    assert call(client, t, "GET", "health").get_json()["code"] == "E-CAB"
    agent = CabinetAgent(site.db, "cab-1")
    agent.start()
    data = call(client, t, "GET", "health").get_json()
    assert data["ok"] and data["database"] and data["cabinet"]
    assert client.get("/healthz").status_code == 200


def test_openapi_document(rig):
    _, client, _, _ = rig
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/kiosk/identify", "/api/v1/kiosk/checkin", "/api/v1/kiosk/checkin/{session}"):
        assert path in spec["paths"]
    from attestation.checkin import REFUSALS
    assert set(spec["components"]["schemas"]["Refusal"]["properties"]["reason"]["enum"]) == set(REFUSALS)


def test_page_carries_token_only_locally(rig):
    site, client, _, _ = rig
    page = client.get("/")
    assert page.status_code == 200 and site.tokens[0] in page.get_data(as_text=True)
    remote = client.get("/", environ_overrides={"REMOTE_ADDR": "192.0.2.10"})
    assert remote.status_code == 403 and site.tokens[0] not in remote.get_data(as_text=True)


def test_page_never_lists_candidates(rig):
    site, client, _, _ = rig
    text = client.get("/").get_data(as_text=True) + client.get("/strings/kk.json").get_data(as_text=True)
    for p in site.people:
        assert p["iin"] not in text and p["last_name"] not in text


def test_an_encoded_slash_in_a_session_token_is_not_found_not_redirected(rig):
    """Found by the fuzz test: "%2F0" became "//0", and slash merging answered 308."""
    site, client, _sim, _fake = rig
    r = client.get("/api/v1/kiosk/checkin/%2F0", headers={"Authorization": f"Bearer {site.tokens[0]}"})
    assert r.status_code == 404
    assert r.get_json()["status"] == "error"


def test_failed_identifications_are_limited_per_kiosk_and_good_ones_are_not(rig):
    site, client, _sim, _fake = rig
    token = site.tokens[0]
    for _ in range(15):  # a queue of real people is never limited
        assert identify(client, token, site.people[0]["iin"])["status"] == "ok"
    for n in range(10):
        assert identify(client, token, make_iin(500 + n, seed=9))["reason"] == "not_on_roster"
    blocked = identify(client, token, site.people[1]["iin"], language="ru")
    assert blocked["reason"] == "too_many_attempts"
    assert blocked["message"] == "Слишком много попыток"


def test_the_identify_limit_holds_when_guesses_arrive_at_once(rig):
    site, client, _sim, _fake = rig
    app = client.application
    start = threading.Barrier(24)
    reasons = []

    def guess(n):
        c = app.test_client()
        start.wait()
        reasons.append(identify(c, site.tokens[0], make_iin(700 + n, seed=9))["reason"])

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(24)]
    [t.start() for t in threads]
    [t.join(timeout=60) for t in threads]
    assert reasons.count("not_on_roster") == app.config["KIOSK_IDENTIFY_LIMIT"]
    assert reasons.count("too_many_attempts") == 24 - app.config["KIOSK_IDENTIFY_LIMIT"]


# -- every roster state met at the kiosk ends on a screen, never an outage ---------------------

def _set_state(site, n, state, *, cell: bool):
    """Put person ``n`` in ``state``, holding a cell or not (devices returned)."""
    from attestation.timeutil import utcnow
    with site.db.write() as s:
        entry = s.execute(select(RosterEntry).where(RosterEntry.candidate.has(
            iin=site.people[n]["iin"]))).scalar()
        entry.state = state
        for a in s.execute(select(Assignment).where(Assignment.roster_entry_id == entry.id,
                                                    Assignment.released_at.is_(None))).scalars():
            if not cell:
                a.released_at = utcnow()


@pytest.mark.parametrize("state,cell,reason", [
    ("checked_in", True, None), ("admitted", True, None), ("in_interview", True, None),
    ("interviewed", True, None),
    ("checked_in", False, "devices_returned"), ("admitted", False, "devices_returned"),
    ("in_interview", False, "devices_returned"), ("interviewed", False, "interview_over"),
    ("decided", False, "already_finished"), ("removed", False, "already_removed"),
    ("absent_valid", False, "absence_recorded"), ("absent_invalid", False, "absence_recorded"),
])
def test_every_roster_state_has_an_answer(rig, state, cell, reason):
    site, client, _, _ = rig
    t = site.tokens[0]
    first = identify(client, t, site.people[0]["iin"])
    assert checkin(client, t, first["session"])["status"] == "ok"
    _set_state(site, 0, state, cell=cell)
    for lang in ("kk", "ru"):
        data = identify(client, t, site.people[0]["iin"], lang)
        if reason is None:  # on the premises with devices in a cell: that cell again
            assert data["status"] == "ok" and data["existing_cell"]["number"] == 1
            again = checkin(client, t, data["session"])
            assert again["status"] == "ok" and again["repeat"] is True
        else:
            assert data["status"] == "refused" and data["reason"] == reason
            assert data["message"] and data["what_to_do"] and data["needs_staff"] is True


@pytest.mark.parametrize("status,reason", [("planned", "sitting_not_open"), ("closed", "registration_closed")])
def test_an_expected_person_before_and_after_the_sitting(rig, status, reason):
    site, client, _, _ = rig
    with site.db.write() as s:
        s.get(Sitting, site.sitting_id).status = status
    data = identify(client, site.tokens[0], site.people[1]["iin"], "ru")
    assert data["reason"] == reason and data["message"]


def test_a_state_changing_between_identify_and_checkin_is_a_refusal(rig):
    site, client, _, _ = rig
    t = site.tokens[0]
    data = identify(client, t, site.people[2]["iin"])
    _set_state(site, 2, "removed", cell=False)
    assert checkin(client, t, data["session"])["reason"] == "already_removed"


def test_expired_card_and_unreadable_codes(rig):
    import datetime as dt
    from attestation import mrz
    site, client, _, _ = rig
    t = site.tokens[0]
    p = site.people[3]
    yesterday = (dt.date.today() - dt.timedelta(days=1)).strftime("%y%m%d")
    expired = mrz.build_td1(document_number=f"0{p['iin'][4:12]}", iin=p["iin"], birth_date=p["iin"][:6],
                            sex="M", expiry_date=yesterday, surname="TESTOV", given_names="ERLAN")
    data = identify(client, t, expired, source="scanner")
    assert data["reason"] == "document_expired" and data["needs_staff"] is True
    for garbage in ("x!x", "ab cd ef gh ij kl mn", "\x02\x03garbage\x04 code", "é" * 20):
        data = identify(client, t, garbage, source="scanner")
        assert data["reason"] == "unreadable_card" and data["needs_staff"] is False, garbage


def test_an_acknowledgement_of_a_session_this_kiosk_opened_reads_no_session_row(rig, db_url):
    site, client, _sim, _fake = rig
    t = site.tokens[0]
    engine = client.application.extensions["attestation_db"].engine
    seen = []
    listen = lambda _c, _cur, sql, *_a: seen.append(sql)  # noqa: E731
    other = create_app({"DATABASE_URL": db_url, "KIOSK_TOKEN": t, "TESTING": True}).test_client()
    event.listen(engine, "before_cursor_execute", listen)
    try:
        session = identify(client, t, site.people[0]["iin"], "ru")["session"]
        seen.clear()
        assert call(client, t, "POST", "acknowledge", {"session": session, "what": "stages"}).get_json() == {"status": "ok"}
        assert not [sql for sql in seen if "kiosk_session" in sql]
        # a session this process does not know (the kiosk app restarted since): the database says
        assert call(other, t, "POST", "acknowledge", {"session": session, "what": "rules"}).get_json() == {"status": "ok"}
        # a session ended ("start over") is refused, from memory or from the database alike
        assert call(client, t, "POST", "reset", {"session": session}).get_json()["ended"] is True
        for kiosk_app in (client, other):
            r = call(kiosk_app, t, "POST", "acknowledge", {"session": session, "what": "rules"}).get_json()
            assert r["reason"] == "session_expired" and r["message"]
        # and another kiosk's session is not this kiosk's, whoever opened it
        assert call(client, site.tokens[1], "POST", "acknowledge",
                    {"session": identify(client, t, site.people[1]["iin"])["session"], "what": "rules"}
                    ).get_json()["reason"] == "session_expired"
    finally:
        event.remove(engine, "before_cursor_execute", listen)
        other.application.extensions["attestation_db"].dispose()
