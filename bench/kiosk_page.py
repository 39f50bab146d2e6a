"""``kioskctl bench page``: the kiosk page as a Raspberry Pi's Chromium runs it.

Starts a kiosk as production does (``kioskctl serve kiosk`` and ``kioskctl serve agent``,
each its own process, on a simulated cabinet whose doors shut a second after they open),
opens the page in Debian's Chromium at 800x480, slows the page's CPU with DevTools'
``Emulation.setCPUThrottlingRate`` (4: about a Pi 4 against this machine), and takes
``people`` persons through it by taps: the language, the IIN on the keypad, "that's me",
the stages, the rules, the cell, "done".

The page itself measures (a script added before its own, so nothing goes through the
DevTools connection while timing): from each tap to the next screen's first frame (the
``active`` class set, then an animation frame), and, with the Event Timing API, each tap's
time to its next paint (a keypad digit, for one).  The first screen after a tap is its
answer; a screen after that one waits for the server or the door ("then": the cell's
number once the door is seen open, "done" once it is shut again).  Loading: navigation to the first
contentful paint, and to the page's load event.  ``--pi`` also limits the kiosk app and
the agent to a Pi's core (:mod:`bench.cpu_limit`), so the screens that wait for the server
wait for a Pi-shaped one.
"""

from __future__ import annotations

import collections
import os

from attestation import db as dbmod

from . import cpu_limit
from .database import fresh_database
from .production import _free_port, _setup, _start, _start_cabinet
from .stats import percentile_ms

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SIZE = {"width": 800, "height": 480}

#: Runs in the page before its own scripts: taps, screens, paints, into window.__bench.
INSTRUMENT = """
window.__bench = {screens: [], taps: []};
let lastTap = null;
document.addEventListener("click", (e) => {
  const button = e.target.closest("button");
  lastTap = {at: performance.now(), id: button ? (button.id || button.dataset.action || button.dataset.digit || "") : ""};
}, true);
new MutationObserver((changes) => {
  for (const c of changes) {
    const el = c.target;
    if (!el.classList || !el.classList.contains("screen") || !el.classList.contains("active")) continue;
    if ((c.oldValue || "").split(" ").includes("active")) continue;
    const tap = lastTap, first = tap && !tap.answered;
    if (tap) tap.answered = true;
    requestAnimationFrame(() => setTimeout(() => window.__bench.screens.push(
      {screen: el.dataset.screen, tap: tap ? tap.id : null, first, ms: tap ? performance.now() - tap.at : null}), 0));
  }
}).observe(document, {subtree: true, attributes: true, attributeFilter: ["class"], attributeOldValue: true});
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (e.name === "click") window.__bench.taps.push(e.duration);
}).observe({type: "event", durationThreshold: 16, buffered: true});
"""


def run(people: int = 5, throttles=(1, 4), pi: bool = False, out=print) -> dict:
    with cpu_limit.pi_shaped(pi, out, "Pi-shaped server") as limiter:
        return _run(people, throttles, limiter, out)


def _run(people, throttles, limiter, out) -> dict:
    from playwright.sync_api import sync_playwright

    results = {}
    with fresh_database(None) as (db_url, tmp):
        sim, _ = _start_cabinet(0, 1, "instant", tmp)
        database = dbmod.Database(db_url)
        tokens, persons = _setup(database, 1, people * len(throttles), [str(tmp / "cab-0")])
        env = {"DATABASE_URL": db_url, "ATTESTATION_KIOSK_RESULT_SECONDS": "600"}
        port = _free_port()
        services = [_start("agent-0", ["serve", "agent", "--cabinet", "bench-cab-0"], env, tmp, limiter=limiter),
                    _start("kiosk-0", ["serve", "kiosk", "--port", str(port)],
                           env | {"ATTESTATION_KIOSK_TOKEN": tokens[0]}, tmp, limiter=limiter)]
        queue = iter(persons[0])
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-dev-shm-usage"])
                try:
                    for rate in throttles:
                        results[rate] = _walk(browser, f"http://127.0.0.1:{port}/", rate,
                                              [next(queue) for _ in range(people)])
                finally:
                    browser.close()
        finally:
            for svc in services + [sim]:
                svc.proc.terminate()
                svc.proc.wait(timeout=20)
            database.dispose()
    _report(results, people, out)
    return results


def _walk(browser, url: str, rate: float, iins: list[str]) -> dict:
    context = browser.new_context(viewport=SIZE, bypass_csp=True)
    page = context.new_page()
    page.add_init_script(INSTRUMENT)
    cdp = context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
    screens, taps, loads = collections.defaultdict(list), [], []
    timeout = 60_000

    def screen(name):
        page.wait_for_selector(f'section[data-screen="{name}"].active', timeout=timeout)

    try:
        for value in iins:
            page.goto(url)
            screen("welcome")
            page.wait_for_load_state("load")
            page.click("#lang-kk")
            screen("identify")
            for digit in value:
                page.click(f'button[data-digit="{digit}"]')
            page.click("#key-continue")
            screen("person")
            page.click("#person-yes")
            screen("stages")
            page.click("#stages-ack")
            screen("rules")
            page.click("#rules-ack")
            screen("done")  # the cell's door shuts by itself a second after it opened
            page.click('section[data-screen="done"] [data-action="restart"]')
            screen("welcome")
            page.wait_for_function("window.__bench.screens.some(s => s.screen === 'welcome' && s.tap)",
                                   timeout=timeout)
            got = page.evaluate("""() => ({bench: window.__bench,
                fcp: (performance.getEntriesByName("first-contentful-paint")[0] || {}).startTime,
                load: performance.getEntriesByType("navigation")[0].loadEventEnd})""")
            loads.append((got["fcp"], got["load"]))
            for s in got["bench"]["screens"]:
                if s["tap"] is not None:  # a later screen of the same tap waits for something else
                    then = "" if s["first"] else " (then: the server, the door)"
                    screens[f"{s['tap']} -> {s['screen']}{then}"].append(s["ms"] / 1000)
            taps += [d / 1000 for d in got["bench"]["taps"]]
    finally:
        context.close()
    return {"screens": dict(screens), "taps": taps, "loads": loads}


def _report(results: dict, people: int, out) -> None:
    out(f"kiosk page in Chromium at {SIZE['width']}x{SIZE['height']}, {people} persons per CPU throttling rate; ms")
    rates = list(results)
    out(f"{'':44s}" + "".join(f"{'x' + format(r, 'g') + ' p50':>11s}{'max':>8s}" for r in rates))
    rows = {"navigation -> first paint": {r: [f / 1000 for f, _ in results[r]["loads"]] for r in rates},
            "navigation -> load event": {r: [l / 1000 for _, l in results[r]["loads"]] for r in rates},
            "a tap -> its next paint (all)": {r: results[r]["taps"] or [0.0] for r in rates}}
    for key in results[rates[0]]["screens"]:
        rows[key] = {r: results[r]["screens"].get(key, [0.0]) for r in rates}
    for name, by_rate in rows.items():
        out(f"{name:44s}" + "".join(f"{percentile_ms(v, .5):11.0f}{1000 * max(v):8.0f}" for v in by_rate.values()))
