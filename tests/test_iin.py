import datetime as dt

import pytest
from hypothesis import given, strategies as st

from attestation import iin
from attestation.errors import InvalidInput

dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31))


@given(dates, st.sampled_from("MF"), st.integers(0, 9899))
def test_generated_iins_are_valid_and_decode(born, sex, serial):
    value = iin.generate(born, sex, serial)
    parsed = iin.parse(value)
    assert parsed.birth_date == born
    assert parsed.sex == sex
    assert parsed.century == born.year // 100 * 100


def _first_pass(first11: str) -> int:
    return sum(int(d) * w for d, w in zip(first11, iin.WEIGHTS_1)) % 11


@given(dates, st.sampled_from("MF"), st.integers(0, 9899), st.integers(0, 11), st.integers(1, 9))
def test_any_single_digit_change_is_rejected(born, sex, serial, pos, delta):
    """Every single-digit change is caught, except where the official algorithm is blind.

    Within one pass every weight but the 11th digit's (11 = 0 mod 11) is non-zero modulo
    the prime 11, so a change is always caught while the first pass decides for both the
    original and the changed number.  When either gives 10 the second pass decides and a
    change can agree with the check digit by chance; the 11th digit is blind in the first
    pass.  The check digit itself is always caught.
    """
    value = iin.generate(born, sex, serial)
    changed = value[:pos] + str((int(value[pos]) + delta) % 10) + value[pos + 1:]
    first_pass_decides = _first_pass(value[:11]) != 10 and _first_pass(changed[:11]) != 10
    if pos == 11 or (pos != 10 and first_pass_decides):
        with pytest.raises(iin.InvalidIIN):
            iin.parse(changed)


def test_eleventh_digit_blind_spot_of_the_official_algorithm():
    """Weight 11 is 0 modulo 11: changing digit 11 alone goes unnoticed in the first pass."""
    value = iin.generate(dt.date(1985, 3, 9), "M", 120)
    assert _first_pass(value[:11]) != 10
    changed = value[:10] + str((int(value[10]) + 1) % 10) + value[11]
    assert iin.is_valid(changed)  # an accepted number: that is the algorithm, not our bug


@given(st.text(max_size=20))
def test_arbitrary_text_never_crashes(text):
    try:
        iin.parse(text)
    except iin.InvalidIIN as exc:
        assert exc.reason in iin.REASONS


def test_century_and_sex_digit():
    # 7th digit: 1/2 = 1800s, 3/4 = 1900s, 5/6 = 2000s; odd male, even female
    for digit, (century, sex) in {"3": (1900, "M"), "4": (1900, "F"), "5": (2000, "M"),
                                  "6": (2000, "F"), "1": (1800, "M"), "2": (1800, "F")}.items():
        first11 = "850214" + digit + "0123"
        k = iin.check_digit(first11)
        if k is None:
            continue
        parsed = iin.parse(first11 + str(k))
        assert parsed.century == century and parsed.sex == sex
        assert parsed.birth_date.year == century + 85


def test_reasons():
    good = iin.generate(dt.date(1990, 5, 17), "F", 42)
    cases = {"": "empty", "   ": "empty", "12345": "length", "1234567890123": "length",
             "12345678901a": "not_digits", "１２３４５６７８９０１２": "not_digits",
             good[:6] + "0" + good[7:]: "bad_century",
             "901317" + good[6:]: "bad_date", "900230" + good[6:]: "bad_date"}
    for text, reason in cases.items():
        with pytest.raises(iin.InvalidIIN) as err:
            iin.parse(text)
        assert err.value.reason == reason, text
        assert isinstance(err.value, ValueError) and isinstance(err.value, InvalidInput)
    wrong = good[:11] + str((int(good[11]) + 1) % 10)
    with pytest.raises(iin.InvalidIIN) as err:
        iin.parse(wrong)
    assert err.value.reason == "check_digit"
    assert iin.parse("  " + good + " ").value == good


def _unusable():
    """Find 11 leading digits (a real date) where both weightings give 10."""
    for serial in range(10000):
        first11 = f"9005173{serial:04d}"
        if iin.check_digit(first11) is None:
            return first11
    raise AssertionError("none found")


def test_both_passes_ten_is_invalid():
    first11 = _unusable()
    digits = [int(c) for c in first11]
    assert sum(d * w for d, w in zip(digits, range(1, 12))) % 11 == 10
    assert sum(d * w for d, w in zip(digits, iin.WEIGHTS_2)) % 11 == 10
    for last in "0123456789":
        with pytest.raises(iin.InvalidIIN) as err:
            iin.parse(first11 + last)
        assert err.value.reason == "unusable"


def test_second_pass_used_when_first_gives_ten():
    for serial in range(10000):
        first11 = f"8807124{serial:04d}"
        digits = [int(c) for c in first11]
        if sum(d * w for d, w in zip(digits, range(1, 12))) % 11 == 10:
            k = iin.check_digit(first11)
            if k is not None:
                assert k == sum(d * w for d, w in zip(digits, iin.WEIGHTS_2)) % 11
                assert iin.is_valid(first11 + str(k))
                return
    raise AssertionError("no first-pass-10 case found")


def test_mask_shows_only_ends():
    assert iin.mask("900517412345") == "90********45"
