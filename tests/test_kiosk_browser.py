"""The kiosk page in Debian's Chromium through Playwright, against the simulated cabinet.

Screenshots of every screen in both languages go to ``test-artifacts/kiosk/<lang>/``.
"""


import pytest
from sqlalchemy import select

from agent import cabinet_agent
from fake_services.digital_id import FakeDigitalDocuments
from attestation.models import RosterEntry

from browser import kiosk_rig, shot

TIMEOUT = 15_000


@pytest.fixture
def kiosk(playwright, sqlite_url):
    fake = FakeDigitalDocuments(key="k")
    config = {"DIGITAL_ID_URL": fake.url, "DIGITAL_ID_KEY": "k", "KIOSK_IDLE_SECONDS": 60}
    try:
        with kiosk_rig(playwright, sqlite_url, cells=3, candidates=6, config=lambda site: config) as rig:
            page = rig["browser"].new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(TIMEOUT)
            yield dict(rig, fake=fake, page=page)
    finally:
        fake.stop()


def screen(page, name):
    page.wait_for_selector(f'section[data-screen="{name}"].active', timeout=TIMEOUT)


def type_on_keypad(page, digits):
    for d in digits:
        page.click(f'button[data-digit="{d}"]')


#: Key presses as a keyboard-wedge scanner sends them: all at once, at the hardware's pace.
SCANNER_KEYS = """(keys) => {
  const target = document.activeElement || document.body;
  for (const key of keys) target.dispatchEvent(new KeyboardEvent("keydown", {key, bubbles: true}));
}"""


def scanner_keys(page, keys):
    """Key presses arriving as a scanner's do: one after another within microseconds.

    Dispatched inside the page in one go rather than one CDP round trip per key: on a
    loaded machine a round trip can take longer than the page's scanner threshold (a
    median gap under 50 ms), and the test would then be typing, not scanning."""
    page.evaluate(SCANNER_KEYS, list(keys))


def scanner_burst(page, text):
    """What a keyboard-wedge scanner does: fast keystrokes, Enter after each line."""
    scanner_keys(page, [key for line in text.split("\n") for key in [*line, "Enter"]])


def test_keys_at_a_persons_pace_are_not_a_scan(kiosk):
    """The other side of the scanner threshold: the same keys 120 ms apart (a person at a
    keyboard) are not read as a credential.  A loaded machine only widens the gaps."""
    page, site = kiosk["page"], kiosk["site"]
    page.goto(kiosk["url"])
    screen(page, "welcome")
    page.click("#lang-ru")
    screen(page, "identify")
    page.evaluate("""async (keys) => {
      const target = document.activeElement || document.body;
      for (const key of keys) {
        target.dispatchEvent(new KeyboardEvent("keydown", {key, bubbles: true}));
        await new Promise(done => setTimeout(done, 120));
      }
    }""", [*site.people[0]["iin"], "Enter"])
    page.wait_for_timeout(1500)  # well past the end of a burst (300 ms after its Enter)
    assert page.is_visible('section[data-screen="identify"].active')
    assert page.get_attribute("body", "data-last-feedback") != "read"


def entry_of(db, iin):
    with db.read() as s:
        return s.execute(select(RosterEntry).where(RosterEntry.candidate.has(iin=iin))).scalar()


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_whole_flow_typed_iin(kiosk, lang):
    page, site, sim = kiosk["page"], kiosk["site"], kiosk["sim"]
    person = site.people[0]
    page.goto(kiosk["url"])
    screen(page, "welcome")
    shot(page, "kiosk", lang, "01-welcome")
    page.click(f"#lang-{lang}")
    screen(page, "identify")
    title = {"kk": "Жеке басыңызды растаңыз", "ru": "Подтвердите свою личность"}[lang]
    assert page.inner_text('section[data-screen="identify"] h1') == title
    bad = person["iin"][:11] + str((int(person["iin"][11]) + 1) % 10)
    type_on_keypad(page, bad)
    assert page.is_disabled("#key-continue")
    assert "bad" in page.get_attribute("#iin-status", "class")
    shot(page, "kiosk", lang, "02-identify-invalid-iin")
    page.click("#key-erase")
    type_on_keypad(page, person["iin"][11])
    assert page.is_enabled("#key-continue")
    shot(page, "kiosk", lang, "03-identify-valid-iin")
    page.click("#key-continue")
    screen(page, "person")
    assert person["iin"] not in page.content()
    assert page.inner_text("#person-name") == f"{person['last_name']} {person['first_name']}"
    assert page.is_visible("#person-check")  # typed IIN: staff must check the ID
    shot(page, "kiosk", lang, "04-person")
    page.click("#person-yes")
    screen(page, "stages")
    assert ("30 мин") in page.inner_text("#stage-list")
    shot(page, "kiosk", lang, "05-stages")
    page.click("#stages-ack")
    screen(page, "rules")
    shot(page, "kiosk", lang, "06-rules")
    page.click("#rules-ack")
    screen(page, "cell")
    assert page.inner_text("#cell-number") == "1"
    assert sim.is_open(1, 1)
    shot(page, "kiosk", lang, "07-cell-open")
    sim.close_door(1, 1)
    screen(page, "done")
    shot(page, "kiosk", lang, "08-done")
    entry = entry_of(kiosk["db"], person["iin"])
    assert entry.state == "checked_in" and entry.language == lang and entry.identified_by == "iin"
    # the same person scans their card again: their existing cell, nothing new
    page.click('section[data-screen="done"] [data-action="restart"]')
    screen(page, "welcome")
    page.click(f"#lang-{lang}")
    screen(page, "identify")
    scanner_burst(page, site.mrz_of(0))
    screen(page, "existing")
    assert page.inner_text("#existing-number") == "1"
    shot(page, "kiosk", lang, "09-existing-cell")
    assert len(sim.unlocks) == 1


def test_scanner_bursts_mrz_barcode_and_qr(kiosk):
    page, site, fake = kiosk["page"], kiosk["site"], kiosk["fake"]
    page.goto(kiosk["url"])
    screen(page, "welcome")
    # a card scanned before choosing the language is kept, then used
    scanner_burst(page, site.mrz_of(1))
    page.click("#lang-ru")
    screen(page, "person")
    assert not page.is_visible("#person-check")
    assert entry_of(kiosk["db"], site.people[1]["iin"]).state == "expected"
    page.click('section[data-screen="person"] [data-action="restart"]')
    screen(page, "welcome")
    page.click("#lang-kk")
    screen(page, "identify")
    scanner_burst(page, site.people[2]["iin"])
    screen(page, "person")
    page.click('section[data-screen="person"] [data-action="restart"]')
    p = site.people[3]
    fake.add("https://digital.example/d/qr-77", iin=p["iin"], last_name=p["last_name"],
             first_name=p["first_name"])
    page.click("#lang-kk")
    screen(page, "identify")
    scanner_burst(page, "https://digital.example/d/qr-77")
    screen(page, "person")
    page.click("#person-yes")
    page.click("#stages-ack")
    page.click("#rules-ack")
    screen(page, "cell")
    entry = entry_of(kiosk["db"], p["iin"])
    assert entry.identified_by == "digital_id" and entry.language == "kk"


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_refusal_screens(kiosk, lang):
    page, site, fake = kiosk["page"], kiosk["site"], kiosk["fake"]
    from factories import make_iin
    page.goto(kiosk["url"])

    def attempt(text, reason, name):
        page.click('section.active [data-action="restart"]') if page.is_visible(
            'section.active [data-action="restart"]') else None
        screen(page, "welcome")
        page.click(f"#lang-{lang}")
        screen(page, "identify")
        scanner_burst(page, text)
        screen(page, "refusal")
        assert page.get_attribute("body", "data-reason") == reason
        assert page.inner_text("#refusal-title") and page.inner_text("#refusal-hint")
        shot(page, "kiosk", lang, f"refusal-{name}")

    screen(page, "welcome")
    attempt(make_iin(4242, seed=9), "not_on_roster", "not-on-roster")
    attempt(site.mrz_of(0).replace("<<<<<<<<<<<", "<<<<<<<<<<7", 1), "unreadable_card", "unreadable-card")
    attempt("https://digital.example/d/unknown", "document_not_found", "qr-unknown")
    fake.fail = True
    attempt("https://digital.example/d/unknown", "identity_service_down", "identity-service-down")
    fake.fail = False
    p = site.people[4]
    fake.add("https://digital.example/d/lic", iin=p["iin"], last_name=p["last_name"],
             first_name=p["first_name"], doc_type="driver_license")
    attempt("https://digital.example/d/lic", "not_identity_document", "not-identity-document")
    fake.add("https://digital.example/d/nm", iin=p["iin"], last_name="Басқа", first_name="Адам")
    attempt("https://digital.example/d/nm", "name_mismatch", "name-mismatch")
    with kiosk["db"].write() as s:
        for n, state in ((1, "removed"), (2, "absent_invalid")):
            s.execute(select(RosterEntry).where(RosterEntry.candidate.has(
                iin=site.people[n]["iin"]))).scalar().state = state
    attempt(site.people[1]["iin"], "already_removed", "already-removed")
    attempt(site.people[2]["iin"], "absence_recorded", "absence-recorded")


def test_cabinet_full_and_lock_fault_screens(kiosk):
    page, site, sim = kiosk["page"], kiosk["site"], kiosk["sim"]
    page.goto(kiosk["url"])

    def check_in(n, lang="ru"):
        screen(page, "welcome")
        page.click(f"#lang-{lang}")
        screen(page, "identify")
        scanner_burst(page, site.people[n]["iin"])
        screen(page, "person")
        page.click("#person-yes")
        page.click("#stages-ack")
        page.click("#rules-ack")

    sim.dead.add(1)
    check_in(0, "kk")
    screen(page, "refusal")
    assert page.get_attribute("body", "data-reason") == "lock_fault"
    shot(page, "kiosk", "kk", "refusal-lock-fault")
    sim.dead.clear()
    page.click('section[data-screen="refusal"] [data-action="restart"]')
    for n in (1, 2):
        check_in(n)
        screen(page, "cell")
        sim.close_door(1, n + 1)
        screen(page, "done")
        page.click('section[data-screen="done"] [data-action="restart"]')
    check_in(3, "ru")
    screen(page, "refusal")
    assert page.get_attribute("body", "data-reason") == "cabinet_full"
    assert page.inner_text("#refusal-title") == "Нет свободных ячеек"
    shot(page, "kiosk", "ru", "refusal-cabinet-full")


def test_idle_timeout_forgets_the_person(kiosk, playwright):
    site = kiosk["site"]
    kiosk["app"].config["KIOSK_IDLE_SECONDS"] = 4
    page = kiosk["page"]
    page.goto(kiosk["url"])
    screen(page, "welcome")
    page.click("#lang-ru")
    screen(page, "identify")
    scanner_burst(page, site.people[5]["iin"])
    screen(page, "person")
    assert page.inner_text("#person-name")
    screen(page, "welcome")  # waited for: the page goes back by itself when idle
    assert site.people[5]["last_name"] not in page.inner_text("body")


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_done_screen_says_what_next_and_returns_by_itself(kiosk, lang):
    kiosk["app"].config["KIOSK_RESULT_SECONDS"] = 8  # long enough to read it on a loaded machine
    page, site, sim = kiosk["page"], kiosk["site"], kiosk["sim"]
    page.goto(kiosk["url"])
    screen(page, "welcome")
    page.click(f"#lang-{lang}")
    screen(page, "identify")
    scanner_burst(page, site.mrz_of(4))
    screen(page, "person")
    page.click("#person-yes")
    page.click("#stages-ack")
    page.click("#rules-ack")
    screen(page, "cell")
    sim.close_door(1, int(page.inner_text("#cell-number")))
    screen(page, "done")
    button = {"kk": "Дайын — келесі адам", "ru": "Готово — следующий, пожалуйста"}[lang]
    returning = {"kk": "басына оралады", "ru": "вернётся к началу"}[lang]
    assert page.inner_text("#done-restart") == button
    assert returning in page.inner_text("#done-countdown")
    shot(page, "kiosk", lang, "08b-done-next-person")
    screen(page, "welcome")  # by itself: the next person finds the start


def test_the_page_asks_for_nothing_it_does_not_have(kiosk):
    """No 404 in a page load (a browser asks /favicon.ico unless the page names an icon)."""
    page = kiosk["page"]
    failed = []
    page.on("response", lambda r: failed.append((r.status, r.url)) if r.status >= 400 else None)
    page.goto(kiosk["url"])
    screen(page, "welcome")
    icon = page.get_attribute('link[rel="icon"]', "href")
    answer = page.request.get(kiosk["url"].rstrip("/") + icon)
    assert answer.status == 200 and answer.headers["content-type"].startswith("image/svg+xml")
    assert not failed, failed


def test_out_of_order_and_recovery(kiosk):
    """With no sign of life from the cabinet's agent, the kiosk says so; then recovers."""
    from attestation.models import AgentHeartbeat
    import datetime as dt
    page = kiosk["page"]
    page.goto(kiosk["url"])
    screen(page, "welcome")
    with kiosk["db"].write() as s:
        beat = s.execute(select(AgentHeartbeat)).scalar()
        beat.at = beat.at - dt.timedelta(minutes=5)
    # the agent's next heartbeat repairs it; stop that by freezing the heartbeat interval
    cabinet_agent.HEARTBEAT_INTERVAL = 3600
    try:
        with kiosk["db"].write() as s:
            beat = s.execute(select(AgentHeartbeat)).scalar()
            beat.at = beat.at - dt.timedelta(minutes=5)
        screen(page, "out_of_order")
        assert page.get_attribute("body", "data-code") == "E-CAB"
        assert "E-CAB" in page.inner_text("#ooo-body-kk") and "E-CAB" in page.inner_text("#ooo-body-ru")
        shot(page, "kiosk", "both", "out-of-order")
        with kiosk["db"].write() as s:
            from attestation.timeutil import utcnow
            s.execute(select(AgentHeartbeat)).scalar().at = utcnow()
        screen(page, "welcome")
    finally:
        cabinet_agent.HEARTBEAT_INTERVAL = 2.0
