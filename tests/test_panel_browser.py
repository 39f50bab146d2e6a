"""The panel in Debian's Chromium: the board updates live while someone checks in at the kiosk."""

import contextlib
import threading
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from agent import AgentTiming, CabinetAgent
from kiosk import create_app as kiosk_app
from locker_driver.simulator import BoardSimulator, PtyServer

from browser import PanelServer, ServerThread, fetch_document, launch, shot
from kiosk_site import build_site
from panel_site import PASSWORD, add_users, panel_app
from waiting import DEADLINE

TIMEOUT = 15_000


@contextlib.contextmanager
def panel_rig(playwright, sqlite_url, *, cells=4, candidates=5, **panel_config):
    """A venue on a simulated cabinet at a board's pace with its agent, the kiosk app and
    the panel served (``panel_config`` added to its configuration), and Chromium."""
    from attestation.db import Database
    db = Database(sqlite_url)
    sim = BoardSimulator("8a", boards=(1,), locks=8, timing="real")  # a board's own pace
    pty = PtyServer(sim)
    site = build_site(db, pty.path, cells=cells, candidates=candidates, kiosks=1)
    add_users(db)
    kiosk = kiosk_app({"DATABASE_URL": sqlite_url, "KIOSK_TOKEN": site.tokens[0]})
    panel = panel_app(sqlite_url, **panel_config)
    ks, ps = ServerThread(kiosk), PanelServer(panel)
    stop = threading.Event()
    agent = CabinetAgent(db, "cab-1", timing=AgentTiming(poll_interval=0.05))
    t = threading.Thread(target=agent.run, args=(stop,), daemon=True)
    t.start()
    browser = launch(playwright)
    try:
        yield dict(db=db, sim=sim, site=site, kiosk_url=ks.url, panel_url=ps.url, browser=browser)
    finally:
        browser.close()
        stop.set()
        t.join(timeout=5)
        ks.stop()
        ps.stop()
        pty.stop()
        for app in (kiosk, panel):
            app.extensions["attestation_db"].dispose()
        db.dispose()


@pytest.fixture
def rig(playwright, sqlite_url):
    with panel_rig(playwright, sqlite_url) as ctx:
        yield ctx


def sign_in(page, url, role, lang="ru"):
    page.goto(f"{url}/panel/language/{lang}")
    page.goto(f"{url}/panel/login")
    page.fill("input[name=username]", f"{role}1")
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_url("**/panel/")


def open_row(page, entry_id):
    """Open a board row's actions (a drawer under the row) and return the row's locator."""
    row = page.locator(f'tbody[data-entry="{entry_id}"]')
    row.locator("button.toggle").click()
    row.locator("tr.drawer").wait_for()
    return row


def test_board_updates_live_during_a_kiosk_check_in(rig):
    site = rig["site"]
    # a 10" tablet at the commission's table
    panel = rig["browser"].new_context(viewport={"width": 1024, "height": 768}).new_page()
    panel.set_default_timeout(TIMEOUT)
    sign_in(panel, rig["panel_url"], "secretary")
    panel.goto(f"{rig['panel_url']}/panel/sittings/{site.sitting_id}")
    panel.wait_for_selector("#board tbody[data-entry]")
    panel.wait_for_selector("#live-dot.on")
    assert panel.inner_text('.count[data-state="checked_in"] b') == "0"
    shot(panel, "panel", "ru", "01-board-before")
    version = panel.get_attribute("body", "data-version")

    kiosk = rig["browser"].new_context(viewport={"width": 1280, "height": 900}).new_page()
    kiosk.set_default_timeout(TIMEOUT)
    kiosk.goto(rig["kiosk_url"])
    kiosk.click("#lang-kk")
    for d in site.people[0]["iin"]:
        kiosk.click(f'button[data-digit="{d}"]')
    kiosk.click("#key-continue")
    kiosk.click("#person-yes")
    kiosk.click("#stages-ack")
    t0 = time.monotonic()
    kiosk.click("#rules-ack")
    # no reload: the board changes by itself
    panel.wait_for_selector('tbody[data-state="checked_in"]')  # (the panel's CSP forbids eval)
    elapsed = time.monotonic() - t0
    assert panel.inner_text('.count[data-state="checked_in"] b') == "1"
    assert panel.get_attribute("body", "data-version") != version
    # the changed rows came in the stream itself: no fetch per board per change
    panel.wait_for_selector("body[data-pushed]")
    entry_id = panel.locator('tbody[data-state="checked_in"]').get_attribute("data-entry")
    row = open_row(panel, entry_id)  # this one, whatever comes
    assert "Казахский" in row.inner_text() and "№1" in row.inner_text()
    assert row.locator(".badge.warn").count() == 1  # typed IIN: check the ID
    check_id = row.locator(".check-id")
    assert check_id.is_visible() and "Удостоверение личности проверено" in check_id.inner_text()
    # the door of the cell, live from the agent
    row.locator("[data-door]").wait_for()
    assert row.locator("[data-door]").inner_text() in ("дверца открыта", "дверца закрыта")
    # someone identified by a document: no ID check to confirm, so no such control
    from attestation import transitions
    from attestation.models import RosterEntry
    from factories import ACTOR
    with rig["db"].write() as s:
        other = s.execute(select(RosterEntry).where(RosterEntry.candidate.has(iin=site.people[2]["iin"]))).scalar()
        transitions.apply(s, other, "check_in", ACTOR)
        other_id = other.id
    panel.wait_for_selector(f'tbody[data-entry="{other_id}"][data-state="checked_in"]')
    assert not open_row(panel, other_id).locator(".check-id").is_visible()
    # the whole board fits the tablet's width
    assert panel.evaluate("document.documentElement.scrollWidth") <= 1024
    shot(panel, "panel", "ru", "02-board-after-check-in")
    print(f"board updated {elapsed:.2f} s after the kiosk's last tap")

    # admit from the board
    row.locator("input[name=qualification_document]").fill("Сертификат № 5")
    row.locator("input[name=identity_checked]").check()
    row.locator("button.primary").click()
    panel.wait_for_selector('tbody[data-state="admitted"]')
    assert panel.evaluate("document.documentElement.scrollWidth") <= 1024
    shot(panel, "panel", "ru", "03-board-admitted")
    # the attestation file from the board, with the document just confirmed
    open_row(panel, panel.locator('tbody[data-state="admitted"]').get_attribute("data-entry"))
    panel.locator('tbody[data-state="admitted"] a[href$="/file"]').click()
    panel.wait_for_selector("article.document")
    assert "Сертификат № 5" in panel.inner_text("article.document")
    shot(panel, "panel", "ru", "04-attestation-file")


def test_record_a_violation_and_print_the_act(rig):
    site, db = rig["site"], rig["db"]
    from attestation import transitions
    from attestation.models import RosterEntry
    from factories import ACTOR
    with db.write() as s:
        entry = s.execute(select(RosterEntry).where(RosterEntry.candidate.has(iin=site.people[1]["iin"]))).scalar()
        transitions.apply(s, entry, "check_in", ACTOR)
        entry_id = entry.id
    page = rig["browser"].new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.set_default_timeout(TIMEOUT)
    sign_in(page, rig["panel_url"], "member", "kk")
    page.goto(f"{rig['panel_url']}/panel/sittings/{site.sitting_id}")
    open_row(page, entry_id).locator("a.danger").click()
    page.wait_for_selector("textarea[name=description]")
    page.check("input[value=literature]")
    page.fill("textarea[name=description]", "Шпаргалка в рукаве / Жеңінде шпаргалка")
    page.fill("input[name=witnesses]", "Хатшы Тестова")
    shot(page, "panel", "kk", "04-violation-form")
    page.click("button.danger")
    page.wait_for_selector("#confirm-yes")  # it removes the candidate: asked first
    assert "шеттетіледі" in page.inner_text("#confirm-question")
    shot(page, "panel", "kk", "04-violation-confirm")
    page.keyboard.press("Tab")
    page.focus("#confirm-yes")
    page.keyboard.press("Enter")             # by keyboard as well as by touch
    page.wait_for_selector("article.document")
    assert "Бұзушылық туралы АКТ № 1/" in page.inner_text("article h1")
    shot(page, "panel", "kk", "05-act-kk")
    page.click("text=Русский")
    page.wait_for_selector("text=АКТ о нарушении № 1/")
    shot(page, "panel", "ru", "05-act-ru")
    page.emulate_media(media="print")
    assert not page.is_visible("header.top")  # the printout carries only the act
    resp = fetch_document(page, page.url.split("?")[0] + ".pdf?lang=ru")
    assert resp.status == 200 and resp.body()[:5] == b"%PDF-"
    page.emulate_media(media="screen")
    page.goto(f"{rig['panel_url']}/panel/sittings/{site.sitting_id}")
    page.wait_for_selector(f'tbody[data-entry="{entry_id}"][data-state="removed"]')


def test_cabinet_view_follows_the_doors(rig):
    """The operator's cabinet view changes by itself when a door opens or closes."""
    from attestation import allocation
    from attestation.models import Cabinet, Cell
    from factories import ACTOR
    db, sim = rig["db"], rig["sim"]
    with db.read() as s:
        cabinet_id = s.execute(select(Cabinet.id)).scalar()
    page = rig["browser"].new_context(viewport={"width": 1024, "height": 768}).new_page()
    page.set_default_timeout(TIMEOUT)
    sign_in(page, rig["panel_url"], "operator")
    page.goto(f"{rig['panel_url']}/panel/cabinets/{cabinet_id}")
    row = page.locator('tr[data-cell="3"]')
    assert "дверца закрыта" in row.inner_text()
    with db.write() as s:
        cell = s.execute(select(Cell).where(Cell.number == 3)).scalar()
        allocation.queue_unlock(s, cell, "force", ACTOR, reason="проверка замка")
    expect(row).to_contain_text("дверца открыта", timeout=TIMEOUT)  # (the CSP forbids eval)
    assert "принудительное открытие" in row.inner_text()
    sim.close_door(1, 3)
    expect(row).to_contain_text("дверца закрыта", timeout=TIMEOUT)
    shot(page, "panel", "ru", "06-cabinet-live")


def record_commission(page, board):
    """The commission of the day, entered on its form; back on the board."""
    page.goto(f"{board}/commission")
    page.fill("input[name=chair]", "Төлеубаева Әсел Қайратқызы")
    page.fill("input[name=secretary]", "Секретарь Тестова")
    page.fill("textarea[name=members]", "Нұрғалиев Ерболат\nСмирнова Ольга")
    page.click("#commission-form button.primary")
    page.wait_for_url(board)


def _pdf_text(data: bytes) -> str:
    import pypdfium2
    pdf = pypdfium2.PdfDocument(data)
    return " ".join(" ".join(page.get_textpage().get_text_range() for page in pdf).split())


def _kiosk_check_in(rig, iin):
    """A person checks in at the kiosk (its API, as the kiosk page calls it)."""
    import json
    import urllib.request
    auth = {"Authorization": f"Bearer {rig['site'].tokens[0]}", "Content-Type": "application/json"}

    def call(path, body):
        req = urllib.request.Request(rig["kiosk_url"] + path, json.dumps(body).encode(), auth)
        with urllib.request.urlopen(req, timeout=DEADLINE) as resp:
            return json.load(resp)
    ident = call("/api/v1/kiosk/identify", {"credential": iin, "language": "ru", "source": "keypad"})
    assert ident["status"] == "ok", ident
    done = call("/api/v1/kiosk/checkin", {"session": ident["session"], "acknowledged_stages": True,
                                          "acknowledged_rules": True})
    assert done["status"] == "ok", done


def test_a_whole_sitting_with_mistakes_corrected(rig):
    """Issue 12's walk: an absence recorded by mistake and withdrawn, a decision superseded,
    a name fixed, a walk-in added; closed with confirmation, reopened, closed again; the
    protocol PDF is final, names the commission and has no draft mark."""
    from attestation import absence, admission, transitions
    from attestation.models import RosterEntry
    from factories import ACTOR, make_iin
    site, db, url = rig["site"], rig["db"], rig["panel_url"]
    sid = site.sitting_id
    ids = {}
    with db.read() as s:
        for n, person in enumerate(site.people):
            ids[n] = s.execute(select(RosterEntry.id).where(RosterEntry.candidate.has(iin=person["iin"]))).scalar()
    board = f"{url}/panel/sittings/{sid}"
    page = rig["browser"].new_context(viewport={"width": 1024, "height": 768}).new_page()
    page.set_default_timeout(TIMEOUT)
    sign_in(page, url, "secretary")

    # the commission of the day
    record_commission(page, board)

    # 1. an absence recorded by mistake (person 0 was only late), then withdrawn
    page.goto(f"{board}/absences")
    form = page.locator(f'form.absence[data-entry="{ids[0]}"]')
    assert form.locator("select[name=reason]").input_value() == ""  # nothing pre-selected
    form.locator("select[name=reason]").select_option("none")
    form.locator("button.primary").click()
    page.goto(board)
    row = page.locator(f'tbody[data-entry="{ids[0]}"]')
    expect(row).to_have_attribute("data-state", "absent_invalid")
    open_row(page, ids[0]).locator("a.correct").click()
    page.fill("#reason-withdraw_absence", "Отмечена по ошибке: кандидат опоздал на 10 минут")
    page.click('form[data-kind="withdraw_absence"] button.primary')
    expect(page.locator("#entry-state")).to_contain_text("Ожидается")
    assert "Отметка о неявке отменена" in page.inner_text("#corrections-made")
    shot(page, "panel", "ru", "07-correction-absence-withdrawn")
    _kiosk_check_in(rig, site.people[0]["iin"])  # and the kiosk lets the late arrival in

    # 2. interviewed, decided, and the decision superseded by the chair
    with db.write() as s:
        e = s.get(RosterEntry, ids[0])
        admission.admit(s, e, qualification_document="Сертификат № 11", identity_checked=True, actor=ACTOR)
        transitions.apply(s, e, "start_interview", ACTOR)
        transitions.apply(s, e, "finish_interview", ACTOR)
    page.goto(f"{board}/decisions")
    form = page.locator(f'form.decision[data-entry="{ids[0]}"]')
    form.locator("select[name=outcome]").select_option("not_matching")
    form.locator("button.primary").click()
    page.wait_for_selector(".flash.ok")
    chair = rig["browser"].new_context(viewport={"width": 1024, "height": 768}).new_page()
    chair.set_default_timeout(TIMEOUT)
    sign_in(chair, url, "chair")
    chair.goto(f"{url}/panel/entries/{ids[0]}/corrections")
    assert chair.locator('form[data-kind="withdraw_absence"]').count() == 0  # not the chair's to record
    sup = chair.locator('form[data-kind="supersede_decision"]')
    sup.locator("select[name=outcome]").select_option("assign_category")
    sup.locator("select[name=category]").select_option("first")
    chair.fill("#reason-supersede_decision", "Ошибка при подсчёте голосов")
    sup.locator("button.primary").click()
    expect(chair.locator("#corrections-made")).to_contain_text("Решение заменено")
    assert "Первая категория" in chair.inner_text("#corrections-made")

    # 3. a name fixed
    page.goto(f"{url}/panel/entries/{ids[1]}/corrections")
    fix = page.locator('form[data-kind="fix_details"]')
    fix.locator("input[name=last_name]").fill("Құдайбергенова")
    page.fill("#reason-fix_details", "Опечатка в списке")
    fix.locator("button.primary").click()
    expect(page.locator("#corrections-made")).to_contain_text("→ Құдайбергенова")

    # 4. a walk-in, with a wrong IIN first (refused in Russian, nothing added), then right
    page.goto(f"{board}/roster")
    walk_iin = make_iin(777, seed=5)
    page.fill("#walk-in input[name=iin]", walk_iin[:-1] + str((int(walk_iin[-1]) + 1) % 10))
    page.fill("#walk-in input[name=last_name]", "Жаңабаева")
    page.fill("#walk-in input[name=first_name]", "Өміржан")
    page.fill("#walk-in input[name=reason]", "Направлена управлением в день заседания")
    page.click("#walk-in button.primary")
    assert "ИИН" in page.inner_text(".flash.error")
    page.fill("#walk-in input[name=iin]", walk_iin)
    page.fill("#walk-in input[name=reason]", "Направлена управлением в день заседания")
    page.click("#walk-in button.primary")
    page.wait_for_url(board)
    walk_row = page.locator("tbody[data-entry]", has_text="Жаңабаева Өміржан")
    expect(walk_row.locator(".badge.corrected")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    shot(page, "panel", "ru", "08-board-with-corrections")

    # everyone else gets a final state (absent without a valid reason)
    with db.write() as s:
        for n in range(1, len(site.people)):
            absence.record(s, s.get(RosterEntry, ids[n]), reason=None, recorded_by_id=None, actor=ACTOR)
    page.goto(f"{board}/absences")
    walk_form = page.locator("form.absence", has_text="Жаңабаева")
    walk_form.locator("select[name=reason]").select_option("none")
    walk_form.locator("button.primary").click()
    page.wait_for_selector(".flash.ok")

    # 5. closed with confirmation (from the end-of-day page), reopened by the chair, closed again
    page.goto(board)
    page.click("#end-of-day")
    page.click("#close-sitting")
    page.wait_for_selector("#confirm-yes")
    details = page.inner_text(".confirm-details")
    assert "без итогового результата: 0" in details and "не записан" not in details
    page.click("#confirm-yes")
    expect(page.locator(".badge", has_text="закрыто")).to_be_visible()
    page.goto(f"{url}/panel/entries/{ids[1]}/corrections")
    assert page.locator("form.correction").count() == 0  # closed: nothing to correct
    chair.goto(board)
    chair.fill("#reopen-reason", "Уточнение решения по заявлению члена комиссии")
    chair.click("button:has-text('Открыть заседание снова')")
    chair.wait_for_selector(".flash.ok")
    page.goto(f"{board}/end")
    page.click("#close-sitting")
    page.click("#confirm-yes")
    expect(page.locator(".badge", has_text="закрыто")).to_be_visible()

    # the protocol: final, numbered, naming the commission, with the corrected facts
    page.goto(f"{board}/protocol?lang=ru")
    assert page.locator(".draft").count() == 0
    text = page.inner_text("article.document")
    assert "ПРОТОКОЛ № 1/" in text and "Төлеубаева Әсел Қайратқызы" in text
    shot(page, "panel", "ru", "09-protocol-final")
    pdf = fetch_document(page, f"{board}/protocol.pdf?lang=ru")
    assert pdf.status == 200
    text = _pdf_text(pdf.body())
    assert "ПРОЕКТ" not in text and "ПРОТОКОЛ № 1/" in text
    for name in ("Төлеубаева Әсел Қайратқызы", "Секретарь Тестова", "Нұрғалиев Ерболат", "Смирнова Ольга"):
        assert text.count(name) >= 2, name  # in the composition and on its signature line
    assert "Соответствует заявленной квалификационной категории" in text and "Первая категория" in text
    assert "Құдайбергенова" in text and "Жаңабаева Өміржан" in text
    assert "Ожидается" not in text and "Зарегистрирован" not in text
