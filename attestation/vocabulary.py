"""The vocabulary: every closed set of values the system stores, shows or accepts, spelled once.

Each set is a :class:`enum.StrEnum`, so a member *is* its string (``Role.ADMIN ==
"admin"``): it goes into the database, JSON and URLs as it is.  The models' CHECK
constraints, the command line's choices, the JSON validation and the kk/ru text tables
are all built from these classes; nothing else types the strings.

The roster states live in :mod:`attestation.states` with their transitions.
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


class CorrectionKind(enum.StrEnum):
    """A correction of an earlier fact, recorded as a new fact with its reason (see
    :mod:`attestation.corrections`; from which state each is allowed: :mod:`attestation.states`)."""

    WITHDRAW_ABSENCE = "withdraw_absence"      # the absence was recorded by mistake
    WITHDRAW_ADMISSION = "withdraw_admission"  # admitted by mistake: back to "checked in"
    SUPERSEDE_DECISION = "supersede_decision"  # a new decision replaces the earlier one
    FIX_DETAILS = "fix_details"                # the name, organisation or position was wrong
    ADD_CANDIDATE = "add_candidate"            # a walk-in, added to the roster by hand


class CommissionPosition(enum.StrEnum):
    """A member's place in the commission of a sitting, as the protocol lists them."""

    CHAIR = "chair"
    SECRETARY = "secretary"
    MEMBER = "member"


class UnlockPhase(enum.StrEnum):
    """Where an unlock stands for the person waiting at the cell (see attestation.cabinet_state)."""

    NONE = "none"                # no cell
    OPENING = "opening"          # queued or being sent
    PUT_DEVICES = "put_devices"  # the door was seen open (or the cell has no sensor)
    DONE = "done"                # the door closed again after it opened
    LOCK_FAULT = "lock_fault"    # the unlock failed


class Refusal(enum.StrEnum):
    """Every reason a check-in can be refused (the kiosk's refusal screens, the ``reason``
    of its API); :attr:`meaning` says what each means.  The kiosk has a kk and ru screen for
    each (``kiosk/strings.REFUSAL_TEXT``, checked at import)."""

    def __new__(cls, value: str, meaning: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.meaning = meaning
        return member

    INVALID_IIN = "invalid_iin", "the IIN is malformed or its check digit is wrong"
    UNREADABLE_CARD = "unreadable_card", "the scanned ID card, barcode or QR code could not be read"
    DOCUMENT_EXPIRED = "document_expired", "the ID card's expiry date has passed"
    # One code whether the person is on another day's roster or on none: a kiosk is a
    # public device, and what it answers must not tell who is on which roster.
    NOT_ON_ROSTER = "not_on_roster", "the person is not on today's roster of this venue"
    SITTING_NOT_OPEN = "sitting_not_open", "today's sitting has not been opened yet"
    REGISTRATION_CLOSED = "registration_closed", "today's sitting is closed: registration has ended"
    ALREADY_REMOVED = ("already_removed", "the person was removed from this attestation by an act "
                                          "of violation")
    ABSENCE_RECORDED = "absence_recorded", "an absence was already recorded for this person today"
    ALREADY_FINISHED = "already_finished", "the person's attestation today is already decided"
    INTERVIEW_OVER = ("interview_over", "the person's interview is over and their devices were "
                                        "returned")
    DEVICES_RETURNED = ("devices_returned", "the person is registered but their devices were "
                                            "returned (or were never put in a cell): staff take "
                                            "it from here")
    NOT_ACKNOWLEDGED = ("not_acknowledged", "the stage plan and the device rules must both be "
                                            "acknowledged")
    CABINET_FULL = "cabinet_full", "no free locker cell is in service"
    LOCK_FAULT = "lock_fault", "the cell's lock did not open"
    IDENTITY_SERVICE_DOWN = "identity_service_down", "the digital documents service did not answer"
    NOT_IDENTITY_DOCUMENT = ("not_identity_document", "the digital document is not an identity "
                                                      "document")
    DOCUMENT_NOT_FOUND = ("document_not_found", "the digital document's QR code is unknown or has "
                                                "expired")
    NAME_MISMATCH = "name_mismatch", "the names on the document do not match the roster"
    SESSION_EXPIRED = "session_expired", "the kiosk session timed out or was reset: start again"
    TOO_MANY_ATTEMPTS = ("too_many_attempts", "this kiosk had too many failed identifications in "
                                              "a short time")


class ErrorCode(enum.StrEnum):
    """Why the rules refused a request: the ``code`` of every DomainError but a check-in
    refusal (those are :class:`Refusal`).  Each has a kk and ru text
    in the panel (``web/texts.ERRORS``); ``illegal_from_<state>`` reads as ILLEGAL_TRANSITION."""

    DOMAIN_ERROR = "domain_error"
    INVALID_INPUT = "invalid_input"
    NOT_FOUND = "not_found"
    ILLEGAL_TRANSITION = "illegal_transition"
    CABINET_FULL = "cabinet_full"
    CONFLICT = "conflict"
    TOO_LONG = "too_long"
    DUPLICATE = "duplicate"
    INVALID_ROLE = "invalid_role"
    WEAK_PASSWORD = "weak_password"
    INVALID_DRIVER = "invalid_driver"
    INVALID_STAGE = "invalid_stage"
    INVALID_LANGUAGE = "invalid_language"
    ILLEGAL_SITTING_STATUS = "illegal_sitting_status"
    QUALIFICATION_DOCUMENT_REQUIRED = "qualification_document_required"
    IDENTITY_CHECK_REQUIRED = "identity_check_required"
    INVALID_KIND = "invalid_kind"
    DESCRIPTION_REQUIRED = "description_required"
    FUTURE_TIME = "future_time"
    INVALID_TIME = "invalid_time"
    WRONG_CANDIDATE = "wrong_candidate"
    INVALID_REASON = "invalid_reason"
    DOCUMENT_REQUIRED = "document_required"
    RETURN_DATE_REQUIRED = "return_date_required"
    CATEGORY_REQUIRED = "category_required"
    CATEGORY_NOT_ALLOWED = "category_not_allowed"
    INVALID_OUTCOME = "invalid_outcome"
    NO_CELL = "no_cell"
    TOO_EARLY_TO_RETURN = "too_early_to_return"
    REASON_REQUIRED = "reason_required"
    ROSTER_REJECTED = "roster_rejected"
    INVALID_IIN = "invalid_iin"
    INVALID_MRZ = "invalid_mrz"
    INVALID_DATE = "invalid_date"
    CONTROL_CHARACTERS = "control_characters"
    VENUE_REQUIRED = "venue_required"
    NOT_ALLOWED = "not_allowed"
    LAST_ADMIN = "last_admin"
    WRONG_PASSWORD = "wrong_password"
    PASSWORDS_DIFFER = "passwords_differ"
    SITTING_CLOSED = "sitting_closed"
    CORRECTION_NOT_ALLOWED = "correction_not_allowed"
    NOTHING_CHANGED = "nothing_changed"
    COMMISSION_INCOMPLETE = "commission_incomplete"
    NOBODY_TICKED = "nobody_ticked"
    NOT_OF_THIS_SITTING = "not_of_this_sitting"


def values(enum_class) -> tuple[str, ...]:
    """The stored strings of a set, in declaration order (for choices and constraints)."""
    return tuple(member.value for member in enum_class)
