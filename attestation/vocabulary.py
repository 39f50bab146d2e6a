"""The vocabulary: every closed set of values the system stores, shows or accepts, spelled once.

Each set is a :class:`enum.StrEnum`, so a member *is* its string (``Role.ADMIN ==
"admin"``): it goes into the database, JSON and URLs as it is.  The models' CHECK
constraints, the command line's choices, the JSON validation and the kk/ru text tables
are all built from these classes; nothing else types the strings.

The roster states live in :mod:`attestation.states` with their transitions, and the
check-in refusals in :mod:`attestation.checkin` with their meanings.
"""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    """A panel user's role; what each may do is ``web/roles.py``."""

    ADMIN = "admin"
    SECRETARY = "secretary"
    CHAIR = "chair"
    MEMBER = "member"
    OPERATOR = "operator"


class Language(enum.StrEnum):
    """The two languages of the attestation, of the kiosk and of the panel."""

    KK = "kk"
    RU = "ru"


#: The language a document or page falls back to when nobody chose one.
DEFAULT_LANGUAGE = Language.RU


class IdentifiedBy(enum.StrEnum):
    """How a candidate identified themselves at the kiosk."""

    IIN = "iin"                # typed on the keypad: staff must check the ID
    MRZ = "mrz"                # the ID card's machine-readable zone
    BARCODE = "barcode"        # the ID card's IIN barcode
    DIGITAL_ID = "digital_id"  # the QR of the digital documents service


class SittingStatus(enum.StrEnum):
    PLANNED = "planned"
    OPEN = "open"
    CLOSED = "closed"


class DriverKind(enum.StrEnum):
    """The lock drivers; each one's facts (baud rate, first board...) are in locker_driver."""

    RS485_8A = "rs485-8a"
    KERONG = "kerong"
    GPIO = "gpio"


class CellStatus(enum.StrEnum):
    IN_SERVICE = "in_service"
    OUT_OF_SERVICE = "out_of_service"  # taken out by staff
    FAULTY = "faulty"                  # taken out by the agent after repeated failed unlocks


class DoorState(enum.StrEnum):
    UNKNOWN = "unknown"
    OPEN = "open"
    CLOSED = "closed"


class CommandPurpose(enum.StrEnum):
    """Why an unlock was queued."""

    CHECKIN = "checkin"
    RETURN = "return"
    FORCE = "force"
    TEST = "test"


class CommandStatus(enum.StrEnum):
    """An unlock's life: requested -> sent (written before the pulse) -> done | failed."""

    REQUESTED = "requested"
    SENT = "sent"
    DONE = "done"
    FAILED = "failed"


#: Commands not finished yet: queued, or pulsed and waiting for the door.
UNFINISHED_COMMANDS = (CommandStatus.REQUESTED, CommandStatus.SENT)


class DoorEventKind(enum.StrEnum):
    OPENED = "opened"
    CLOSED = "closed"
    JAMMED = "jammed"
    FORCED_OPEN = "forced_open"


class ViolationKind(enum.StrEnum):
    """What an act of violation is about (point 7 of the rule)."""

    DEVICE = "device"
    LITERATURE = "literature"
    OTHER = "other"


class AbsenceReason(enum.StrEnum):
    """The five valid reasons for not appearing (point 7 of the rule)."""

    SICK_LEAVE = "sick_leave"
    VACATION = "vacation"
    CHILD_ILLNESS = "child_illness"
    BEREAVEMENT = "bereavement"
    BUSINESS_TRIP = "business_trip"


#: What the absence form sends for "no valid reason" (stored as NULL).
NO_VALID_REASON = "none"


class UnlockPhase(enum.StrEnum):
    """Where an unlock stands for the person waiting at the cell (see attestation.cabinet_state)."""

    NONE = "none"                # no cell
    OPENING = "opening"          # queued or being sent
    PUT_DEVICES = "put_devices"  # the door was seen open (or the cell has no sensor)
    DONE = "done"                # the door closed again after it opened
    LOCK_FAULT = "lock_fault"    # the unlock failed


def values(enum_class) -> tuple[str, ...]:
    """The stored strings of a set, in declaration order (for choices and constraints)."""
    return tuple(member.value for member in enum_class)
