import itertools

import pytest

from attestation import states
from attestation.errors import IllegalTransition

LEGAL = {
    ("expected", "check_in"): "checked_in",
    ("expected", "absent_valid"): "absent_valid",
    ("expected", "absent_invalid"): "absent_invalid",
    ("checked_in", "admit"): "admitted",
    ("admitted", "start_interview"): "in_interview",
    ("in_interview", "finish_interview"): "interviewed",
    ("interviewed", "decide"): "decided",
    ("checked_in", "remove"): "removed",
    ("admitted", "remove"): "removed",
    ("in_interview", "remove"): "removed",
    ("interviewed", "remove"): "removed",
}


@pytest.mark.parametrize("state,event", list(itertools.product(states.STATES, states.EVENTS)))
def test_every_pair_is_legal_or_refused(state, event):
    if (state, event) in LEGAL:
        assert states.next_state(state, event) == LEGAL[(state, event)]
    else:
        with pytest.raises(IllegalTransition) as err:
            states.next_state(state, event)
        assert err.value.details == {"state": state, "event": event}


def test_final_states_have_no_way_out():
    for state in states.FINAL:
        assert not [e for e in states.EVENTS if (state, e) in states.TRANSITIONS]


def test_unknown_event():
    with pytest.raises(IllegalTransition):
        states.next_state("expected", "teleport")


def test_every_event_has_a_timestamp_column():
    from attestation.models import RosterEntry
    for event in states.EVENTS:
        assert hasattr(RosterEntry, states.EVENT_TIMESTAMP[event])
