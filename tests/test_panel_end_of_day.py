"""The end of the day on the secretary's tablet (Debian's Chromium, 1024x768): devices still
in cells returned through the agent in one action, the people still expected recorded as
absent by a tick, the close that says what is still locked, and the protocol's annex of
the day's cells."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from attestation import admission, transitions
from attestation.models import Assignment, LockCommand, RosterEntry

from browser import fetch_document, shot
from factories import ACTOR
from test_panel_browser import TIMEOUT, _kiosk_check_in, _pdf_text, panel_rig, sign_in
from waiting import wait_until


def door_seen_open(db, cell):
    """The agent saw the check-in unlock open the door (closing it before that is a door it
    never saw open)."""
    from attestation.models import Cell
    with db.read() as s:
        return s.execute(select(LockCommand).join(Cell, Cell.id == LockCommand.cell_id).where(
            Cell.number == cell, LockCommand.door_opened_at.is_not(None))).first() is not None


@pytest.fixture
def day(playwright, sqlite_url):
    """Three checked in at the kiosk (cells 1-3): the first two interviewed, the third still
    in the interview; three still expected."""
    with panel_rig(playwright, sqlite_url, cells=8, candidates=6) as rig:
        people, db = rig["site"].people, rig["db"]
        for n in range(3):
            _kiosk_check_in(rig, people[n]["iin"])
        with db.write() as s:
            ids = [s.execute(select(RosterEntry.id).where(RosterEntry.candidate.has(iin=p["iin"]))).scalar()
                   for p in people]
            for n in range(3):
                e = s.get(RosterEntry, ids[n])
                admission.admit(s, e, qualification_document=f"Сертификат № {n}", identity_checked=True,
                                actor=ACTOR)
                transitions.apply(s, e, "start_interview", ACTOR)
                if n < 2:
                    transitions.apply(s, e, "finish_interview", ACTOR)
        for cell in (1, 2, 3):  # the devices went in and the doors were shut
            wait_until(lambda: door_seen_open(db, cell))
            rig["sim"].close_door(1, cell)
        yield dict(rig, ids=ids)


def test_the_end_of_the_day(day):
    ids, sim, db, people = day["ids"], day["sim"], day["db"], day["site"].people
    board = f"{day['panel_url']}/panel/sittings/{day['site'].sitting_id}"
    page = day["browser"].new_context(viewport={"width": 1024, "height": 768}).new_page()
    page.set_default_timeout(TIMEOUT)
    sign_in(page, day["panel_url"], "secretary")
    page.goto(board)
    page.click("#end-of-day")
    expect(page.locator("#devices h2")).to_contain_text("3")
    expect(page.locator("#expected h2")).to_contain_text("3")
    shot(page, "panel-end", "ru", "01-end-of-day")

    # devices back: the two interviewed get their cells opened, the one inside does not
    unlocks = len(sim.unlocks)
    page.click("#return-all")
    expect(page.locator(".flash.ok")).to_contain_text("2")
    wait_until(lambda: len(sim.unlocks) == unlocks + 2)
    assert sorted(lock for _board, lock, _at in sim.unlocks[unlocks:]) == [1, 2]

    def opened_for_return():  # the agent saw each door open: the devices can come out
        with db.read() as s:
            return s.execute(select(LockCommand).where(LockCommand.purpose == "return",
                                                       LockCommand.door_opened_at.is_not(None))).scalars().all()
    wait_until(lambda: len(opened_for_return()) == 2)
    for cell in (1, 2):
        sim.close_door(1, cell)

    def released():
        with db.read() as s:
            return s.execute(select(Assignment).where(Assignment.released_at.is_not(None))).scalars().all()
    wait_until(lambda: len(released()) == 2)
    page.reload()
    expect(page.locator("#devices h2")).to_contain_text("1")
    assert people[2]["last_name"] in page.inner_text("#devices")

    # absences by a tick: two of the three still expected
    page.check(f'#expected input[value="{ids[3]}"]')
    page.check(f'#expected input[value="{ids[4]}"]')
    page.click("#record-absent")
    expect(page.locator(".flash.ok")).to_contain_text("2")
    with db.read() as s:
        assert [s.get(RosterEntry, ids[n]).state for n in (3, 4, 5)] == ["absent_invalid", "absent_invalid",
                                                                         "expected"]
    page.click("#record-absent")  # nobody ticked: said so, nothing recorded
    expect(page.locator(".flash.error")).to_contain_text("Отметьте")
    shot(page, "panel-end", "ru", "02-after-returns-and-absences")

    # the close says what is still locked
    page.click("#close-sitting")
    details = page.inner_text(".confirm-details")
    assert "Устройства ещё заперты в ячейках: 1" in details and f"№3 {people[2]['last_name']}" in details
    shot(page, "panel-end", "ru", "03-close-confirmation")
    page.click("#confirm-cancel")

    # the protocol's annex: every cell of the day, whose, and when
    page.goto(f"{board}/protocol?lang=ru")
    annex = page.inner_text("#custody")
    for n, cell in ((0, "№1"), (1, "№2"), (2, "№3")):
        assert people[n]["last_name"] in annex and cell in annex
    rows = page.locator("#custody tbody tr")
    assert rows.count() == 3
    returned = [r for r in rows.all_inner_texts() if "secretary1" in r]
    assert len(returned) == 2 and all(":" in r.split("secretary1")[1] for r in returned)
    pdf = _pdf_text(fetch_document(page, f"{board}/protocol.pdf?lang=ru").body())
    assert "Приложение: ячейки дня" in pdf and "secretary1" in pdf
    # a heading is never broken inside a word (the column is as wide as its longest word)
    assert "Квалификационная категория" in pdf and "Квалификационна я" not in pdf
