"""Every kiosk text has a Kazakh and a Russian translation; Kazakh uses its own letters."""

import pathlib
import re

import pytest
from babel.messages.pofile import read_po

from kiosk import strings

ROOT = pathlib.Path(__file__).resolve().parent.parent / "kiosk" / "translations"
KAZAKH_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")


def msgids():
    ids = [s._args[0] for s in strings.UI.values()]
    for title, hint in strings.REFUSAL_TEXT.values():
        ids += [title._args[0], hint._args[0]]
    return ids


def catalog(lang):
    with (ROOT / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f)


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_kiosk_string_is_translated(lang):
    cat = catalog(lang)
    missing = [m for m in msgids() if m not in cat or not cat[m].string or cat[m].fuzzy]
    assert not missing, f"{lang}: untranslated: {missing}"
    for m in msgids():
        # placeholders survive translation
        assert set(re.findall(r"{\w+}", m)) == set(re.findall(r"{\w+}", cat[m].string)), m


def test_kazakh_is_written_in_kazakh_letters():
    cat = catalog("kk")
    texts = [cat[m].string for m in msgids()]
    used = set("".join(texts)) & KAZAKH_LETTERS
    assert len(used) >= 6, used
    ru = catalog("ru")
    identical = [m for m in msgids() if cat[m].string == ru[m].string and "{" not in m]
    assert not identical, identical


def test_no_translation_is_left_over():
    ids = set(msgids())
    for lang in ("kk", "ru"):
        extra = [m.id for m in catalog(lang) if m.id and m.id not in ids]
        assert not extra, f"{lang}: unused: {extra}"


def test_every_refusal_has_a_screen():
    from attestation.checkin import REFUSALS
    assert set(strings.REFUSAL_TEXT) == set(REFUSALS)
