"""axe-core on every page of the panel, in Russian and in Kazakh, as the people who use each
see it (Debian's Chromium, 1024x768): no serious or critical WCAG violation."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from attestation import admission, transitions
from attestation.models import Cabinet, RosterEntry, User, ViolationAct
from factories import ACTOR

from test_panel_browser import TIMEOUT, _kiosk_check_in, panel_rig, sign_in


@pytest.fixture(scope="module")
def axe():
    return Axe()


@pytest.fixture
def day(playwright, sqlite_url):
    """A sitting with someone at each step: checked in, admitted, interviewed, removed by an
    act, absent, expected."""
    from attestation import absence, violations
    from attestation.timeutil import utcnow
    with panel_rig(playwright, sqlite_url, cells=8, candidates=6) as rig:
        people, db = rig["site"].people, rig["db"]
        for n in range(4):
            _kiosk_check_in(rig, people[n]["iin"])
        with db.write() as s:
            e = {n: s.execute(select(RosterEntry).where(RosterEntry.candidate.has(iin=people[n]["iin"]))).scalar()
                 for n in range(6)}
            for n in (1, 2):
                admission.admit(s, e[n], qualification_document="С-1", identity_checked=True, actor=ACTOR)
            transitions.apply(s, e[2], "start_interview", ACTOR)
            transitions.apply(s, e[2], "finish_interview", ACTOR)
            member = s.execute(select(User.id).where(User.username == "member1")).scalar()
            violations.draw_up(s, e[3], kind="device", description="Телефон", occurred_at=utcnow(),
                               recorded_by_id=member, actor=ACTOR)
            absence.record(s, e[4], reason=None, recorded_by_id=None, actor=ACTOR)
            rig["entry"] = e[2].id
            rig["act"] = s.execute(select(ViolationAct.id)).scalar()
            rig["cabinet"] = s.execute(select(Cabinet.id)).scalar()
        yield rig


def pages(rig):
    sid = rig["site"].sitting_id
    return {
        "secretary": ["/panel/", f"/panel/sittings/{sid}", f"/panel/sittings/{sid}/absences",
                      f"/panel/sittings/{sid}/decisions", f"/panel/sittings/{sid}/commission",
                      f"/panel/sittings/{sid}/roster", f"/panel/sittings/{sid}/end",
                      f"/panel/sittings/{sid}/protocol", f"/panel/entries/{rig['entry']}/file",
                      f"/panel/entries/{rig['entry']}/corrections", f"/panel/acts/{rig['act']}",
                      f"/panel/search?q={rig['site'].people[0]['last_name']}", "/panel/account"],
        "member": [f"/panel/entries/{rig['entry']}/violation"],
        "operator": ["/panel/cabinets", f"/panel/cabinets/{rig['cabinet']}"],
        "admin": ["/panel/audit", "/panel/users", "/panel/kiosks"],
    }


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_every_panel_page_passes_axe(day, axe, lang):
    context = day["browser"].new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    found = {}
    page.goto(f"{day['panel_url']}/panel/login")
    found["/panel/login"] = axe.run(page).response["violations"]
    for role, paths in pages(day).items():
        sign_in(page, day["panel_url"], role, lang)
        for path in paths:
            page.goto(day["panel_url"] + path)
            if path.endswith(f"/sittings/{day['site'].sitting_id}"):
                page.wait_for_selector("#board tbody[data-entry]")  # the board is drawn by its script
            found[path] = axe.run(page).response["violations"]
    bad = {path: [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations
                  if v["impact"] in ("serious", "critical")] for path, violations in found.items()}
    bad = {path: v for path, v in bad.items() if v}
    assert not bad, bad
