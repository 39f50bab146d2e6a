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
