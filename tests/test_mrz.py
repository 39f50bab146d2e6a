"""The ID card's machine-readable zone: samples built here, valid and corrupted."""

import datetime as dt

import pytest
from hypothesis import given, strategies as st

from attestation import iin, mrz
from attestation.identification import recognise
from attestation.checkin import Refused


def sample(**kw):
    value = kw.pop("iin", iin.generate(dt.date(1988, 4, 12), "F", 77))
    args = dict(document_number="045123456", iin=value, birth_date=value[:6], sex="F",
                expiry_date="310412", surname="ABENOVA", given_names="AIGERIM")
    args.update(kw)
    return mrz.build_td1(**args), value


def test_parse_valid_sample():
    text, value = sample()
    lines = text.split("\n")
    assert [len(l) for l in lines] == [30, 30, 30]
    card = mrz.parse(text)
    assert card.iin == value and card.document_number == "045123456"
    assert card.surname == "ABENOVA" and card.given_names == "AIGERIM"
    assert card.birth_date == value[:6] and card.sex == "F" and card.issuing_state == "KAZ"


def test_known_check_digit_examples():
    # ICAO 9303 part 3 worked example: document number L898902C3 has check digit 6
    assert mrz.check_digit("L898902C3") == "6"
    assert mrz.check_digit("740812") == "2" and mrz.check_digit("120415") == "9"


def test_scanner_line_breaks_and_spaces_do_not_matter():
    text, value = sample()
    assert mrz.parse(text.replace("\n", "\r\n") + "\r\n").iin == value
    assert mrz.parse(text.replace("\n", "")).iin == value
    assert mrz.parse(" " + text.lower()).iin == value


@given(st.integers(0, 89), st.sampled_from("0123456789ABCXYZ<"))
def test_any_changed_character_in_a_checked_field_is_caught(pos, ch):
    text, _ = sample()
    flat = text.replace("\n", "")
    if flat[pos] == ch:
        return
    changed = flat[:pos] + ch + flat[pos + 1:]
    checked = set(range(5, 30)) | set(range(30, 37)) | set(range(38, 45)) | set(range(48, 60))
    # ICAO check digits add values times 7, 3, 1 modulo 10: a change by a multiple of 10
    # ('<' and '0', 'A' and '0', ...) is invisible to them by design.
    visible = (mrz.char_value(ch) - mrz.char_value(flat[pos])) % 10 != 0
    if pos in checked and visible:
        with pytest.raises(mrz.InvalidMRZ):
            mrz.parse(changed)


@pytest.mark.parametrize("text", ["", "IDKAZ", "x" * 89, "ID<KAZ" * 20, "É" * 90])
def test_not_an_mrz(text):
    with pytest.raises(mrz.InvalidMRZ) as err:
        mrz.parse(text)
    assert err.value.reason == "format" and isinstance(err.value, ValueError)


def test_recognise_what_was_scanned():
    text, value = sample()
    assert recognise(value, "keypad") == "iin"
    assert recognise(value, "scanner") == "barcode"
    assert recognise(text, "scanner") == "mrz"
    assert recognise("https://digital.example/d/xyz", "scanner") == "digital_id"
    with pytest.raises(Refused) as err:
        recognise("123", "scanner")
    assert err.value.code == "unreadable_card"


def test_birth_date_must_agree_with_iin():
    from attestation.identification import _iin_from_mrz
    text, value = sample(birth_date="880413")  # valid check digits, wrong date for this IIN
    assert mrz.parse(text).birth_date == "880413"
    with pytest.raises(Refused) as err:
        _iin_from_mrz(text)
    assert err.value.code == "unreadable_card"
    good, value = sample()
    assert _iin_from_mrz(good) == value
