"""A whole sitting of forty walked through in Debian's Chromium, on the secretary's 1024x768
tablet (in Russian) and on the commission's 1920x1080 wall screen (in Kazakh): arrivals at
the kiosk, admissions from the board, an act entered wrongly then rightly, returns (one from
its row, the rest from the end-of-day page at once), decisions, the absent recorded by a tick, the
close, the protocol final and the archive.  Every screen is kept in
test-artifacts/panel-day-<size>/."""

import datetime as dt
import io
import zipfile

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from attestation.models import Assignment, LockCommand, RosterEntry
from attestation.timeutil import local, utcnow
from backup import sitting_archive

from browser import fetch_document, shot
from test_panel_browser import (TIMEOUT, _kiosk_check_in, _pdf_text, open_row, panel_rig,
                                record_commission, sign_in)
from test_panel_end_of_day import door_seen_open
from waiting import wait_until

ROSTER, ARRIVING = 40, 6  # six come (cells 1-6), thirty-four do not
SCREENS = [(1024, 768, "ru"), (1920, 1080, "kk")]
DRAFT = {"ru": "ПРОЕКТ", "kk": "ЖОБА"}


def _door_opened_for_return(db, cell_number):
    from attestation.models import Cell
    with db.read() as s:
        return s.execute(select(LockCommand).join(Cell, Cell.id == LockCommand.cell_id).where(
            Cell.number == cell_number, LockCommand.purpose == "return",
            LockCommand.door_opened_at.is_not(None))).first() is not None


def _released(db):
    with db.read() as s:
        return len(s.execute(select(Assignment).where(Assignment.released_at.is_not(None))).all())


@pytest.mark.parametrize("width,height,lang", SCREENS, ids=[f"{w}x{h}-{lang}" for w, h, lang in SCREENS])
def test_a_sitting_of_forty_from_arrivals_to_the_final_protocol(playwright, sqlite_url, width, height, lang):
    # as in production, closing the sitting starts laying out its archive
    with panel_rig(playwright, sqlite_url, cells=8, candidates=ROSTER, PANEL_PREPARE_ARCHIVE=True) as rig:
        _walk(rig, width, height, lang)


def _walk(rig, width, height, lang):
    site, db, sim, url = rig["site"], rig["db"], rig["sim"], rig["panel_url"]
    board = f"{url}/panel/sittings/{site.sitting_id}"
    screens = f"panel-day-{width}x{height}"
    step = iter(range(1, 100))

    def page_as(role):
        page = rig["browser"].new_context(viewport={"width": width, "height": height}).new_page()
        page.set_default_timeout(TIMEOUT)
        sign_in(page, url, role, lang)
        return page

    def keep(page, name):
        shot(page, screens, lang, f"{next(step):02d}-{name}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width, name  # nothing off the side

    def on_board(page):
        page.goto(board)
        page.wait_for_selector("#board tbody[data-entry]")

    def act_on_row(page, entry_id, action):
        """A board row's action button: open its drawer, press, and be back on the board."""
        on_board(page)
        open_row(page, entry_id).locator(f'form[action$="/{action}"] button').click()
        page.wait_for_selector(".flash.ok")

    with db.read() as s:
        ids = [s.execute(select(RosterEntry.id).where(RosterEntry.candidate.has(iin=p["iin"]))).scalar()
               for p in site.people]
    came, interviewed, removed = ids[:ARRIVING], ids[:ARRIVING - 1], ids[ARRIVING - 1]
    sec = page_as("secretary")

    record_commission(sec, board)  # the commission of the day
    keep(sec, "board-before-arrivals")

    # arrivals: six at the kiosk, their devices locked in cells 1-6; the board shows them first
    for n in range(ARRIVING):
        _kiosk_check_in(rig, site.people[n]["iin"])
    for cell in range(1, ARRIVING + 1):
        wait_until(lambda: door_seen_open(db, cell))
        sim.close_door(1, cell)
    expect(sec.locator('.count[data-state="checked_in"] b')).to_have_text(str(ARRIVING))
    first = sec.locator("#board tbody[data-entry]")
    assert {int(first.nth(n).get_attribute("data-entry")) for n in range(ARRIVING)} == set(came)
    keep(sec, "board-arrivals")

    # admissions from each row's drawer (the IIN was typed at the kiosk: the ID is checked too)
    for n, entry_id in enumerate(came):
        on_board(sec)
        row = open_row(sec, entry_id)
        row.locator("input[name=qualification_document]").fill(f"Сертификат № 2026-{n + 1}")
        row.locator(".check-id input").check()
        if n == 0:
            keep(sec, "board-admitting")
        row.locator("form.act-admit button.primary").click()
        sec.wait_for_selector(".flash.ok")
    for entry_id in interviewed:
        act_on_row(sec, entry_id, "call-in")
        act_on_row(sec, entry_id, "finish")
    keep(sec, "board-interviewed")

    # an act: the member types the time wrong (in the future), is told before any confirmation,
    # finds the text as typed, puts it right and confirms
    member = page_as("member")
    member.goto(f"{url}/panel/entries/{removed}/violation")
    now = local(utcnow())
    wrong = (now + dt.timedelta(minutes=6)).strftime("%H:%M") if now.hour < 23 else "24:30"
    member.check("input[value=device]")
    member.fill("textarea[name=description]", "Телефон под столом, экран включён")
    member.fill("input[name=witnesses]", "Нұрғалиев Ерболат, Смирнова Ольга")
    member.fill("input[name=occurred_at]", wrong)
    member.click("button.danger")
    member.wait_for_selector(".flash.error")
    assert member.locator("#confirm-yes").count() == 0
    expect(member.locator("textarea[name=description]")).to_have_value("Телефон под столом, экран включён")
    keep(member, "act-refused-as-typed")
    member.fill("input[name=occurred_at]", now.strftime("%H:%M"))
    member.click("button.danger")
    member.click("#confirm-yes")
    member.wait_for_selector("article.document")
    keep(member, "act-made")

    # returns: the first from its row, as the person stands at the table ...
    act_on_row(sec, came[0], "return-devices")
    wait_until(lambda: _door_opened_for_return(db, 1))
    sim.close_door(1, 1)
    wait_until(lambda: _released(db) == 1)
    # ... the others (four interviewed, the one removed) from the end-of-day page at once
    sec.click("#end-of-day")
    expect(sec.locator("#devices h2")).to_contain_text(str(ARRIVING - 1))
    keep(sec, "end-of-day-devices")
    sec.click("#return-all")
    expect(sec.locator(".flash.ok")).to_contain_text(str(ARRIVING - 1))
    for cell in range(2, ARRIVING + 1):
        wait_until(lambda: _door_opened_for_return(db, cell))
        sim.close_door(1, cell)
    wait_until(lambda: _released(db) == ARRIVING)

    # decisions for the five interviewed
    for n, entry_id in enumerate(interviewed):
        sec.goto(f"{board}/decisions")  # afresh: the last one's flash would answer the next wait
        form = sec.locator(f'form.decision[data-entry="{entry_id}"]')
        form.locator("select[name=outcome]").select_option("assign_category")
        form.locator("select[name=category]").select_option("first" if n % 2 else "second")
        form.locator("button.primary").click()
        sec.wait_for_selector(".flash.ok")
    keep(sec, "decisions")

    # the thirty-four who did not come: ticked on the end-of-day page
    sec.goto(f"{board}/end")
    expect(sec.locator("#devices h2")).to_contain_text("0")
    boxes = sec.locator('#expected input[name="entry"]')
    assert boxes.count() == ROSTER - ARRIVING
    for n in range(boxes.count()):
        boxes.nth(n).check()
    keep(sec, "end-of-day-absent-ticked")
    sec.click("#record-absent")
    expect(sec.locator(".flash.ok")).to_contain_text(str(ROSTER - ARRIVING))

    # the close: nothing locked, nobody without a result
    sec.click("#close-sitting")
    details = sec.inner_text(".confirm-details")
    assert ": 0" in details and "№" not in details
    keep(sec, "close-confirmation")
    sec.click("#confirm-yes")
    sec.wait_for_selector(".flash.ok")
    keep(sec, "board-closed")

    # the protocol: final (no draft band), everyone in it, in the screen's language
    sec.goto(f"{board}/protocol?lang={lang}")
    assert sec.locator(".draft").count() == 0
    keep(sec, "protocol-final")
    text = _pdf_text(fetch_document(sec, f"{board}/protocol.pdf?lang={lang}").body())
    assert DRAFT[lang] not in text and "Төлеубаева Әсел Қайратқызы" in text
    assert all(p["last_name"] in text for p in site.people)
    # and the sitting's archive, as handed to the regional office
    archive = fetch_document(sec, f"{board}/archive.zip")
    assert archive.status == 200
    check = sitting_archive.verify(archive.body())
    assert check.ok, check.problem
    names = zipfile.ZipFile(io.BytesIO(archive.body())).namelist()
    assert sum(n.startswith("files/") for n in names) == 2 * ROSTER
