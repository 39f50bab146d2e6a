"""The audit log in words: every action has a sentence in Kazakh and Russian, and the log a
commission reads shows people, cells and times, never an action code or JSON (the raw entry
only behind "technical details")."""

import pathlib
import re

import pytest
from babel.messages.pofile import read_po

from attestation import audit
from attestation.audit_actions import ACTIONS
from web.audit_words import ACTION_TEXTS, DETAIL_LABELS

from browser import fetch_document, shot
from test_panel_browser import TIMEOUT, _kiosk_check_in, open_row, rig, sign_in  # noqa: F401 (rig)

WEB = pathlib.Path(__file__).resolve().parent.parent / "web"
CODE = re.compile(r"\b(" + "|".join(re.escape(a) for a in sorted(ACTIONS)) + r")\b")


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_action_reads_as_a_sentence_in_both_languages(lang):
    with (WEB / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    assert set(ACTION_TEXTS) == set(ACTIONS)
    for action, text in {**ACTION_TEXTS, **DETAIL_LABELS}.items():
        message = catalog.get(text._args[0])
        assert message is not None and message.string and message.string != message.id, (lang, action)


def test_an_action_outside_the_closed_set_is_refused(db):
    from factories import ACTOR
    with pytest.raises(ValueError, match="unknown audit action"):
        with db.write() as s:
            audit.append(s, ACTOR, "roster.teleported", "roster_entry", 1)


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_log_of_a_day_reads_in_words(rig, lang):
    site = rig["site"]
    _kiosk_check_in(rig, site.people[0]["iin"])  # kiosk, cell, lock, door
    page = rig["browser"].new_context(viewport={"width": 1024, "height": 768}).new_page()
    page.set_default_timeout(TIMEOUT)
    sign_in(page, rig["panel_url"], "secretary", lang)
    page.goto(f"{rig['panel_url']}/panel/sittings/{site.sitting_id}")
    entry_id = page.locator('tbody[data-state="checked_in"]').get_attribute("data-entry")
    row = open_row(page, entry_id)
    row.locator("input[name=qualification_document]").fill("Сертификат № 7")
    row.locator("input[name=identity_checked]").check()
    row.locator("button.primary").click()
    page.wait_for_selector('tbody[data-state="admitted"]')
    sign_in(page, rig["panel_url"], "admin", lang)
    page.goto(f"{rig['panel_url']}/panel/audit")
    table = page.locator("table.audit")
    text = table.inner_text()
    assert not CODE.search(text), CODE.search(text)
    assert "{" not in text and "roster_entry" not in text
    person = site.people[0]
    short = f"{person['first_name'][0]}. {person['last_name']}"
    words = {"ru": ["регистрация на киоске", "допуск к аттестации", "Ячейка №1 закреплена", "киоск kiosk-0",
                    "Secretary Тестов, секретарь", "Язык: Русский"],
             "kk": ["киоскіде тіркелді", "аттестацияға жіберілді", "№1 ұяшығы бекітілді", "kiosk-0 киоскі",
                    "Secretary Тестов, хатшы", "Тілі: Орыс тілі"]}[lang]
    missing = [phrase for phrase in words + [short] if phrase not in text]
    assert not missing, (missing, text[:3000])
    assert re.search(r"\b\d\d\.\d\d\.\d{4} \d\d:\d\d\b", text) and not re.search(r"\d{4}-\d\d-\d\dT", text)
    shot(page, "panel-audit", lang, "01-log-in-words")
    # the raw entry is one tap away
    first = table.locator("details.technical").first
    first.locator("summary").click()
    assert CODE.search(first.inner_text())


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_attestation_file_and_the_archive_tell_the_same_story(rig, lang):
    import io
    import zipfile
    site = rig["site"]
    _kiosk_check_in(rig, site.people[1]["iin"])
    page = rig["browser"].new_context(viewport={"width": 1024, "height": 768}).new_page()
    page.set_default_timeout(TIMEOUT)
    sign_in(page, rig["panel_url"], "secretary", lang)
    page.goto(f"{rig['panel_url']}/panel/sittings/{site.sitting_id}")
    entry_id = page.locator('tbody[data-state="checked_in"]').get_attribute("data-entry")
    registered = {"ru": "регистрация на киоске", "kk": "киоскіде тіркелді"}[lang]
    cell = {"ru": "Ячейка №1 закреплена", "kk": "№1 ұяшығы бекітілді"}[lang]
    page.goto(f"{rig['panel_url']}/panel/entries/{entry_id}/file?lang={lang}")
    history = page.inner_text("dl.history")
    assert registered in history and cell in history and not CODE.search(history)
    archive = fetch_document(page, f"{rig['panel_url']}/panel/sittings/{site.sitting_id}/archive.zip")
    log = zipfile.ZipFile(io.BytesIO(archive.body())).read(f"audit/log-{lang}.csv").decode("utf-8-sig")
    assert registered in log and cell in log and not CODE.search(log)
