"""The live board as the panel's server runs it: one feed pushes each change to every open
stream of that sitting; open streams hold sockets, not threads."""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import select

from attestation import accounts, allocation, changes, transitions, venues
from attestation.models import Cell, DoorEvent, RosterEntry, Sitting
from browser import PanelServer
from factories import ACTOR, setup_venue
from panel_site import PASSWORD, add_users, csrf_of, panel_app
from web import board_data, live
from waiting import wait_until


@pytest.fixture
def site(db):
    with db.write() as s:
        venue, sitting, cabinet, entries = setup_venue(s, cells=4, candidates=4)
        other = venues.add_sitting(s, venue, sitting.date + dt.timedelta(days=1), dt.time(9), None, ACTOR)
        return {"sitting": sitting.id, "other": other.id, "entries": [e.id for e in entries],
                "cells": s.execute(select(Cell.id).where(Cell.cabinet_id == cabinet.id)).scalars().all()}


def _mark(db):
    with db.read() as s:
        return live.mark(s)


def _touched(db, since):
    with db.read() as s:
        return live.touched(s, since, live.mark(s))


def test_the_feed_knows_whose_rows_a_change_touches(db, site):
    sitting, first = site["sitting"], site["entries"][0]
    before = _mark(db)
    with db.write() as s:
        transitions.apply(s, s.get(RosterEntry, first), "check_in", ACTOR)
    assert _touched(db, before) == {sitting: {first}}
    # the agent's records name a cell: they reach the person who holds it
    cell_id = site["cells"][0]
    with db.write() as s:
        allocation.assign(s, s.get(RosterEntry, first), s.get(Cell, cell_id), ACTOR)
    before = _mark(db)
    with db.write() as s:
        s.add(DoorEvent(cell_id=cell_id, kind="opened"))
    assert _touched(db, before) == {sitting: {first}}
    # the sitting itself (its status): the whole board
    before = _mark(db)
    with db.write() as s:
        venues.set_sitting_status(s, s.get(Sitting, sitting), "closed", ACTOR)
    assert _touched(db, before) == {sitting: live.WHOLE}
    # a change no sitting owns (a new user) may show anywhere
    before = _mark(db)
    with db.write() as s:
        accounts.add_user(s, "someone", "member", PASSWORD, "", ACTOR, all_venues=True)
    assert _touched(db, before) is None


def test_a_board_patched_for_the_people_touched_is_the_board_read_whole(db, site):
    sitting, (first, second, *_) = site["sitting"], site["entries"]
    with db.read() as s:
        shown = board_data.board(s, sitting)
    steps = [lambda s: transitions.apply(s, s.get(RosterEntry, first), "check_in", ACTOR),
             lambda s: allocation.assign(s, s.get(RosterEntry, first), s.get(Cell, site["cells"][1]), ACTOR),
             lambda s: s.add(DoorEvent(cell_id=site["cells"][1], kind="opened")),
             lambda s: transitions.apply(s, s.get(RosterEntry, second), "check_in", ACTOR),
             lambda s: transitions.apply(s, s.get(RosterEntry, first), "admit", ACTOR)]
    for step in steps:
        before = _mark(db)
        with db.write() as s:
            step(s)
        with db.read() as s:
            rows = live.touched(s, before, live.mark(s))[sitting]
            shown = board_data.patched(s, shown, rows)
            whole = board_data.board(s, sitting)
        assert shown == whole


def _session(url: str, user: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    token = csrf_of(opener.open(f"{url}/panel/login").read().decode())
    opener.open(urllib.request.Request(f"{url}/panel/login", data=urllib.parse.urlencode(
        {"username": user, "password": PASSWORD, "csrf_token": token}).encode()))
    return opener


def _next_event(stream) -> tuple[str, str]:
    event = data = ""
    while True:
        line = stream.readline().decode()
        if not line:
            return "", ""  # the stream ended
        line = line.rstrip("\n")
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            data = line[6:]
        elif not line and event:
            return event, data


def test_a_check_in_is_pushed_to_every_open_board_without_a_thread_each(db, db_url, site):
    add_users(db)
    server = PanelServer(panel_app(db_url), workers=4)
    try:
        opener = _session(server.url, "secretary1")
        board = json.loads(opener.open(f"{server.url}/panel/api/sittings/{site['sitting']}/board").read())
        threads = threading.active_count()
        streams = [opener.open(f"{server.url}/panel/api/sittings/{site['sitting']}/events", timeout=20)
                   for _ in range(40)]
        assert all(s.readline().startswith(b"retry:") for s in streams)
        wait_until(lambda: server.app.hub.count() == 40)
        # 40 open boards: the feed's thread and the 4 request workers at most, none per
        # stream (waitress held 40)
        assert threading.active_count() <= threads + 1 + 4
        entry = site["entries"][2]
        with db.write() as s:
            transitions.apply(s, s.get(RosterEntry, entry), "check_in", ACTOR)
        for stream in streams:
            event, data = _next_event(stream)
            assert event == "board"
            diff = json.loads(data)
            assert [r["id"] for r in diff["changed"]] == [entry]
            assert diff["changed"][0]["state"] == "checked_in" and diff["counts"]["checked_in"] == 1
            assert diff["from"] == board["version"]  # applies to what the page fetched
        # a check-in in another sitting sends these boards nothing
        with db.write() as s:
            other_entry = RosterEntry(sitting_id=site["other"], candidate_id=s.get(RosterEntry, entry).candidate_id)
            s.add(other_entry)
            s.flush()
            transitions.apply(s, other_entry, "check_in", ACTOR)
        with db.write() as s:
            transitions.apply(s, s.get(RosterEntry, site["entries"][3]), "check_in", ACTOR)
        event, data = _next_event(streams[0])
        assert [r["id"] for r in json.loads(data)["changed"]] == [site["entries"][3]]
        for stream in streams:
            stream.close()
        wait_until(lambda: server.app.hub.count() == 0)
    finally:
        server.stop()


def test_a_stream_ends_after_its_lifetime_and_the_user_is_checked_again(db, db_url, site):
    add_users(db)
    server = PanelServer(panel_app(db_url), lifetime=0.5)
    try:
        opener = _session(server.url, "secretary1")
        events = f"{server.url}/panel/api/sittings/{site['sitting']}/events"
        stream = opener.open(events, timeout=10)
        t0 = time.monotonic()
        assert stream.read().startswith(b"retry:")  # the whole body: it ends by itself
        assert 0.4 < time.monotonic() - t0 < 5
        opener.open(urllib.request.Request(f"{server.url}/panel/logout", data=urllib.parse.urlencode(
            {"csrf_token": csrf_of(opener.open(f"{server.url}/panel/").read().decode())}).encode()))
        with pytest.raises(urllib.error.HTTPError) as refused:
            opener.open(events, timeout=10)
        assert refused.value.code in (401, 302, 403)
        assert server.app.hub.count() == 0
    finally:
        server.stop()


def test_a_board_of_another_venue_gets_no_stream(db, db_url, site):
    with db.write() as s:
        venues.add_venue(s, "OTH", "Басқа орталық", "Другой центр", "", ACTOR)
    add_users(db, prefix="o-", venue_codes=("OTH",))
    server = PanelServer(panel_app(db_url))
    try:
        opener = _session(server.url, "o-secretary1")
        with pytest.raises(urllib.error.HTTPError) as refused:
            opener.open(f"{server.url}/panel/api/sittings/{site['sitting']}/events", timeout=10)
        assert refused.value.code == 404
        assert server.app.hub.count() == 0
    finally:
        server.stop()


@pytest.mark.postgres
def test_postgres_notifies_the_records_channel_at_commit(pg_url):
    from attestation.db import Database
    db = Database(pg_url)
    try:
        signal = changes.Signal(db, changes.RECORDS)
        with db.write() as s:
            setup_venue(s, cells=1, candidates=1)
        stop = threading.Event()
        t0 = time.monotonic()
        signal.wait(20.0, stop)
        assert time.monotonic() - t0 < 15.0 and signal.changed()  # woken, not timed out
        assert not signal.changed()  # consumed
        signal.close()
    finally:
        db.dispose()
