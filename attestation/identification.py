"""Who is at the kiosk: a typed IIN, an ID card (MRZ or IIN barcode) or a digital-ID QR.

How the person was identified is recorded on check-in; a typed IIN alone proves nothing
about who typed it, so it marks the check-in "identity to be checked by staff".
"""

from __future__ import annotations

import dataclasses
import re

from sqlalchemy.orm import Session

from . import iin as iin_mod, mrz
from .checkin import Refused, find_todays_entry
from .digital_id import (DigitalDocumentsClient, DocumentNotFound, NotIdentityDocument,
                         ServiceDown, same_name)
from .models import RosterEntry
from .timeutil import local_today
from .vocabulary import Refusal

METHODS = ("iin", "mrz", "barcode", "digital_id")
MAX_CREDENTIAL = 2000


@dataclasses.dataclass(frozen=True)
class Identified:
    entry: RosterEntry
    method: str


def recognise(credential: str, source: str) -> str:
    """Which kind of credential this is: the page says whether it was typed or scanned."""
    text = (credential or "").strip()
    if source == "keypad":
        return "iin"
    if re.fullmatch(r"\d{12}", text):
        return "barcode"
    if mrz.looks_like_mrz(text):
        return "mrz"
    if looks_like_digital_id(text):
        return "digital_id"
    raise Refused(Refusal.UNREADABLE_CARD)


#: A digital document's QR is a printable token or link of this many characters.  A
#: misread or foreign barcode outside this shape is "could not read, try again", not
#: sent to the service to come back as "unknown or expired".
DIGITAL_ID_SHAPE = re.compile(r"[\x21-\x7e]{16,2000}")


def looks_like_digital_id(text: str) -> bool:
    return bool(DIGITAL_ID_SHAPE.fullmatch(text)) and not text.isdigit()


def _iin_from_mrz(text: str) -> str:
    try:
        card = mrz.parse(text)
    except mrz.InvalidMRZ:
        raise Refused(Refusal.UNREADABLE_CARD) from None
    if card.iin is None or not iin_mod.is_valid(card.iin):
        raise Refused(Refusal.UNREADABLE_CARD)
    if card.iin[:6] != card.birth_date:
        # The card's own birth date must agree with the IIN printed on it.
        raise Refused(Refusal.UNREADABLE_CARD, why="birth date disagrees with the IIN")
    expires = mrz.expiry(card)
    if expires is None:
        raise Refused(Refusal.UNREADABLE_CARD, why="the expiry date is not a date")
    if expires < local_today():
        raise Refused(Refusal.DOCUMENT_EXPIRED)
    return card.iin


def identify(session: Session, venue_id: int, credential: str, source: str,
             digital_id: DigitalDocumentsClient | None) -> Identified:
    if len(credential or "") > MAX_CREDENTIAL:
        raise Refused(Refusal.UNREADABLE_CARD)
    method = recognise(credential, source)
    text = credential.strip()
    if method == "iin":
        try:
            value = iin_mod.parse(text).value
        except iin_mod.InvalidIIN as exc:
            raise Refused(Refusal.INVALID_IIN, why=exc.reason) from None
        return Identified(find_todays_entry(session, venue_id, value), method)
    if method == "barcode":
        if not iin_mod.is_valid(text):
            raise Refused(Refusal.UNREADABLE_CARD)
        return Identified(find_todays_entry(session, venue_id, text), method)
    if method == "mrz":
        return Identified(find_todays_entry(session, venue_id, _iin_from_mrz(text)), method)
    if digital_id is None:
        raise Refused(Refusal.IDENTITY_SERVICE_DOWN, why="no digital documents service configured")
    try:
        doc = digital_id.resolve(text)
    except ServiceDown:
        raise Refused(Refusal.IDENTITY_SERVICE_DOWN) from None
    except NotIdentityDocument:
        raise Refused(Refusal.NOT_IDENTITY_DOCUMENT) from None
    except DocumentNotFound:
        raise Refused(Refusal.DOCUMENT_NOT_FOUND) from None
    if not iin_mod.is_valid(doc.iin):
        raise Refused(Refusal.UNREADABLE_CARD)
    entry = find_todays_entry(session, venue_id, doc.iin)
    person = entry.candidate
    if not (same_name(doc.last_name, person.last_name) and same_name(doc.first_name, person.first_name)):
        raise Refused(Refusal.NAME_MISMATCH)
    return Identified(entry, method)
