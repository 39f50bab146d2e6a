"""Venue scoping and data minimisation: a user sees only the venues they belong to, another
venue's ids answer 404 on every route, search is narrow and shows IINs masked."""

import datetime as dt

import pytest
from sqlalchemy import select

from attestation import accounts, iin as iin_mod, transitions, venues, violations
from attestation.models import Cabinet, Candidate, Cell, KioskDevice, RosterEntry, User, Venue
from attestation.timeutil import local_today, utcnow
from web.roles import PERMISSIONS

from factories import ACTOR, make_iin
from kiosk_site import build_site
from panel_site import ROLES, add_users, login, panel_app
from test_panel_security import routes


@pytest.fixture
def two_venues(db, db_url):
    """Venue KSK (the kiosk site, with an act) and venue OTR with its own users ``b-ROLE1``."""
    site = build_site(db, "loop://", cells=4, candidates=4, kiosks=1)
    with db.write() as s:
        other = venues.add_venue(s, "OTR", "Басқа орын", "Другое место", "", ACTOR)
        sitting = venues.add_sitting(s, other, local_today(), dt.time(9), None, ACTOR, status="open")
        venues.add_cabinet(s, other, "cab-otr", "rs485-8a", "loop://", {}, True, ACTOR)
        stranger = Candidate(iin=make_iin(1, seed=77), last_name="Өзгеұлы", first_name="Бекзат")
        s.add(stranger)
        s.flush()
        s.add(RosterEntry(sitting_id=sitting.id, candidate_id=stranger.id))
    add_users(db, venue_codes=("KSK",))
    add_users(db, prefix="b-", venue_codes=("OTR",))
    with db.write() as s:
        entry = s.execute(select(RosterEntry).where(RosterEntry.sitting_id == site.sitting_id)).scalars().first()
        transitions.apply(s, entry, "check_in", ACTOR)
        member = s.execute(select(User).where(User.username == "member1")).scalar()
        act = violations.draw_up(s, entry, kind="device", description="телефон",
                                 occurred_at=utcnow(), recorded_by_id=member.id, actor=ACTOR)
        cab = s.execute(select(Cabinet).where(Cabinet.name == "cab-1")).scalar()
        ids = {"sitting_id": site.sitting_id, "entry_id": entry.id, "act_id": act.id,
               "cabinet_id": cab.id, "lang": "ru",
               "cell_id": s.execute(select(Cell.id).where(Cell.cabinet_id == cab.id)).scalars().first(),
               "user_id": member.id,
               "kiosk_id": s.execute(select(KioskDevice.id).where(KioskDevice.venue_id == cab.venue_id)).scalar()}
    app = panel_app(db_url)
    yield app, site, ids
    app.extensions["attestation_db"].dispose()


def _holder(permission: str) -> str:
    return next(role for role in ROLES if role in PERMISSIONS[permission])


def test_every_route_answers_404_for_another_venues_ids(two_venues):
    app, _, ids = two_venues
    checked = 0
    for endpoint, method, url in routes(app, ids):
        if not any(f"/{ids[k]}" in url for k in ("sitting_id", "entry_id", "act_id", "cabinet_id", "cell_id",
                                                "user_id", "kiosk_id")):
            continue
        client = app.test_client()
        csrf = login(client, f"b-{_holder(app.view_functions[endpoint].permission)}")
        resp = client.open(url, method=method, data={"csrf_token": csrf, "reason": "x", "status": "x"},
                           headers={"X-CSRF-Token": csrf})
        assert resp.status_code == 404, (endpoint, method, url, resp.status_code)
        checked += 1
    assert checked >= 20  # every id-bearing route of the panel, GET and POST


def test_the_same_routes_are_found_at_the_users_own_venue(two_venues):
    app, _, ids = two_venues
    for endpoint, method, url in routes(app, ids):
        if method != "GET" or endpoint.endswith("events"):
            continue
        client = app.test_client()
        login(client, _holder(app.view_functions[endpoint].permission))
        assert client.get(url).status_code != 404, url


def test_lists_show_only_the_users_venues(two_venues, db):
    app, site, _ = two_venues
    client = app.test_client()
    login(client, "b-secretary")
    index = client.get("/panel/").get_data(as_text=True)
    assert "Тестовый центр" not in index and "Другое место" in index
    found = client.get("/panel/search", query_string={"q": site.people[0]["last_name"]}).get_data(as_text=True)
    assert site.people[0]["last_name"] not in found.split("<tbody>")[1]
    audit_page = client.get("/panel/audit").get_data(as_text=True)
    assert f"sitting {site.sitting_id}" not in audit_page and "violation" not in audit_page
    login(client, "b-operator")
    cabinets = client.get("/panel/cabinets").get_data(as_text=True)
    assert "cab-otr" in cabinets and "cab-1" not in cabinets


def test_a_venue_taken_away_counts_from_the_next_request(two_venues, db):
    app, _, ids = two_venues
    client = app.test_client()
    login(client, "secretary")
    url = f"/panel/sittings/{ids['sitting_id']}"
    assert client.get(url).status_code == 200
    with db.write() as s:
        user = accounts.user_by_name(s, "secretary1")
        accounts.set_user_venues(s, user, ACTOR, remove=[s.execute(select(Venue).where(Venue.code == "KSK")).scalar()])
    assert client.get(url).status_code == 404


def test_search_is_for_who_admits_narrow_and_masked(two_venues):
    app, site, _ = two_venues
    person = site.people[0]
    client = app.test_client()
    for role in ("member", "admin", "operator"):
        login(client, role)
        assert client.get("/panel/search", query_string={"q": person["last_name"]}).status_code == 403
    login(client, "secretary")
    for probe in (person["last_name"][:2], person["iin"][:2], person["iin"][:11]):
        page = client.get("/panel/search", query_string={"q": probe}).get_data(as_text=True)
        assert "<tbody>" not in page and "12" in page, probe
    page = client.get("/panel/search", query_string={"q": person["iin"]}).get_data(as_text=True)
    table = page.split("<tbody>")[1]  # (the form above echoes what was typed)
    assert person["iin"] not in table and iin_mod.mask(person["iin"]) in table
    assert person["last_name"] in table


def test_tomorrows_roster_is_not_searched(two_venues, db):
    app, site, _ = two_venues
    with db.write() as s:
        venue = s.execute(select(Venue).where(Venue.code == "KSK")).scalar()
        tomorrow = venues.add_sitting(s, venue, local_today() + dt.timedelta(days=1), dt.time(9), None, ACTOR)
        late = Candidate(iin=make_iin(2, seed=77), last_name="Ертеңгі", first_name="Адам")
        s.add(late)
        s.flush()
        s.add(RosterEntry(sitting_id=tomorrow.id, candidate_id=late.id))
    client = app.test_client()
    login(client, "chair")
    page = client.get("/panel/search", query_string={"q": "Ертеңгі"}).get_data(as_text=True)
    assert "Ертеңгі" not in page.split("<tbody>")[1]
