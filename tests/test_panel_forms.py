"""No panel form loses what was typed: each form is sent with a mistake, and the page that
says what is wrong shows every field as it was typed (Debian's Chromium, 1024x768)."""

import datetime as dt

import pytest
from sqlalchemy import select

from attestation import admission, transitions
from attestation.models import RosterEntry
from attestation.timeutil import local, utcnow
from factories import ACTOR, make_iin

from browser import shot
from test_panel_browser import TIMEOUT, _kiosk_check_in, open_row, rig, sign_in  # noqa: F401 (rig)


@pytest.fixture
def panel(rig):
    site, db = rig["site"], rig["db"]
    with db.read() as s:
        ids = [s.execute(select(RosterEntry.id).where(RosterEntry.candidate.has(iin=p["iin"]))).scalar()
               for p in site.people]
    page = rig["browser"].new_context(viewport={"width": 1024, "height": 768}).new_page()
    page.set_default_timeout(TIMEOUT)
    return dict(rig, ids=ids, page=page, board=f"{rig['panel_url']}/panel/sittings/{site.sitting_id}")


def refused(page):
    """The refusal's message, once the page has put back what was typed: forms.js runs at
    the end of the page, after the message is already there to be seen (CI run L-3 read a
    field in between)."""
    page.wait_for_selector(".flash.error")
    page.wait_for_load_state("load")
    return page.inner_text(".flash.error")


def test_an_act_entered_wrongly_is_refused_before_its_confirmation_and_keeps_its_text(panel):
    page, ids = panel["page"], panel["ids"]
    with panel["db"].write() as s:
        transitions.apply(s, s.get(RosterEntry, ids[1]), "check_in", ACTOR)
    sign_in(page, panel["panel_url"], "member")
    page.goto(f"{panel['panel_url']}/panel/entries/{ids[1]}/violation")
    now = local(utcnow())
    # a minute past the five the clock may be off by, or (late in the evening) no time at all
    wrong = (now + dt.timedelta(minutes=6)).strftime("%H:%M") if now.hour < 23 else "24:30"
    page.check("input[value=literature]")
    page.fill("textarea[name=description]", "Телефон в кармане пиджака, экран включён")
    page.fill("input[name=witnesses]", "Секретарь Тестова, член комиссии Нұрғалиев")
    page.fill("input[name=occurred_at]", wrong)
    page.click("button.danger")
    message = refused(page)  # at once: no confirmation asked for an act that cannot be made
    assert page.locator("#confirm-yes").count() == 0
    assert ("в будущем" in message) if now.hour < 23 else ("время" in message.lower())
    assert page.input_value("textarea[name=description]") == "Телефон в кармане пиджака, экран включён"
    assert page.input_value("input[name=witnesses]") == "Секретарь Тестова, член комиссии Нұрғалиев"
    assert page.input_value("input[name=occurred_at]") == wrong
    assert page.is_checked("input[value=literature]")
    shot(page, "panel-forms", "ru", "01-act-refused-as-typed")
    # right this time; then "cancel" on the confirmation: back to the form, as typed
    page.fill("input[name=occurred_at]", now.strftime("%H:%M"))
    page.click("button.danger")
    page.click("#confirm-cancel")
    page.wait_for_selector("textarea[name=description]")
    page.wait_for_load_state("load")
    assert page.input_value("textarea[name=description]") == "Телефон в кармане пиджака, экран включён"
    page.click("button.danger")
    page.click("#confirm-yes")
    page.wait_for_selector("article.document")
    # made: the next form starts empty
    page.goto(f"{panel['panel_url']}/panel/entries/{ids[1]}/violation")
    assert page.input_value("textarea[name=description]") == ""


def test_an_absence_without_its_date_keeps_the_reason_and_the_document(panel):
    page, ids = panel["page"], panel["ids"]
    sign_in(page, panel["panel_url"], "secretary")
    page.goto(f"{panel['board']}/absences")
    form = page.locator(f'form.absence[data-entry="{ids[2]}"]')
    reason = form.locator("select[name=reason] option").nth(1).get_attribute("value")
    form.locator("select[name=reason]").select_option(reason)
    form.locator("input[name=document]").fill("Лист нетрудоспособности № 4417")
    form.locator("button.primary").click()
    assert "дат" in refused(page)
    form = page.locator(f'form.absence[data-entry="{ids[2]}"]')
    assert form.locator("select[name=reason]").input_value() == reason
    assert form.locator("input[name=document]").input_value() == "Лист нетрудоспособности № 4417"
    # the other people's forms are untouched
    assert page.locator(f'form.absence[data-entry="{ids[3]}"] input[name=document]').input_value() == ""


def test_a_decision_without_its_category_keeps_the_note(panel):
    page, ids = panel["page"], panel["ids"]
    with panel["db"].write() as s:
        e = s.get(RosterEntry, ids[0])
        transitions.apply(s, e, "check_in", ACTOR)
        admission.admit(s, e, qualification_document="Сертификат № 1", identity_checked=True, actor=ACTOR)
        transitions.apply(s, e, "start_interview", ACTOR)
        transitions.apply(s, e, "finish_interview", ACTOR)
    sign_in(page, panel["panel_url"], "secretary")
    page.goto(f"{panel['board']}/decisions")
    form = page.locator(f'form.decision[data-entry="{ids[0]}"]')
    form.locator("select[name=outcome]").select_option("assign_category")
    form.locator("input[name=note]").fill("Голосование: 4 за, 1 против")
    form.locator("button.primary").click()
    assert "категори" in refused(page)
    form = page.locator(f'form.decision[data-entry="{ids[0]}"]')
    assert form.locator("select[name=outcome]").input_value() == "assign_category"
    assert form.locator("input[name=note]").input_value() == "Голосование: 4 за, 1 против"


def test_a_correction_that_changes_nothing_keeps_its_reason(panel):
    page, ids = panel["page"], panel["ids"]
    sign_in(page, panel["panel_url"], "secretary")
    page.goto(f"{panel['panel_url']}/panel/entries/{ids[1]}/corrections")
    fix = page.locator('form[data-kind="fix_details"]')
    page.fill("#reason-fix_details", "Фамилия в списке с опечаткой")
    fix.locator("input[name=organization]").fill(fix.locator("input[name=organization]").input_value() + " ")
    fix.locator("button.primary").click()
    refused(page)
    assert page.input_value("#reason-fix_details") == "Фамилия в списке с опечаткой"


def test_a_commission_without_its_chair_keeps_the_members(panel):
    page = panel["page"]
    sign_in(page, panel["panel_url"], "secretary")
    page.goto(f"{panel['board']}/commission")
    page.fill("input[name=chair]", "   ")
    page.fill("input[name=secretary]", "Секретарь Тестова")
    page.fill("textarea[name=members]", "Нұрғалиев Ерболат\nСмирнова Ольга")
    page.click("#commission-form button.primary")
    refused(page)
    assert page.input_value("input[name=secretary]") == "Секретарь Тестова"
    assert page.input_value("textarea[name=members]") == "Нұрғалиев Ерболат\nСмирнова Ольга"


def test_a_walk_in_with_a_wrong_iin_keeps_every_field(panel):
    page = panel["page"]
    sign_in(page, panel["panel_url"], "secretary")
    page.goto(f"{panel['board']}/roster")
    iin = make_iin(778, seed=9)
    page.fill("#walk-in input[name=iin]", iin[:-1] + str((int(iin[-1]) + 1) % 10))
    page.fill("#walk-in input[name=last_name]", "Жаңабаева")
    page.fill("#walk-in input[name=first_name]", "Өміржан")
    page.fill("#walk-in input[name=organization]", "КГУ «Центр оказания специальных социальных услуг»")
    page.fill("#walk-in input[name=reason]", "Направлена управлением в день заседания")
    page.click("#walk-in button.primary")
    assert "ИИН" in refused(page)
    for name, value in [("last_name", "Жаңабаева"), ("first_name", "Өміржан"),
                        ("organization", "КГУ «Центр оказания специальных социальных услуг»"),
                        ("reason", "Направлена управлением в день заседания")]:
        assert page.input_value(f"#walk-in input[name={name}]") == value, name


def test_an_admission_refused_on_the_board_opens_the_row_again_as_typed(panel):
    page, ids, site = panel["page"], panel["ids"], panel["site"]
    _kiosk_check_in(panel, site.people[3]["iin"])  # a typed IIN: the ID must be checked
    sign_in(page, panel["panel_url"], "secretary")
    page.goto(panel["board"])
    row = open_row(page, ids[3])
    row.locator("input[name=qualification_document]").fill("Сертификат № 2026-118")
    row.locator("button.primary").click()  # the ID check not ticked
    refused(page)
    row = page.locator(f'tbody[data-entry="{ids[3]}"]')
    row.locator("tr.drawer").wait_for()
    assert row.locator("input[name=qualification_document]").input_value() == "Сертификат № 2026-118"
    shot(page, "panel-forms", "ru", "02-admission-refused-as-typed")
    row.locator("input[name=identity_checked]").check()
    row.locator("button.primary").click()
    page.wait_for_selector(f'tbody[data-entry="{ids[3]}"][data-state="admitted"]')
