import io

import pytest
from openpyxl import Workbook

from attestation import roster_import
from attestation.models import Candidate, RosterEntry

from factories import ACTOR, people, setup_venue

HEADER = "iin,last_name,first_name,middle_name,organization,position\n"


def _csv(rows):
    return (HEADER + "".join(f"{p['iin']},{p['last_name']},{p['first_name']},,"
                             f"\"ЦСО №1, Алматы\",социальный работник\n" for p in rows)).encode()


def _import(db, sitting_id, name, data):
    rows = roster_import.read_rows(name, data)
    with db.write() as s:
        from attestation.models import Sitting
        return roster_import.import_rows(s, s.get(Sitting, sitting_id), rows, ACTOR)


@pytest.fixture
def sitting_id(db):
    with db.write() as s:
        _, sitting, _, _ = setup_venue(s, candidates=0)
        return sitting.id


def _count(db):
    with db.read() as s:
        return s.query(Candidate).count(), s.query(RosterEntry).count()


def test_good_csv_and_xlsx(db, sitting_id):
    group = people(6, seed=3)
    assert _import(db, sitting_id, "r.csv", _csv(group[:3])).added == 3
    book = Workbook()
    sheet = book.active
    sheet.append(list(roster_import.COLUMNS))
    for p in group[3:]:
        sheet.append([int(p["iin"]) if p["iin"][0] != "0" else p["iin"], p["last_name"],
                      p["first_name"], None, "ЦСО", "соцработник"])
    buf = io.BytesIO()
    book.save(buf)
    assert _import(db, sitting_id, "r.xlsx", buf.getvalue()).added == 3
    assert _count(db) == (6, 6)
    with db.read() as s:
        c = s.query(Candidate).filter_by(iin=group[0]["iin"]).one()
        assert c.organization == "ЦСО №1, Алматы" and c.last_name == group[0]["last_name"]


def test_semicolon_csv_with_bom(db, sitting_id):
    data = ("\ufeff" + _csv(people(2, seed=5)).decode().replace(",", ";")
            .replace('"ЦСО №1; Алматы"', "ЦСО")).encode()
    assert _import(db, sitting_id, "r.csv", data).added == 2


def _rejected(db, sitting_id, name, data):
    before = _count(db)
    with pytest.raises(roster_import.RosterFileError) as err:
        _import(db, sitting_id, name, data)
    assert _count(db) == before
    return err.value.errors


def test_bad_rows_reject_the_whole_file_with_line_numbers(db, sitting_id):
    group = people(5, seed=9)
    bad_check = dict(group[1], iin=group[1]["iin"][:11] + str((int(group[1]["iin"][11]) + 1) % 10))
    no_name = dict(group[2], first_name="")
    rows = [group[0], bad_check, no_name, group[3], group[0]]
    errors = _rejected(db, sitting_id, "r.csv", _csv(rows))
    assert [e.line for e in errors] == [3, 4, 6]
    assert "check digit" in errors[0].message
    assert "first_name is empty" in errors[1].message
    assert "repeats line 2" in errors[2].message


def test_missing_column(db, sitting_id):
    data = b"iin,last_name,middle_name\n900517400019,A,B\n"
    errors = _rejected(db, sitting_id, "r.csv", data)
    assert "first_name" in errors[0].message


def test_wrong_encoding(db, sitting_id):
    data = _csv(people(2, seed=1)).decode().encode("cp1251", errors="replace")
    errors = _rejected(db, sitting_id, "r.csv", data)
    assert "not UTF-8" in errors[0].message


def test_already_on_roster_and_other_name(db, sitting_id):
    group = people(2, seed=11)
    _import(db, sitting_id, "r.csv", _csv(group[:1]))
    errors = _rejected(db, sitting_id, "r.csv", _csv(group))
    assert "already on this sitting's roster" in errors[0].message
    renamed = [dict(group[0], last_name="Другая")]
    with db.write() as s:
        _, other, _, _ = setup_venue_other(s)
    errors = _rejected(db, other, "r.csv", _csv(renamed))
    assert "another name" in errors[0].message


def setup_venue_other(s):
    import datetime as dt
    from attestation import venues
    v = venues.venue_by_code(s, "TST")
    st = venues.add_sitting(s, v, dt.date(2030, 1, 10), dt.time(10), None, ACTOR)
    return None, st.id, None, None


def test_not_a_workbook_and_unknown_type(db, sitting_id):
    assert "not a readable .xlsx" in _rejected(db, sitting_id, "r.xlsx", b"garbage")[0].message
    assert "unsupported" in _rejected(db, sitting_id, "r.pdf", b"%PDF")[0].message
    assert "empty" in _rejected(db, sitting_id, "r.csv", b"")[0].message


def test_organisation_and_position_in_each_language(db):
    """A document in Kazakh shows the Kazakh position, one in Russian the Russian; one value
    serves both languages where only it (or only one language's) is given."""
    import datetime as dt

    from attestation import roster_import, venues
    from attestation.models import Candidate
    from factories import ACTOR, make_iin
    a, b, c = make_iin(801, seed=1), make_iin(802, seed=2), make_iin(803, seed=3)
    data = ("iin;last_name;first_name;organization;position;position_kk;position_ru;organization_ru\n"
            f"{a};Әбенова;Әйгерім;;;Әлеуметтік қызметкер;Социальный работник;ЦСО №1\n"
            f"{b};Петров;Ерлан;ЦСО №2;Психолог;;;\n"
            f"{c};Иванова;Мария;;;;Консультант;\n").encode()
    with db.write() as s:
        venue = venues.add_venue(s, "RST", "Орталық", "Центр", "", ACTOR)
        sitting = venues.add_sitting(s, venue, dt.date(2026, 12, 8), dt.time(9), None, ACTOR)
        roster_import.import_rows(s, sitting, roster_import.read_rows("r.csv", data), ACTOR)
    with db.read() as s:
        by = {p.iin: p for p in s.query(Candidate)}
        assert (by[a].position_in("kk"), by[a].position_in("ru")) == ("Әлеуметтік қызметкер", "Социальный работник")
        assert (by[a].organization_in("kk"), by[a].organization_in("ru")) == ("ЦСО №1", "ЦСО №1")
        assert (by[b].position_in("kk"), by[b].position_in("ru")) == ("Психолог", "Психолог")
        assert (by[c].position_in("kk"), by[c].position_in("ru")) == ("Консультант", "Консультант")
