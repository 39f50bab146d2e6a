"""A signed-in panel for the tests: one user per role on a venue built by kiosk_site."""

from __future__ import annotations

import re

from sqlalchemy import select

from attestation import accounts
from attestation.models import Venue
from web import create_app

from factories import ACTOR

PASSWORD = "correct horse battery"
ROLES = ("admin", "secretary", "chair", "member", "operator")


def add_users(db, prefix: str = "", venue_codes: tuple[str, ...] | None = None):
    """``{prefix}{role}1`` for every role, at the venues named (default: every venue there
    is; the administrator sees every venue unless venues are named)."""
    with db.write() as s:
        query = select(Venue)
        if venue_codes is not None:
            query = query.where(Venue.code.in_(venue_codes))
        venues = s.execute(query).scalars().all()
        for role in ROLES:
            accounts.add_user(s, f"{prefix}{role}1", role, PASSWORD, f"{role.title()} Тестов", ACTOR,
                              venues=venues, all_venues=role == "admin" and venue_codes is None)


def panel_app(db_url, **config):
    cfg = {"DATABASE_URL": db_url, "SECRET_KEY": "test-secret", "PANEL_INSECURE_COOKIES": True,
           "TESTING": True, "PANEL_PREPARE_ARCHIVE": False}
    cfg.update(config)
    return create_app(cfg)


def csrf_of(html: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


def login(client, role: str) -> str:
    page = client.get("/panel/login")
    token = csrf_of(page.get_data(as_text=True))
    resp = client.post("/panel/login", data={"username": f"{role}1", "password": PASSWORD,
                                             "csrf_token": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return csrf_of(client.get("/panel/").get_data(as_text=True))
