"""The Kazakhstani individual identification number (IIN, ЖСН/ИИН).

Layout of the 12 digits::

    YY MM DD C SSSS K
    |  |  |  | |    +- check digit
    |  |  |  | +------ serial number
    |  |  |  +-------- century and sex: 1/2 = 19th c. male/female, 3/4 = 20th, 5/6 = 21st
    +--+--+----------- date of birth

The check digit is the weighted sum of the first 11 digits modulo 11 with weights
1..11; when that gives 10, a second pass uses weights 3..11, 1, 2; when the second pass
also gives 10 the number is never issued, so it is invalid.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from .errors import InvalidInput

WEIGHTS_1 = tuple(range(1, 12))
WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)

_CENTURY = {"1": (1800, "M"), "2": (1800, "F"), "3": (1900, "M"), "4": (1900, "F"),
            "5": (2000, "M"), "6": (2000, "F")}

#: The closed set of reasons an IIN is rejected, with an English explanation.
REASONS = {
    "empty": "no IIN was given",
    "length": "an IIN has exactly 12 digits",
    "not_digits": "an IIN consists of digits only",
    "bad_century": "the 7th digit (century and sex) must be 1 to 6",
    "bad_date": "the first six digits are not a real date of birth (YYMMDD)",
    "unusable": "both check-digit passes give 10: such a number is never issued",
    "check_digit": "the check digit (12th digit) does not match",
}


class InvalidIIN(InvalidInput):
    """An IIN that fails validation; ``reason`` is one of :data:`REASONS`."""

    code = "invalid_iin"

    def __init__(self, reason: str):
        super().__init__(f"invalid IIN: {REASONS[reason]}", reason=reason)
        self.reason = reason


@dataclass(frozen=True)
class IIN:
    value: str
    birth_date: _dt.date
    sex: str  # "M" or "F"

    @property
    def century(self) -> int:
        return self.birth_date.year // 100 * 100

    def masked(self) -> str:
        """What the kiosk may show: the first two and last two digits."""
        return mask(self.value)

    def __str__(self) -> str:
        return self.value


def check_digit(first11: str) -> int | None:
    """The check digit for 11 digits, or ``None`` when both passes give 10."""
    digits = [int(c) for c in first11]
    for weights in (WEIGHTS_1, WEIGHTS_2):
        k = sum(d * w for d, w in zip(digits, weights)) % 11
        if k != 10:
            return k
    return None


def on_document(value: str) -> str:
    """The IIN as a signed document shows it: whole.

    The one rule for how much of an IIN is shown (the README's "Personal data"): the
    documents the commission signs and files (the protocol, an act, the attestation
    file, the archive of a sitting) identify the person beyond doubt, so they carry the
    whole IIN, and only the roles that sign or keep them may open them.  Screens that
    others can see over a shoulder (the kiosk, the board, search results, the cabinet
    view) show it masked (:func:`mask`).
    """
    return value


def mask(value: str) -> str:
    """The IIN as a screen shows it: the first two and last two digits."""
    value = value or ""
    if len(value) < 6:
        return "*" * len(value)
    return value[:2] + "*" * (len(value) - 4) + value[-2:]


def parse(text: str | None) -> IIN:
    """Validate ``text`` (surrounding spaces ignored) and decode it, or raise :class:`InvalidIIN`."""
    s = (text or "").strip()
    if not s:
        raise InvalidIIN("empty")
    if not s.isascii() or not s.isdigit():
        raise InvalidIIN("not_digits")
    if len(s) != 12:
        raise InvalidIIN("length")
    if s[6] not in _CENTURY:
        raise InvalidIIN("bad_century")
    base, sex = _CENTURY[s[6]]
    try:
        born = _dt.date(base + int(s[0:2]), int(s[2:4]), int(s[4:6]))
    except ValueError:
        raise InvalidIIN("bad_date") from None
    k = check_digit(s[:11])
    if k is None:
        raise InvalidIIN("unusable")
    if k != int(s[11]):
        raise InvalidIIN("check_digit")
    return IIN(s, born, sex)


def is_valid(text: str | None) -> bool:
    try:
        parse(text)
    except InvalidIIN:
        return False
    return True


def generate(birth_date: _dt.date, sex: str, serial: int) -> str:
    """Make a valid IIN for tests and demos (invented people only).

    Serials whose check digit is unusable are skipped upwards, so the result's serial
    may be larger than ``serial``.
    """
    century_digit = {(1800, "M"): "1", (1800, "F"): "2", (1900, "M"): "3",
                     (1900, "F"): "4", (2000, "M"): "5", (2000, "F"): "6"}[
        (birth_date.year // 100 * 100, sex)]
    for n in range(serial, serial + 100):
        first11 = f"{birth_date:%y%m%d}{century_digit}{n % 10000:04d}"
        k = check_digit(first11)
        if k is not None:
            return first11 + str(k)
    raise ValueError("no usable serial")  # pragma: no cover - 100 consecutive never all fail
