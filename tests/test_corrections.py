"""Corrections as new facts: what each sets aside, from which state, and what it never touches."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from attestation import (absence, accounts, admission, commission, corrections, decisions, states,
                         transitions, venues, violations)
from attestation.errors import DomainError, IllegalTransition, InvalidInput, NotAllowed
from attestation.models import (Absence, AuditEntry, Candidate, Correction, Decision, RosterEntry,
                                Sitting, ViolationAct)
from attestation.roster_import import RosterFileError
from attestation.timeutil import utcnow

from factories import ACTOR, make_iin, setup_venue

DECIDE = ("check_in", "admit", "start_interview", "finish_interview")


@pytest.fixture
def ready(db):
    with db.write() as s:
        venue, sitting, _, entries = setup_venue(s, candidates=4)
        secretary = accounts.add_user(s, "secretary1", "secretary", "long-enough-pw", "Ә. Хатшы",
                                      ACTOR, venues=[venue])
        return sitting.id, [e.id for e in entries], secretary.id


def _count(s, model, **where):
    return s.execute(select(func.count()).select_from(model).filter_by(**where)).scalar()


@pytest.mark.parametrize("state", states.STATES)
def test_the_state_machine_says_which_corrections_each_state_allows(state):
    for kind in ("withdraw_absence", "withdraw_admission", "supersede_decision"):
        allowed = (state, kind) in states.CORRECTIONS
        assert (kind in states.corrections_from(state)) == allowed
        if allowed:
            assert states.corrected_state(state, kind) in states.STATES
        else:
            with pytest.raises(IllegalTransition) as err:
                states.corrected_state(state, kind)
            assert err.value.code == "correction_not_allowed"
    # a removal is never undone by a correction: its act has correcting acts of its own
    assert not states.corrections_from(states.REMOVED)


@pytest.mark.parametrize("reason", [None, "sick_leave"])
def test_withdrawn_absence_stays_on_record_and_the_person_can_check_in(db, ready, reason):
    sitting_id, ids, user = ready
    with db.write() as s:
        e = s.get(RosterEntry, ids[0])
        first = absence.record(s, e, reason=reason, document="б/н 12" if reason else "",
                               return_date=e.sitting.date + dt.timedelta(days=3) if reason else None,
                               recorded_by_id=user, actor=ACTOR)
        first_id, deadline = first.id, first.deadline
    with db.write() as s:
        c = corrections.withdraw_absence(s, s.get(RosterEntry, ids[0]), reason="recorded at 04:10 by mistake",
                                         recorded_by_id=user, actor=ACTOR)
        assert c.absence_id == first_id and c.before["state"] == f"absent_{'valid' if reason else 'invalid'}"
    with db.read() as s:
        e = s.get(RosterEntry, ids[0])
        assert e.state == "expected" and e.absence_recorded_at is None
        kept = s.get(Absence, first_id)
        assert (kept.reason, kept.deadline) == (reason, deadline)  # untouched
        assert corrections.standing_of(s, Absence, e.id) is None
        assert corrections.standing_by_entry(s, Absence, sitting_id) == {}
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "correction.withdraw_absence")).scalar_one()
        assert entry.after["reason"] == "recorded at 04:10 by mistake" and entry.after["absence_id"] == first_id
    with db.write() as s:  # the person arrives: the ordinary check-in applies again
        transitions.apply(s, s.get(RosterEntry, ids[0]), "check_in", ACTOR)
    with db.write() as s:  # and a second absence, for someone else's mistake, is a new row
        e = s.get(RosterEntry, ids[1])
        absence.record(s, e, reason=None, recorded_by_id=user, actor=ACTOR)
        corrections.withdraw_absence(s, e, reason="wrong row", recorded_by_id=user, actor=ACTOR)
        second = absence.record(s, e, reason=None, recorded_by_id=user, actor=ACTOR)
        assert corrections.standing_of(s, Absence, e.id).id == second.id
        assert _count(s, Absence, roster_entry_id=e.id) == 2


def test_withdrawn_admission_goes_back_to_checked_in(db, ready):
    _, ids, user = ready
    with db.write() as s:
        e = s.get(RosterEntry, ids[0])
        transitions.apply(s, e, "check_in", ACTOR)
        admission.admit(s, e, qualification_document="Свидетельство № 7", identity_checked=True, actor=ACTOR)
    with db.write() as s:
        c = corrections.withdraw_admission(s, s.get(RosterEntry, ids[0]), reason="wrong person admitted",
                                           recorded_by_id=user, actor=ACTOR)
        assert c.before["qualification_document"] == "Свидетельство № 7" and c.before["admitted_at"]
    with db.write() as s:
        e = s.get(RosterEntry, ids[0])
        assert (e.state, e.admitted_at, e.qualification_document) == ("checked_in", None, "")
        admission.admit(s, e, qualification_document="Свидетельство № 8", identity_checked=True, actor=ACTOR)
        transitions.apply(s, e, "start_interview", ACTOR)
    with pytest.raises(IllegalTransition) as err:  # the interview began: too late
        with db.write() as s:
            corrections.withdraw_admission(s, s.get(RosterEntry, ids[0]), reason="x",
                                           recorded_by_id=user, actor=ACTOR)
    assert err.value.code == "correction_not_allowed"


def test_superseded_decision_is_kept_and_the_new_one_stands(db, ready):
    _, ids, user = ready
    with db.write() as s:
        e = s.get(RosterEntry, ids[0])
        for event in DECIDE:
            transitions.apply(s, e, event, ACTOR)
        old = decisions.record(s, e, outcome_code="not_matching", category_code=None,
                               recorded_by_id=user, actor=ACTOR)
        old_id = old.id
    with pytest.raises(InvalidInput) as err:
        with db.write() as s:
            corrections.supersede_decision(s, s.get(RosterEntry, ids[0]), outcome_code="not_matching",
                                           category_code=None, reason="same", recorded_by_id=user, actor=ACTOR)
    assert err.value.code == "nothing_changed"
    with pytest.raises(InvalidInput) as err:
        with db.write() as s:
            corrections.supersede_decision(s, s.get(RosterEntry, ids[0]), outcome_code="assign_category",
                                           category_code=None, reason="x", recorded_by_id=user, actor=ACTOR)
    assert err.value.code == "category_required"
    with db.write() as s:
        c = corrections.supersede_decision(s, s.get(RosterEntry, ids[0]), outcome_code="assign_category",
                                           category_code="first", reason="the vote was miscounted",
                                           recorded_by_id=user, actor=ACTOR)
        assert c.decision_id == old_id and c.before["outcome"] == "not_matching"
    with db.read() as s:
        assert s.get(Decision, old_id).outcome_code == "not_matching"  # untouched
        standing = corrections.standing_of(s, Decision, ids[0])
        assert (standing.outcome_code, standing.category_code) == ("assign_category", "first")
        assert _count(s, Decision, roster_entry_id=ids[0]) == 2
        assert s.get(RosterEntry, ids[0]).state == "decided"
    with pytest.raises(IllegalTransition):  # nobody decided yet: nothing to supersede
        with db.write() as s:
            corrections.supersede_decision(s, s.get(RosterEntry, ids[1]), outcome_code="not_matching",
                                           category_code=None, reason="x", recorded_by_id=user, actor=ACTOR)


def test_fixed_details_keep_the_earlier_ones(db, ready):
    _, ids, user = ready
    with db.write() as s:
        e = s.get(RosterEntry, ids[0])
        old_last = e.candidate.last_name
        c = corrections.fix_details(s, e, last_name="Әбдірахманова", organization="ЦСО №2",
                                    reason="typo in the list", recorded_by_id=user, actor=ACTOR)
        assert c.before == {"last_name": old_last, "organization": "ЦСО №1"}
        assert c.after == {"last_name": "Әбдірахманова", "organization": "ЦСО №2"}
    for bad, code in (({"last_name": " "}, "invalid_input"), ({}, "nothing_changed"),
                      ({"position": "x" * 301}, "too_long"), ({"first_name": "A\x00"}, "control_characters")):
        with pytest.raises(InvalidInput) as err:
            with db.write() as s:
                corrections.fix_details(s, s.get(RosterEntry, ids[0]), reason="r", recorded_by_id=user,
                                        actor=ACTOR, **bad)
        assert err.value.code == code
    with db.read() as s:
        assert s.get(RosterEntry, ids[0]).candidate.last_name == "Әбдірахманова"
        assert _count(s, Correction) == 1


def test_a_walk_in_is_added_by_the_import_rules(db, ready):
    sitting_id, ids, user = ready
    row = {"iin": make_iin(900), "last_name": "Жаңабаева", "first_name": "Өміржан"}
    with db.write() as s:
        c = corrections.add_candidate(s, s.get(Sitting, sitting_id), row, reason="came with a referral",
                                      recorded_by_id=user, actor=ACTOR)
        assert c.kind == "add_candidate" and c.roster_entry_id not in ids
    for bad, code in (({"iin": "123456789012"}, "iin_"), ({"last_name": ""}, "empty_field"),
                      ({}, "already_on_roster")):
        with pytest.raises(RosterFileError) as err:
            with db.write() as s:
                corrections.add_candidate(s, s.get(Sitting, sitting_id), row | bad, reason="r",
                                          recorded_by_id=user, actor=ACTOR)
        assert any(e.code.startswith(code) for e in err.value.errors)
    with db.read() as s:
        assert _count(s, RosterEntry, sitting_id=sitting_id) == 5
        assert _count(s, Candidate) == 5


def test_nothing_is_corrected_without_a_reason_or_after_the_close(db, ready):
    sitting_id, ids, user = ready
    with db.write() as s:
        absence.record(s, s.get(RosterEntry, ids[0]), reason=None, recorded_by_id=user, actor=ACTOR)
    with pytest.raises(InvalidInput) as err:
        with db.write() as s:
            corrections.withdraw_absence(s, s.get(RosterEntry, ids[0]), reason="  ", recorded_by_id=user,
                                         actor=ACTOR)
    assert err.value.code == "reason_required"
    with db.write() as s:
        venues.set_sitting_status(s, s.get(Sitting, sitting_id), "closed", ACTOR)
    attempts = [
        lambda s, e: corrections.withdraw_absence(s, e, reason="r", recorded_by_id=user, actor=ACTOR),
        lambda s, e: corrections.fix_details(s, e, last_name="Жаңа", reason="r", recorded_by_id=user, actor=ACTOR),
        lambda s, e: corrections.add_candidate(s, e.sitting, {"iin": make_iin(901), "last_name": "А",
                                                             "first_name": "Б"}, reason="r",
                                               recorded_by_id=user, actor=ACTOR),
    ]
    for attempt in attempts:
        with pytest.raises(NotAllowed) as err:
            with db.write() as s:
                attempt(s, s.get(RosterEntry, ids[0]))
        assert err.value.code == "sitting_closed"
    with db.write() as s:  # reopened with a reason, the correction goes through
        venues.reopen_sitting(s, s.get(Sitting, sitting_id), "absence recorded by mistake", ACTOR)
        attempts[0](s, s.get(RosterEntry, ids[0]))
        assert s.get(RosterEntry, ids[0]).state == "expected"


def test_corrections_never_touch_an_act(db, ready):
    _, ids, user = ready
    with db.write() as s:
        e = s.get(RosterEntry, ids[0])
        transitions.apply(s, e, "check_in", ACTOR)
        act = violations.draw_up(s, e, kind="device", description="Телефон", occurred_at=utcnow(),
                                 recorded_by_id=user, actor=ACTOR)
        act_id, before = act.id, (act.number, act.description, act.kind)
    with pytest.raises(DomainError):
        with db.write() as s:
            corrections.supersede_decision(s, s.get(RosterEntry, ids[0]), outcome_code="not_matching",
                                           category_code=None, reason="r", recorded_by_id=user, actor=ACTOR)
    with db.write() as s:
        corrections.fix_details(s, s.get(RosterEntry, ids[0]), last_name="Түзетілген", reason="typo",
                                recorded_by_id=user, actor=ACTOR)
    with db.read() as s:
        act = s.get(ViolationAct, act_id)
        assert (act.number, act.description, act.kind) == before
        assert s.get(RosterEntry, ids[0]).state == "removed"
        assert _count(s, ViolationAct) == 1


def test_protocol_numbers_per_venue_and_year_and_the_commission(db, ready):
    sitting_id, ids, user = ready
    with db.write() as s:
        sitting = s.get(Sitting, sitting_id)
        with pytest.raises(InvalidInput) as err:
            commission.record(s, sitting, chair="", secretary="Б", others=[], actor=ACTOR)
        assert err.value.code == "commission_incomplete"
        commission.record(s, sitting, chair="Төрағасы Ә.", secretary="Хатшы Б.",
                          others=["Мүше В.", "", "Мүше Г."], actor=ACTOR)
        assert commission.members(sitting) == [("chair", "Төрағасы Ә."), ("secretary", "Хатшы Б."),
                                               ("member", "Мүше В."), ("member", "Мүше Г.")]
        second = venues.add_sitting(s, sitting.venue, sitting.date + dt.timedelta(days=1), dt.time(9),
                                    None, ACTOR, status="open")
        second_id = second.id
    with db.write() as s:
        venues.set_sitting_status(s, s.get(Sitting, second_id), "closed", ACTOR)
        venues.set_sitting_status(s, s.get(Sitting, sitting_id), "closed", ACTOR)
    with db.write() as s:
        assert s.get(Sitting, second_id).protocol_label == f"1/{s.get(Sitting, second_id).date.year}"
        first = s.get(Sitting, sitting_id)
        assert first.protocol_number == 2
        venues.reopen_sitting(s, first, "a late correction", ACTOR)
        venues.set_sitting_status(s, first, "closed", ACTOR)
        assert first.protocol_number == 2  # reopening keeps the number
    with pytest.raises(NotAllowed):
        with db.write() as s:
            commission.record(s, s.get(Sitting, sitting_id), chair="X", secretary="Y", others=[], actor=ACTOR)
