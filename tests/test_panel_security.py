"""Who can reach what in the panel: every route against every role, CSRF, sessions, limits."""

import datetime as dt
import re
import threading

import pytest
from sqlalchemy import select

from attestation import accounts, transitions, venues, violations
from attestation.models import Cabinet, Cell, KioskDevice, PanelSession, RosterEntry, User
from attestation.timeutil import utcnow
from web.auth import PUBLIC_ENDPOINTS
from web.roles import PERMISSIONS

from factories import ACTOR
from kiosk_site import build_site
from panel_site import PASSWORD, ROLES, add_users, csrf_of, login, panel_app


@pytest.fixture
def panel(db, db_url):
    site = build_site(db, "loop://", cells=4, candidates=4, kiosks=1)
    add_users(db)
    with db.write() as s:
        entry = s.execute(select(RosterEntry)).scalars().first()
        transitions.apply(s, entry, "check_in", ACTOR)
        member = s.execute(select(User).where(User.role == "member")).scalar()
        act = violations.draw_up(s, entry, kind="device", description="телефон",
                                 occurred_at=utcnow(), recorded_by_id=member.id, actor=ACTOR)
        ids = {"sitting_id": site.sitting_id, "entry_id": entry.id, "act_id": act.id,
               "cabinet_id": s.execute(select(Cabinet.id)).scalar(),
               "cell_id": s.execute(select(Cell.id)).scalars().first(), "lang": "ru",
               "user_id": member.id, "kiosk_id": s.execute(select(KioskDevice.id)).scalar()}
    app = panel_app(db_url)
    yield app, site, ids
    app.extensions["attestation_db"].dispose()


def routes(app, ids):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        url = rule.rule
        for name in rule.arguments:
            url = re.sub(rf"<(?:\w+:)?{name}>", str(ids[name]), url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


def test_every_route_has_a_permission(panel):
    app, _, ids = panel
    for endpoint, _m, _u in routes(app, ids):
        permission = getattr(app.view_functions[endpoint], "permission", None)
        assert permission in PERMISSIONS, f"{endpoint} is not guarded by @requires"


def test_nothing_is_reachable_without_signing_in(panel):
    app, _, ids = panel
    client = app.test_client()
    csrf = csrf_of(client.get("/panel/login").get_data(as_text=True))
    for endpoint, method, url in routes(app, ids):
        resp = client.open(url, method=method, data={"csrf_token": csrf})
        assert resp.status_code in (302, 401), (endpoint, resp.status_code)
        if resp.status_code == 302:
            assert "/panel/login" in resp.headers["Location"]


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(panel, role):
    app, _, ids = panel
    client = app.test_client()
    csrf = login(client, role)
    for endpoint, method, url in routes(app, ids):
        if endpoint.endswith("events"):
            continue  # a stream; checked for access below without reading it
        permission = app.view_functions[endpoint].permission
        resp = client.open(url, method=method, data={"csrf_token": csrf},
                           headers={"X-CSRF-Token": csrf})
        if role in PERMISSIONS[permission]:
            assert resp.status_code not in (401, 403), (role, endpoint, resp.status_code)
            assert resp.status_code < 500, (role, endpoint, resp.get_data(as_text=True)[:300])
        else:
            assert resp.status_code == 403, (role, endpoint, resp.status_code)
    events = client.get(f"/panel/api/sittings/{ids['sitting_id']}/events", buffered=False)
    assert events.status_code == (200 if role in PERMISSIONS["board.view"] else 403)
    events.close()


def test_csrf_is_required_on_forms_and_json(panel):
    app, _, ids = panel
    client = app.test_client()
    csrf = login(client, "secretary")
    url = f"/panel/entries/{ids['entry_id']}/admit"
    assert client.post(url, data={"qualification_document": "x"}).status_code == 400
    assert client.post(url, data={"qualification_document": "x", "csrf_token": "forged"}).status_code == 400
    resp = client.post(f"/panel/api/entries/{ids['entry_id']}/admit", json={"qualification_document": "x"})
    assert resp.status_code == 400 and resp.get_json()["reason"] == "csrf"
    resp = client.post(f"/panel/api/entries/{ids['entry_id']}/call-in", json={},
                       headers={"X-CSRF-Token": csrf})
    assert resp.status_code == 409  # got through CSRF; refused by the state machine
    assert client.post("/panel/logout").status_code == 400  # even signing out


def test_login_rate_limit(panel):
    app, _, _ = panel
    client = app.test_client()
    csrf = csrf_of(client.get("/panel/login").get_data(as_text=True))
    for _ in range(5):
        r = client.post("/panel/login", data={"username": "chair1", "password": "wrong", "csrf_token": csrf})
        assert r.status_code == 401
    r = client.post("/panel/login", data={"username": "chair1", "password": PASSWORD, "csrf_token": csrf})
    assert r.status_code == 429
    other = app.test_client()  # another user from the same address is limited too
    csrf2 = csrf_of(other.get("/panel/login").get_data(as_text=True))
    assert other.post("/panel/login", data={"username": "member1", "password": PASSWORD,
                                            "csrf_token": csrf2}).status_code == 429


def test_login_limit_holds_when_guesses_arrive_at_once(panel):
    """16 simultaneous wrong passwords for one user: at most the limit is ever checked."""
    app, _, _ = panel
    clients = [app.test_client() for _ in range(16)]
    tokens = [csrf_of(c.get("/panel/login").get_data(as_text=True)) for c in clients]
    start = threading.Barrier(len(clients))
    codes = []

    def guess(client, token):
        start.wait()
        codes.append(client.post("/panel/login", data={"username": "chair1", "password": "wrong",
                                                       "csrf_token": token}).status_code)

    threads = [threading.Thread(target=guess, args=pair) for pair in zip(clients, tokens)]
    [t.start() for t in threads]
    [t.join(timeout=60) for t in threads]
    assert len(codes) == 16 and codes.count(401) == app.config["LOGIN_LIMIT"]
    assert codes.count(429) == 16 - app.config["LOGIN_LIMIT"]


def test_session_expires_when_idle(panel):
    app, _, _ = panel
    client = app.test_client()
    login(client, "chair")
    assert client.get("/panel/").status_code == 200
    with client.session_transaction() as sess:
        sess["seen"] -= app.config["PANEL_IDLE_MINUTES"] * 60 + 1
    resp = client.get("/panel/")
    assert resp.status_code == 302 and "/panel/login" in resp.headers["Location"]


def test_password_change_ends_sessions(panel, db):
    app, _, _ = panel
    client = app.test_client()
    login(client, "member")
    with db.write() as s:
        user = s.execute(select(User).where(User.username == "member1")).scalar()
        user.password_hash = accounts.hash_password("another long password")
    assert client.get("/panel/").status_code == 302


def test_cookie_flags_and_hashes(db_url, db):
    with db.write() as s:
        venues.add_venue(s, "V1", "Орын", "Место", "", ACTOR)
    add_users(db)
    app = panel_app(db_url, PANEL_INSECURE_COOKIES=False)
    client = app.test_client()
    page = client.get("/panel/login")
    cookie = page.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Strict" in cookie
    with db.read() as s:
        assert s.execute(select(User.password_hash)).scalars().first().startswith("$argon2id$")
    app.extensions["attestation_db"].dispose()


def test_kiosk_token_grants_nothing_and_sees_no_personal_data(panel):
    app, site, ids = panel
    client = app.test_client()
    bearer = {"Authorization": f"Bearer {site.tokens[0]}"}
    for endpoint, method, url in routes(app, ids):
        resp = client.open(url, method=method, headers=bearer)
        assert resp.status_code in (302, 400, 401), (endpoint, resp.status_code)
        body = resp.get_data(as_text=True)
        for p in site.people:
            assert p["iin"] not in body and p["last_name"] not in body
    for url in ("/panel/login", "/api/v1/openapi.json", "/panel/healthz"):
        body = client.get(url, headers=bearer).get_data(as_text=True)
        for p in site.people:
            assert p["iin"] not in body and p["last_name"] not in body


def test_open_redirect_is_refused(panel):
    app, _, _ = panel
    client = app.test_client()
    csrf = csrf_of(client.get("/panel/login").get_data(as_text=True))
    r = client.post("/panel/login?next=//evil.example/", data={"username": "chair1", "password": PASSWORD,
                                                              "csrf_token": csrf})
    assert r.status_code == 302 and r.headers["Location"].startswith("/panel/")


def test_panel_health_reports_database_and_cabinets(panel):
    app, _, _ = panel
    data = app.test_client().get("/panel/healthz").get_json()
    assert data["ok"] and data["database"] and data["cabinets"] == {"cab-1": False}


def test_the_readme_role_table_is_the_role_matrix():
    from pathlib import Path

    from web.roles import role_table
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert role_table() in readme


def test_a_cookie_copied_before_logout_is_worth_nothing_after_it(panel):
    app, _, _ = panel
    client = app.test_client()
    csrf = login(client, "chair")
    copied = client.get_cookie("panel_session").value
    assert client.post("/panel/logout", data={"csrf_token": csrf}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("panel_session", copied)
    r = thief.get("/panel/")
    assert r.status_code == 302 and "/panel/login" in r.headers["Location"]


def test_a_new_session_id_at_every_sign_in(panel):
    app, _, _ = panel
    client = app.test_client()
    login(client, "chair")
    with client.session_transaction() as sess:
        first = sess["sid"]
    login(client, "chair")
    with client.session_transaction() as sess:
        assert sess["sid"] != first


def test_disabling_a_user_or_changing_the_password_ends_their_sessions_at_once(panel, db):
    app, _, _ = panel
    member, chair = app.test_client(), app.test_client()
    login(member, "member")
    login(chair, "chair")
    with db.write() as s:
        user = s.execute(select(User).where(User.username == "member1")).scalar()
        accounts.set_active(s, user, False, ACTOR)
        other = s.execute(select(User).where(User.username == "chair1")).scalar()
        accounts.change_password(s, other, "a brand new long password", ACTOR)
    for client in (member, chair):
        assert client.get("/panel/").status_code == 302
    with db.read() as s:
        reasons = set(s.execute(select(PanelSession.ended_reason)).scalars())
    assert {"user_disabled", "password_changed"} <= reasons


def test_a_session_idle_on_the_server_ends(panel, db):
    app, _, _ = panel
    client = app.test_client()
    login(client, "chair")
    with db.write() as s:
        for found in s.execute(select(PanelSession)).scalars():
            found.last_seen_at -= dt.timedelta(minutes=app.config["PANEL_IDLE_MINUTES"] + 1)
    r = client.get("/panel/")
    assert r.status_code == 302 and "/panel/login" in r.headers["Location"]
    with db.read() as s:
        assert s.execute(select(PanelSession.ended_reason)).scalar() == "idle"
