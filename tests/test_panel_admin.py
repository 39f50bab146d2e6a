"""Administration in the panel, no SQL: users (add, role, disable, password), one's own
password, kiosk tokens (revoke, rotate); each change counts from the next request.  And
the confirmations: closing a sitting, drawing up an act, opening a cell with devices in it.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from attestation import accounts, checkin
from attestation.models import Assignment, Cell, KioskDevice, RosterEntry, Sitting, User
from attestation.timeutil import utcnow

from factories import ACTOR
from kiosk_site import build_site
from panel_site import PASSWORD, add_users, csrf_of, login, panel_app


def _site(db, db_url):
    site = build_site(db, "loop://", cells=4, candidates=4, kiosks=1)
    add_users(db)
    return site, panel_app(db_url)


def _user(db, name) -> User:
    with db.read() as s:
        return s.execute(select(User).where(User.username == name)).scalar_one()


def _form(client, csrf, path, **data):
    return client.post(path, data={"csrf_token": csrf, **data})


def test_users_are_added_changed_disabled_and_reset_in_the_panel(db, db_url):
    _, panel = _site(db, db_url)
    admin, member = panel.test_client(), panel.test_client()
    csrf = login(admin, "admin")
    login(member, "member")
    page = admin.get("/panel/users").get_data(as_text=True)
    assert "member1" in page and "член комиссии" in page            # roles by name, in Russian
    assert member.get("/panel/users").status_code == 403
    # add: the same rules as the CLI, the error in the user's language
    with db.read() as s:
        venue_id = s.execute(select(Sitting.venue_id)).scalar()
    r = admin.post("/panel/users", data={"csrf_token": csrf, "username": "aigerim", "role": "secretary",
                                         "password": "short", "venue": str(venue_id)}, follow_redirects=True)
    assert "Пароль слишком короткий" in r.get_data(as_text=True) and _user_missing(db, "aigerim")
    r = _form(admin, csrf, "/panel/users", username="aigerim", full_name="Әйгерім Сейітова",
              role="secretary", password="long enough password", venue=str(venue_id))
    assert r.status_code == 302 and _user(db, "aigerim").role == "secretary"
    # a role change counts from the member's next click: member -> chair may record decisions
    member_id = _user(db, "member1").id
    assert member.get("/panel/search?q=abc").status_code == 403
    _form(admin, csrf, f"/panel/users/{member_id}/role", role="chair")
    assert member.get("/panel/search?q=abc").status_code == 200
    # disabling asks first, then signs the user out at once
    r = _form(admin, csrf, f"/panel/users/{member_id}/disable")
    assert r.status_code == 200 and "Отключить member1?" in r.get_data(as_text=True)
    assert _user(db, "member1").active
    _form(admin, csrf, f"/panel/users/{member_id}/disable", confirmed="yes")
    assert not _user(db, "member1").active
    assert member.get("/panel/").status_code == 302                 # back to the login page
    _form(admin, csrf, f"/panel/users/{member_id}/enable")
    # a password reset: the old one no longer works, the new one does
    _form(admin, csrf, f"/panel/users/{member_id}/password", password="a brand new password")
    assert accounts.check_password(_user(db, "member1"), "a brand new password")
    # the last active administrator cannot be disabled or demoted
    admin_id = _user(db, "admin1").id
    r = admin.post(f"/panel/users/{admin_id}/disable", data={"csrf_token": csrf, "confirmed": "yes"},
                   follow_redirects=True)
    assert "последний активный администратор" in r.get_data(as_text=True)
    assert _user(db, "admin1").active


def _user_missing(db, name) -> bool:
    with db.read() as s:
        return s.execute(select(User).where(User.username == name)).scalar() is None


def test_everyone_changes_their_own_password(db, db_url):
    _, panel = _site(db, db_url)
    client = panel.test_client()
    csrf = login(client, "operator")
    r = client.post("/panel/account", data={"csrf_token": csrf, "current": "wrong one here",
                                            "password": "a new operator password", "repeat": "a new operator password"},
                    follow_redirects=True)
    assert "Текущий пароль неверен" in r.get_data(as_text=True)
    r = client.post("/panel/account", data={"csrf_token": csrf, "current": PASSWORD,
                                            "password": "a new operator password", "repeat": "something else!"},
                    follow_redirects=True)
    assert "не совпадают" in r.get_data(as_text=True)
    assert accounts.check_password(_user(db, "operator1"), PASSWORD)
    r = client.post("/panel/account", data={"csrf_token": csrf, "current": PASSWORD,
                                            "password": "a new operator password", "repeat": "a new operator password"})
    assert r.status_code == 302 and "/panel/login" in r.headers["Location"]
    assert accounts.check_password(_user(db, "operator1"), "a new operator password")


def test_kiosk_tokens_are_revoked_and_rotated_in_the_panel(db, db_url):
    from kiosk import create_app as kiosk_app
    site, panel = _site(db, db_url)
    admin = panel.test_client()
    csrf = login(admin, "admin")
    kiosk = kiosk_app({"DATABASE_URL": db_url}).test_client()

    def health(token):
        return kiosk.get("/api/v1/kiosk/health", headers={"Authorization": f"Bearer {token}"}).status_code

    assert health(site.tokens[0]) == 200
    with db.read() as s:
        kiosk_id = s.execute(select(KioskDevice.id)).scalar()
    assert "kiosk-0" in admin.get("/panel/kiosks").get_data(as_text=True)
    r = _form(admin, csrf, f"/panel/kiosks/{kiosk_id}/revoke")
    assert "Отозвать токен киоска" in r.get_data(as_text=True) and health(site.tokens[0]) == 200
    _form(admin, csrf, f"/panel/kiosks/{kiosk_id}/revoke", confirmed="yes")
    assert health(site.tokens[0]) == 401                               # its very next call
    page = _form(admin, csrf, f"/panel/kiosks/{kiosk_id}/rotate", confirmed="yes").get_data(as_text=True)
    token = re.search(r'<code id="new-token">([^<]+)</code>', page).group(1)
    assert health(token) == 200 and health(site.tokens[0]) == 401
    assert token not in admin.get("/panel/kiosks").get_data(as_text=True)  # shown once


def test_closing_asks_first_and_lists_who_is_still_open(db, db_url):
    site, panel = _site(db, db_url)
    sec = panel.test_client()
    csrf = login(sec, "secretary")
    r = _form(sec, csrf, f"/panel/sittings/{site.sitting_id}/status", status="closed")
    text = r.get_data(as_text=True)
    assert r.status_code == 200 and "Закрыть заседание?" in text
    assert "Ещё без итогового результата: 4" in text and site.people[0]["last_name"] in text
    with db.read() as s:
        assert s.get(Sitting, site.sitting_id).status == "open"
    _form(sec, csrf, f"/panel/sittings/{site.sitting_id}/status", status="closed", confirmed="yes")
    with db.read() as s:
        assert s.get(Sitting, site.sitting_id).status == "closed"


def test_opening_a_cell_with_someones_devices_asks_first(db, db_url):
    site, panel = _site(db, db_url)
    with db.write() as s:
        entry = s.execute(select(RosterEntry)).scalars().first()
        now = utcnow()
        checkin.check_in(s, checkin.CheckInRequest(entry.id, s.get(Sitting, site.sitting_id).venue_id,
                                                   None, "digital_id", "kk", now, now, ACTOR))
        cell_id = s.execute(select(Assignment.cell_id)).scalar()
        name = entry.candidate.full_name
        empty = s.execute(select(Cell.id).where(Cell.id != cell_id)).scalars().first()
    op = panel.test_client()
    csrf = login(op, "operator")
    r = _form(op, csrf, f"/panel/cells/{cell_id}/force-open", reason="Забыл ключи")
    assert r.status_code == 200 and name in r.get_data(as_text=True) and "Открыть её?" in r.get_data(as_text=True)
    r = _form(op, csrf, f"/panel/cells/{cell_id}/force-open", reason="Забыл ключи", confirmed="yes")
    assert r.status_code == 302
    # an empty cell opens without a question
    assert _form(op, csrf, f"/panel/cells/{empty}/force-open", reason="Проверка").status_code == 302
    assert csrf_of(op.get("/panel/").get_data(as_text=True))


def test_a_closed_sitting_is_reopened_by_the_chair_with_a_reason(db, db_url):
    from kiosk import create_app as kiosk_app
    site, panel = _site(db, db_url)
    sec, chair = panel.test_client(), panel.test_client()
    csrf_sec, csrf_chair = login(sec, "secretary"), login(chair, "chair")
    _form(sec, csrf_sec, f"/panel/sittings/{site.sitting_id}/status", status="closed", confirmed="yes")
    kiosk = kiosk_app({"DATABASE_URL": db_url, "KIOSK_TOKEN": site.tokens[0]}).test_client()
    auth = {"Authorization": f"Bearer {site.tokens[0]}"}
    late = kiosk.post("/api/v1/kiosk/identify", headers=auth, json={
        "credential": site.people[0]["iin"], "language": "ru", "source": "keypad"}).get_json()
    assert late["reason"] == "registration_closed"                   # not "not started yet"
    assert _form(sec, csrf_sec, f"/panel/sittings/{site.sitting_id}/reopen", reason="x").status_code == 403
    r = chair.post(f"/panel/sittings/{site.sitting_id}/reopen", data={"csrf_token": csrf_chair, "reason": " "},
                   follow_redirects=True)
    with db.read() as s:
        assert s.get(Sitting, site.sitting_id).status == "closed"
    _form(chair, csrf_chair, f"/panel/sittings/{site.sitting_id}/reopen",
          reason="Опоздавший кандидат с уважительной причиной")
    with db.read() as s:
        assert s.get(Sitting, site.sitting_id).status == "open"
    from attestation.models import AuditEntry
    with db.read() as s:
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "sitting.reopened")).scalar_one()
        assert entry.after["reason"].startswith("Опоздавший")
    again = kiosk.post("/api/v1/kiosk/identify", headers=auth, json={
        "credential": site.people[0]["iin"], "language": "ru", "source": "keypad"}).get_json()
    assert again["status"] == "ok"
    assert r.status_code == 200
