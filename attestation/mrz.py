"""The TD1 machine-readable zone of an ID card (ICAO 9303 part 5): 3 lines of 30 characters.

Kazakhstani ID cards carry the IIN as the 12-digit run at the end of line 1 (the
optional-data field).  Check digits use weights 7, 3, 1 over values ``0-9`` = 0-9,
``A-Z`` = 10-35, ``<`` = 0.

::

    line 1: DC SSS NNNNNNNNN C OOOOOOOOOOOOOOO    doc code, state, number, check, optional
    line 2: YYMMDD C S YYMMDD C NNN OOOOOOOOOOO C birth, sex, expiry, nationality, composite
    line 3: SURNAME<<GIVEN<NAMES<<<<<<<<<<<<<<<<
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from .errors import InvalidInput

_ALLOWED = re.compile(r"^[A-Z0-9<]{90}$")


class InvalidMRZ(InvalidInput):
    code = "invalid_mrz"

    def __init__(self, message: str, reason: str):
        super().__init__(message, reason=reason)
        self.reason = reason


def char_value(c: str) -> int:
    if c.isdigit():
        return int(c)
    if c == "<":
        return 0
    return ord(c) - ord("A") + 10


def check_digit(field: str) -> str:
    return str(sum(char_value(c) * (7, 3, 1)[i % 3] for i, c in enumerate(field)) % 10)


@dataclasses.dataclass(frozen=True)
class TD1:
    document_code: str
    issuing_state: str
    document_number: str
    birth_date: str  # YYMMDD
    sex: str
    expiry_date: str
    nationality: str
    surname: str
    given_names: str
    iin: str | None


def normalise(text: str) -> str:
    """Join a scanner's three lines (any line breaks, stray spaces) into 90 characters."""
    return re.sub(r"\s+", "", (text or "").upper())


def expiry(card: TD1) -> dt.date | None:
    """The card's expiry date (TD1 gives YYMMDD; an identity card expires in 20YY), or
    None when the field is not a date."""
    try:
        return dt.date(2000 + int(card.expiry_date[:2]), int(card.expiry_date[2:4]),
                       int(card.expiry_date[4:6]))
    except ValueError:
        return None


def looks_like_mrz(text: str) -> bool:
    joined = normalise(text)
    return len(joined) >= 60 and "<" in joined and joined[:1] in ("I", "A", "C")


def parse(text: str) -> TD1:
    joined = normalise(text)
    if not _ALLOWED.match(joined):
        raise InvalidMRZ("not a TD1 machine-readable zone (3 lines of 30 characters)", "format")
    l1, l2, l3 = joined[:30], joined[30:60], joined[60:]
    checks = {
        "document number": (l1[5:14], l1[14]),
        "birth date": (l2[0:6], l2[6]),
        "expiry date": (l2[8:14], l2[14]),
        "composite": (l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29], l2[29]),
    }
    for name, (field, digit) in checks.items():
        if check_digit(field) != digit:
            raise InvalidMRZ(f"the {name} check digit does not match", "check_digit")
    names = l3.rstrip("<").split("<<", 1)
    surname = names[0].replace("<", " ").strip()
    given = names[1].replace("<", " ").strip() if len(names) > 1 else ""
    match = re.search(r"(\d{12})$", l1)
    return TD1(l1[0:2].rstrip("<"), l1[2:5], l1[5:14].rstrip("<"), l2[0:6], l2[7], l2[8:14],
               l2[15:18], surname, given, match.group(1) if match else None)


def build_td1(*, document_number: str, iin: str, birth_date: str, sex: str, expiry_date: str,
              surname: str, given_names: str, state: str = "KAZ") -> str:
    """Compose a valid TD1 MRZ (for tests and the demo: invented people only)."""
    number = document_number.ljust(9, "<")[:9]
    l1 = f"ID{state}{number}{check_digit(number)}{iin.rjust(15, '<')}"
    l2_head = f"{birth_date}{check_digit(birth_date)}{sex}{expiry_date}{check_digit(expiry_date)}{state}"
    optional2 = "<" * 11
    composite = check_digit(l1[5:30] + l2_head[0:7] + l2_head[8:15] + optional2)
    l2 = l2_head + optional2 + composite
    name = (surname.upper().replace(" ", "<") + "<<" + given_names.upper().replace(" ", "<"))
    l3 = name.ljust(30, "<")[:30]
    return "\n".join((l1, l2, l3))
