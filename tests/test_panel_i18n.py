"""Every panel text has a Russian and a Kazakh translation (extracted from code and templates)."""

import pathlib

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

WEB = pathlib.Path(__file__).resolve().parent.parent / "web"
KEYWORDS = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None}


def msgids():
    found = set()
    for _f, _n, msg, _c, _ctx in extract_from_dir(str(WEB), [("**.py", "python"),
                                                             ("**/templates/**.html", "jinja2")],
                                                  keywords=KEYWORDS):
        found.add(msg if isinstance(msg, str) else msg[0])
    return found


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_panel_string_is_translated(lang):
    with (WEB / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    ids = msgids()
    assert len(ids) > 150
    missing = sorted(m for m in ids if m not in catalog or not catalog[m].string or catalog[m].fuzzy)
    assert not missing, f"{lang}: untranslated: {missing[:10]}"
    for m in ids:
        assert ("%(" in m) == ("%(" in catalog[m].string), m


def test_kazakh_panel_uses_kazakh_letters():
    with (WEB / "translations" / "kk" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        text = "".join(m.string for m in read_po(f) if m.id)
    assert len(set(text) & set("әғқңөұүһі")) >= 8
