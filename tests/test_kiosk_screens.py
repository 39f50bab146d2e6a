"""The kiosk on the screens kiosks have, in Debian's Chromium: every screen whole, with its
buttons in view and large enough, at 800x480, 1024x600, 1280x800, 1920x1080 and 1080x1920;
an automated WCAG check (axe-core) of every screen in both languages; scans that belong to
one person; feedback a person notices.

Screenshots: ``test-artifacts/kiosk-sizes/<size>/<lang>/<nn-screen>.png``.
"""

import os

import pytest
from axe_playwright_python.sync_playwright import Axe

from browser import kiosk_rig, shot
from locker_driver.pty_device import PtyDevice
from factories import make_iin
from test_kiosk_browser import TIMEOUT, scanner_burst, scanner_keys, screen, type_on_keypad

SIZES = [(800, 480), (1024, 600), (1280, 800), (1920, 1080), (1080, 1920)]
MIN_TARGET_PX = 48
MIN_TEXT_PX = 14
#: Records every sound the page plays (the page's audio elements have no device here).
RECORD_SOUNDS = """
window.__played = [];
HTMLMediaElement.prototype.play = function () { window.__played.push(this.id); return Promise.resolve(); };
"""


@pytest.fixture
def rig(playwright, sqlite_url):
    """A kiosk on a simulated cabinet at a board's pace, and a serial scanner on a pty."""
    with PtyDevice() as scanner:
        config = {"SERIAL_SCANNER_PORT": scanner.path}
        with kiosk_rig(playwright, sqlite_url, cells=8, candidates=6, config=lambda site: config) as ctx:
            assert ctx["app"].extensions["serial_scanner"].ready.wait(3)
            yield dict(ctx, scanner=scanner.master)


def new_page(rig, width, height, **kwargs):
    page = rig["browser"].new_page(viewport={"width": width, "height": height}, **kwargs)
    page.set_default_timeout(TIMEOUT)
    page.add_init_script(RECORD_SOUNDS)
    return page


MEASURE = """() => {
  const sec = document.querySelector('section.screen.active');
  const visible = el => el.offsetParent !== null && !el.closest('[hidden]');
  const buttons = [...sec.querySelectorAll('button')].filter(visible).map(b => {
    const r = b.getBoundingClientRect();
    return {name: b.id || b.dataset.digit || b.textContent.trim().slice(0, 24),
            left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height};
  });
  const sizes = [...sec.querySelectorAll('h1, p, li, span, div, button')].filter(visible)
    .filter(el => [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
    .map(el => parseFloat(getComputedStyle(el).fontSize));
  const content = sec.querySelector('.content');
  return {buttons, minFont: Math.min(...sizes),
          pageW: document.documentElement.scrollWidth, pageH: document.documentElement.scrollHeight,
          overflow: Math.max(sec.scrollHeight - sec.clientHeight,
                             content.scrollHeight - content.clientHeight,
                             content.scrollWidth - content.clientWidth)};
}"""


def check_whole(page, width, height, lang, name, axe=None):
    """The active screen fits: nothing to scroll, every button inside the viewport and at
    least 48 px, no text under 14 px; a screenshot; and, with ``axe``, no serious or
    critical WCAG violation."""
    m = page.evaluate(MEASURE)
    where = f"{name} at {width}x{height} ({lang})"
    assert m["pageW"] <= width + 1 and m["pageH"] <= height + 1, (where, m["pageW"], m["pageH"])
    assert m["overflow"] <= 1, (where, "content cut off", m["overflow"])
    assert m["buttons"] or name.split("-", 1)[1] in ("checking", "opening", "cell", "out-of-order"), where
    for b in m["buttons"]:
        assert b["left"] >= -1 and b["top"] >= -1 and b["right"] <= width + 1 and b["bottom"] <= height + 1, (where, b)
        assert b["width"] >= MIN_TARGET_PX and b["height"] >= MIN_TARGET_PX, (where, b)
    assert m["minFont"] >= MIN_TEXT_PX, (where, m["minFont"])
    shot(page, "kiosk-sizes", f"{width}x{height}", lang, name)
    if axe is not None:
        results = axe.run(page)
        bad = [(v["id"], v["impact"], v["help"]) for v in results.response["violations"]
               if v["impact"] in ("serious", "critical")]
        assert not bad, (where, bad)


def force_screen(page, name):
    """Show a passing screen (a spinner while the server answers) long enough to measure it."""
    page.evaluate("""async (name) => {
      if (name === 'out_of_order') {
        for (const lang of ['kk', 'ru']) {
          const s = await (await fetch('/strings/' + lang + '.json')).json();
          document.getElementById('ooo-title-' + lang).textContent = s['out_of_order.title'];
          document.getElementById('ooo-body-' + lang).textContent = s['out_of_order.body'].replace('{code}', 'E-CAB');
        }
      }
      document.querySelectorAll('.screen').forEach(s => s.classList.toggle('active', s.dataset.screen === name));
    }""", name)


def restart(page):
    page.click("section.active [data-action=restart]")
    screen(page, "welcome")


def again(page, lang):
    """The next person: back to the welcome screen, a language, the identification screen."""
    restart(page)
    page.click(f"#lang-{lang}")
    screen(page, "identify")


@pytest.mark.parametrize("width,height", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_screen_fits(rig, width, height):
    site, sim = rig["site"], rig["sim"]
    axe = Axe() if (width, height) == (1280, 800) else None
    for n, lang in enumerate(("kk", "ru")):
        page = new_page(rig, width, height)
        page.goto(rig["url"])
        screen(page, "welcome")
        check_whole(page, width, height, lang, "01-welcome", axe)
        scanner_burst(page, site.mrz_of(2 + n))  # a card read before the language is chosen
        page.wait_for_selector("#scan-ack:not([hidden])")
        check_whole(page, width, height, lang, "02-welcome-card-read", axe)
        page.click(f"#lang-{lang}")
        screen(page, "person")
        again(page, lang)
        type_on_keypad(page, site.people[n]["iin"])
        check_whole(page, width, height, lang, "03-identify", axe)
        force_screen(page, "checking")
        check_whole(page, width, height, lang, "04-checking", axe)
        force_screen(page, "identify")
        page.click("#key-continue")
        screen(page, "person")
        check_whole(page, width, height, lang, "05-person", axe)
        page.click("#person-yes")
        screen(page, "stages")
        check_whole(page, width, height, lang, "06-stages", axe)
        page.click("#stages-ack")
        screen(page, "rules")
        check_whole(page, width, height, lang, "07-rules", axe)
        page.click("#rules-ack")
        screen(page, "cell")
        check_whole(page, width, height, lang, "09-cell", axe)
        force_screen(page, "opening")
        check_whole(page, width, height, lang, "08-opening", axe)
        force_screen(page, "cell")
        sim.close_door(1, sim.unlocks[-1][1])
        screen(page, "done")
        check_whole(page, width, height, lang, "10-done", axe)
        again(page, lang)
        scanner_burst(page, site.mrz_of(n))
        screen(page, "existing")
        check_whole(page, width, height, lang, "11-existing", axe)
        again(page, lang)
        scanner_burst(page, make_iin(7000 + n, seed=5))
        screen(page, "refusal")
        check_whole(page, width, height, lang, "12-refusal-needs-staff", axe)
        again(page, lang)
        scanner_burst(page, "garbage!!code")
        screen(page, "refusal")
        check_whole(page, width, height, lang, "13-refusal-try-again", axe)
        force_screen(page, "out_of_order")
        check_whole(page, width, height, lang, "14-out-of-order", axe)
        page.close()


# -- scans belong to the person at the kiosk --------------------------------------------------

def test_a_card_read_on_the_welcome_screen_is_not_shown_to_the_next_person(rig):
    """The case found at a venue: a card scanned, nobody chose a language, 100 s later a new
    person taps "Русский" and must not see the first person's name."""
    site = rig["site"]
    page = new_page(rig, 800, 480)
    page.clock.install()
    page.goto(rig["url"])
    screen(page, "welcome")
    scanner_burst(page, site.mrz_of(1))
    page.wait_for_selector("#scan-ack:not([hidden])")  # acknowledged at once, in both languages
    assert "Документ прочитан" in page.inner_text("#scan-ack") and "Құжат оқылды" in page.inner_text("#scan-ack")
    page.clock.fast_forward(100_000)
    assert page.is_hidden("#scan-ack")
    page.click("#lang-ru")
    screen(page, "identify")
    page.clock.fast_forward(3_000)
    assert site.people[1]["last_name"] not in page.inner_text("body")
    assert page.get_attribute("body", "data-current") == "identify"


def test_a_card_read_just_before_choosing_is_used(rig):
    site = rig["site"]
    page = new_page(rig, 1024, 600)
    page.clock.install()
    page.goto(rig["url"])
    screen(page, "welcome")
    scanner_burst(page, site.mrz_of(1))
    page.clock.fast_forward(rig["app"].config["KIOSK_SCAN_HOLD_SECONDS"] * 1000 - 3000)
    page.click("#lang-kk")
    screen(page, "person")
    assert site.people[1]["last_name"] in page.inner_text("#person-name")


def test_a_page_loaded_after_a_serial_scan_never_gets_it(rig):
    site = rig["site"]
    os.write(rig["scanner"], site.people[3]["iin"].encode() + b"\r")
    assert rig["app"].extensions["scan_queue"].since(0, wait=3)
    page = new_page(rig, 1280, 800)
    page.goto(rig["url"])
    screen(page, "welcome")
    page.wait_for_timeout(1500)  # the page has asked the scan feed by now
    assert page.is_hidden("#scan-ack")
    page.click("#lang-ru")
    screen(page, "identify")
    page.wait_for_timeout(500)
    assert page.get_attribute("body", "data-current") == "identify"
    # ...while a scan read after the page loaded is that page's, with its feedback
    os.write(rig["scanner"], site.people[3]["iin"].encode() + b"\r")
    screen(page, "person")
    assert "sound-read" in page.evaluate("window.__played")


def test_a_scan_during_someone_elses_registration_takes_nothing_over(rig):
    site = rig["site"]
    page = new_page(rig, 1280, 800)
    page.goto(rig["url"])
    page.click("#lang-ru")
    screen(page, "identify")
    scanner_burst(page, site.mrz_of(4))
    screen(page, "person")
    scanner_burst(page, site.mrz_of(5))
    page.wait_for_selector("#toast:not([hidden])")
    assert site.people[4]["last_name"] in page.inner_text("#person-name")
    assert page.get_attribute("body", "data-current") == "person"


# -- feedback a person notices ------------------------------------------------------------------

def test_a_scan_is_acknowledged_before_it_ends_and_each_result_has_its_sound(rig):
    site = rig["site"]
    page = new_page(rig, 1280, 800)
    page.goto(rig["url"])
    screen(page, "welcome")
    credential = site.people[0]["iin"]
    # A scanner's first keystrokes: the page reacts before the scan is even complete.
    scanner_keys(page, credential[:6])
    assert page.get_attribute("body", "data-last-feedback") == "read"
    assert page.evaluate("window.__played") == ["sound-read"]
    scanner_keys(page, [*credential[6:], "Enter"])
    page.wait_for_selector("#scan-ack:not([hidden])")
    assert page.evaluate("window.__played") == ["sound-read"]  # one scan, one sound
    page.click("#lang-ru")
    screen(page, "person")
    restart(page)
    page.click("#lang-ru")
    scanner_burst(page, "garbage!!code")
    screen(page, "refusal")
    assert page.get_attribute("body", "data-last-feedback") == "refused"
    assert page.evaluate("window.__played")[-1] == "sound-refused"
    restart(page)
    page.click("#lang-ru")
    scanner_burst(page, make_iin(8123, seed=3))
    screen(page, "refusal")
    assert page.get_attribute("body", "data-last-feedback") == "staff"
    assert page.evaluate("window.__played")[-1] == "sound-staff"
    restart(page)
    page.click("#lang-ru")
    scanner_burst(page, credential)
    screen(page, "person")
    page.click("#person-yes")
    page.click("#stages-ack")
    page.click("#rules-ack")
    screen(page, "cell")
    rig["sim"].close_door(1, rig["sim"].unlocks[-1][1])
    screen(page, "done")
    assert page.get_attribute("body", "data-last-feedback") == "success"
    assert page.evaluate("window.__played")[-1] == "sound-success"


def test_sounds_are_local_distinct_files_and_can_be_muted(rig):
    page = new_page(rig, 800, 480)
    bodies = set()
    for kind in ("read", "success", "staff", "refused"):
        r = page.request.get(f"{rig['url']}/static/sounds/{kind}.wav")
        assert r.ok and r.body()[:4] == b"RIFF" and "wav" in r.headers["content-type"]
        bodies.add(r.body())
    assert len(bodies) == 4
    rig["app"].config["KIOSK_VOLUME"] = 0
    page.goto(rig["url"])
    screen(page, "welcome")
    scanner_burst(page, rig["site"].mrz_of(1))
    page.wait_for_selector("#scan-ack:not([hidden])")
    assert page.get_attribute("body", "data-last-feedback") == "read"  # the colour still shows
    assert page.evaluate("window.__played") == []


#: The page told the monitor is gone (hidden) or back: what the compositor's hiding of the
#: window looks like to it (headless Chromium never hides a page by itself).
MONITOR = """(off) => {
  Object.defineProperty(document, "visibilityState", {value: off ? "hidden" : "visible", configurable: true});
  Object.defineProperty(document, "hidden", {value: off, configurable: true});
  document.dispatchEvent(new Event("visibilitychange"));
}"""


def monitor_off_and_on(page, sizes, away_ms=0):
    """What the kiosk's page goes through when the monitor is switched off and on under
    cage: hidden, its timers stopped (frozen, as Chromium does to a hidden page) while the
    output is gone, then resized to each mode the monitor offers as it comes back."""
    cdp = page.context.new_cdp_session(page)
    page.evaluate(MONITOR, True)
    cdp.send("Page.setWebLifecycleState", {"state": "frozen"})
    if away_ms:
        page.wait_for_timeout(away_ms)  # longer than the idle time: no race, only a floor
    cdp.send("Page.setWebLifecycleState", {"state": "active"})
    for width, height in sizes:
        page.set_viewport_size({"width": width, "height": height})
    page.evaluate(MONITOR, False)
    cdp.detach()


def test_the_page_survives_the_monitor_switched_off_and_on(rig):
    """Mid-identification, at every kiosk size the monitor may come back at (a 640x480
    fallback mode first): the same screen, what was typed kept, the screen whole; then the
    person goes on with a tap."""
    rig["app"].config["KIOSK_IDLE_SECONDS"] = 600  # five sizes, measured and photographed
    page = new_page(rig, 1024, 600)
    person = rig["site"].people[2]
    page.goto(rig["url"])
    screen(page, "welcome")
    page.click("#lang-kk")
    screen(page, "identify")
    type_on_keypad(page, person["iin"][:6])
    for width, height in SIZES:
        monitor_off_and_on(page, [(640, 480), (width, height)])
        assert page.get_attribute("body", "data-current") == "identify"
        assert page.inner_text("#iin-display").startswith(person["iin"][:6])
        check_whole(page, width, height, "kk", "30-identify-after-monitor")
    type_on_keypad(page, person["iin"][6:])
    page.click("#key-continue")
    screen(page, "person")
    assert page.inner_text("#person-name") == f"{person['last_name']} {person['first_name']}"


def test_a_person_gone_while_the_monitor_was_off_is_forgotten(rig):
    rig["app"].config["KIOSK_IDLE_SECONDS"] = 2
    page = new_page(rig, 800, 480)
    page.goto(rig["url"])
    screen(page, "welcome")
    page.click("#lang-ru")
    screen(page, "identify")
    type_on_keypad(page, "880101")
    monitor_off_and_on(page, [(800, 480)], away_ms=2500)
    screen(page, "welcome")
    page.click("#lang-ru")
    screen(page, "identify")
    assert not any(c.isdigit() for c in page.inner_text("#iin-display"))


def test_no_long_press_menu_zoom_or_swipe(rig):
    page = new_page(rig, 800, 480, has_touch=True)
    page.goto(rig["url"])
    screen(page, "welcome")
    prevented = page.evaluate("""() => {
      const menu = new MouseEvent("contextmenu", {bubbles: true, cancelable: true});
      document.getElementById("lang-kk").dispatchEvent(menu);
      return menu.defaultPrevented;
    }""")
    assert prevented
    style = page.evaluate("() => { const s = getComputedStyle(document.body); "
                          "return [s.touchAction, s.overscrollBehaviorX, s.userSelect]; }")
    assert style == ["pan-x pan-y", "none", "none"]
    viewport = page.get_attribute('meta[name="viewport"]', "content")
    assert "user-scalable=no" in viewport and "maximum-scale=1" in viewport
