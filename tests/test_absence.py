import datetime as dt

import pytest
from hypothesis import given, strategies as st

from attestation import absence, states
from attestation.errors import IllegalTransition, InvalidInput
from attestation.models import Absence

from factories import ACTOR, setup_venue

D = dt.date


@pytest.mark.parametrize("returned,deadline", [
    (D(2025, 1, 31), D(2025, 2, 28)),
    (D(2024, 1, 31), D(2024, 2, 29)),   # leap year
    (D(2024, 1, 29), D(2024, 2, 29)),
    (D(2023, 1, 29), D(2023, 2, 28)),
    (D(2025, 3, 31), D(2025, 4, 30)),
    (D(2025, 8, 31), D(2025, 9, 30)),
    (D(2025, 12, 15), D(2026, 1, 15)),
    (D(2025, 12, 31), D(2026, 1, 31)),
    (D(2025, 2, 28), D(2025, 3, 28)),
    (D(2100, 1, 31), D(2100, 2, 28)),   # 2100 is not a leap year
])
def test_deadline_is_one_calendar_month_clamped(returned, deadline):
    assert absence.postponement_deadline(returned) == deadline


@given(st.dates(min_value=D(2000, 1, 1), max_value=D(2200, 1, 1)))
def test_deadline_properties(day):
    deadline = absence.postponement_deadline(day)
    assert 28 <= (deadline - day).days <= 31
    assert (deadline.year * 12 + deadline.month) - (day.year * 12 + day.month) == 1
    assert deadline.day == day.day or deadline.day < day.day and (
        deadline + dt.timedelta(days=1)).day == 1


def test_record_valid_reason(db):
    with db.write() as s:
        _, _, _, entries = setup_venue(s, candidates=2, day=D(2024, 1, 15))
        a = absence.record(s, entries[0], reason="sick_leave", document="Больничный лист №17",
                           return_date=D(2024, 1, 31), recorded_by_id=None, actor=ACTOR)
        assert entries[0].state == states.ABSENT_VALID
        assert a.deadline == D(2024, 2, 29)
        b = absence.record(s, entries[1], reason=None, recorded_by_id=None, actor=ACTOR)
        assert entries[1].state == states.ABSENT_INVALID and b.deadline is None


@pytest.mark.parametrize("kwargs,code", [
    (dict(reason="holiday", document="x", return_date=D(2025, 1, 1)), "invalid_reason"),
    (dict(reason="vacation", document=" ", return_date=D(2025, 1, 1)), "document_required"),
    (dict(reason="vacation", document="Приказ", return_date=None), "return_date_required"),
    (dict(reason="vacation", document="Приказ", return_date=D(1, 1, 1)), "invalid_date"),
    (dict(reason="vacation", document="Приказ", return_date=D(9999, 12, 31)), "invalid_date"),
    (dict(reason="vacation", document="Приказ\x00", return_date=D(2099, 1, 1)), "control_characters"),
])
def test_bad_absence_changes_nothing(db, kwargs, code):
    with db.write() as s:
        _, _, _, entries = setup_venue(s, candidates=1)
        entry_id = entries[0].id
    with pytest.raises(InvalidInput) as err:
        with db.write() as s:
            absence.record(s, s.get(type(entries[0]), entry_id), recorded_by_id=None,
                           actor=ACTOR, **kwargs)
    assert err.value.code == code
    with db.read() as s:
        assert s.get(type(entries[0]), entry_id).state == "expected"
        assert s.query(Absence).count() == 0


def test_absence_only_for_expected(db):
    with db.write() as s:
        _, _, _, entries = setup_venue(s, candidates=1)
        entries[0].state = "checked_in"
        with pytest.raises(IllegalTransition):
            absence.record(s, entries[0], reason=None, recorded_by_id=None, actor=ACTOR)
