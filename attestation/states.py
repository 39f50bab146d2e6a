"""The roster entry state machine: the one place that says what may follow what.

::

    expected --check_in--> checked_in --admit--> admitted --start_interview--> in_interview
        |                      |                    |                              |
        |                      +------remove--------+-----------remove-------------+
        |                                                                           |
        |                                      interviewed <--finish_interview------+
        |                                           |  \\--remove--> removed
        |                                           +--decide--> decided
        +--absent_valid--> absent_valid  (postponed: valid reason, deadline set)
        +--absent_invalid--> absent_invalid  (not attested)

Corrections (:data:`CORRECTIONS`) lead back out of a state recorded by mistake: an
absence is withdrawn (back to ``expected``), an admission withdrawn (back to
``checked_in``), a decision superseded (still ``decided``, by a newer decision).  A
removal is not corrected here: its act has its own correcting act.

``removed`` follows an act of violation (point 7: "draws up an act of violation and
removes the social worker").  ``decided``, ``removed`` and both absences are final.
"""

from __future__ import annotations

from .errors import IllegalTransition

EXPECTED = "expected"
CHECKED_IN = "checked_in"
ADMITTED = "admitted"
IN_INTERVIEW = "in_interview"
INTERVIEWED = "interviewed"
DECIDED = "decided"
REMOVED = "removed"
ABSENT_VALID = "absent_valid"
ABSENT_INVALID = "absent_invalid"

STATES = (EXPECTED, CHECKED_IN, ADMITTED, IN_INTERVIEW, INTERVIEWED, DECIDED, REMOVED,
          ABSENT_VALID, ABSENT_INVALID)
FINAL = frozenset({DECIDED, REMOVED, ABSENT_VALID, ABSENT_INVALID})
#: States in which the candidate is on the premises with devices in a cell.
PRESENT = frozenset({CHECKED_IN, ADMITTED, IN_INTERVIEW, INTERVIEWED})

EVENTS = ("check_in", "admit", "start_interview", "finish_interview", "decide", "remove",
          "absent_valid", "absent_invalid")

TRANSITIONS: dict[tuple[str, str], str] = {
    (EXPECTED, "check_in"): CHECKED_IN,
    (EXPECTED, "absent_valid"): ABSENT_VALID,
    (EXPECTED, "absent_invalid"): ABSENT_INVALID,
    (CHECKED_IN, "admit"): ADMITTED,
    (ADMITTED, "start_interview"): IN_INTERVIEW,
    (IN_INTERVIEW, "finish_interview"): INTERVIEWED,
    (INTERVIEWED, "decide"): DECIDED,
    (CHECKED_IN, "remove"): REMOVED,
    (ADMITTED, "remove"): REMOVED,
    (IN_INTERVIEW, "remove"): REMOVED,
    (INTERVIEWED, "remove"): REMOVED,
}

#: (state, correction) -> the state after it.  What is not listed is refused; the
#: correction of a name or organisation and the addition of a walk-in do not move a state.
CORRECTIONS: dict[tuple[str, str], str] = {
    (ABSENT_VALID, "withdraw_absence"): EXPECTED,
    (ABSENT_INVALID, "withdraw_absence"): EXPECTED,
    (ADMITTED, "withdraw_admission"): CHECKED_IN,
    (DECIDED, "supersede_decision"): DECIDED,
}

#: The roster entry's columns a correction empties (the correction keeps their values).
CORRECTION_CLEARS = {
    "withdraw_absence": ("absence_recorded_at",),
    "withdraw_admission": ("admitted_at", "documents_confirmed_at", "identity_checked_at"),
    "supersede_decision": (),
}

#: The timestamp column of a roster entry that each event fills in.
EVENT_TIMESTAMP = {
    "check_in": "checked_in_at",
    "admit": "admitted_at",
    "start_interview": "interview_started_at",
    "finish_interview": "interviewed_at",
    "decide": "decided_at",
    "remove": "removed_at",
    "absent_valid": "absence_recorded_at",
    "absent_invalid": "absence_recorded_at",
}


def corrected_state(state: str, kind: str) -> str:
    """The state after the correction ``kind``, or :class:`IllegalTransition`."""
    try:
        return CORRECTIONS[(state, kind)]
    except KeyError:
        raise IllegalTransition(f"a candidate who is {state!r} has no {kind.replace('_', ' ')} "
                                "to correct", code="correction_not_allowed",
                                state=state, event=kind) from None


def corrections_from(state: str) -> tuple[str, ...]:
    """The state-moving corrections allowed from ``state``."""
    return tuple(kind for (at, kind) in CORRECTIONS if at == state)


def next_state(state: str, event: str) -> str:
    """The state after ``event``, or :class:`IllegalTransition` naming both."""
    if event not in EVENTS:
        raise IllegalTransition(f"unknown event {event!r}", state=state, event=event)
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise IllegalTransition(
            f"a candidate who is {state!r} cannot {event.replace('_', ' ')}",
            code=f"illegal_from_{state}", state=state, event=event) from None
