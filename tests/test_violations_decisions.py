import datetime as dt

import pytest

from attestation import accounts, decisions, transitions, violations
from attestation.errors import IllegalTransition, InvalidInput
from attestation.models import RosterEntry, ViolationAct
from attestation.timeutil import utcnow

from factories import ACTOR, setup_venue


@pytest.fixture
def ready(db):
    with db.write() as s:
        venue, sitting, _, entries = setup_venue(s, candidates=3)
        member = accounts.add_user(s, "member1", "member", "long-enough-pw", "Ә. Мүше", ACTOR,
                                   venues=[venue])
        for e in entries:
            transitions.apply(s, e, "check_in", ACTOR)
        return [e.id for e in entries], member.id


def test_act_removes_and_numbers_sequentially(db, ready):
    ids, member = ready
    with db.write() as s:
        a1 = violations.draw_up(s, s.get(RosterEntry, ids[0]), kind="device",
                                description="Пользовался телефоном", recorded_by_id=member,
                                occurred_at=utcnow(), witnesses="Секретарь", actor=ACTOR)
        a2 = violations.draw_up(s, s.get(RosterEntry, ids[1]), kind="literature",
                                description="Шпаргалка", recorded_by_id=member,
                                occurred_at=utcnow(), actor=ACTOR)
        assert (a1.number, a2.number) == (1, 2) and a1.year == a2.year
        assert s.get(RosterEntry, ids[0]).state == "removed"
        # a correction is a new act linked to the first; nobody is removed twice
        fix = violations.draw_up(s, s.get(RosterEntry, ids[0]), kind="device",
                                 description="Уточнение: смарт-часы", recorded_by_id=member,
                                 occurred_at=utcnow(), actor=ACTOR, corrects=a1)
        assert fix.number == 3 and fix.corrects_id == a1.id
        assert s.get(ViolationAct, a1.id).description == "Пользовался телефоном"


@pytest.mark.parametrize("kwargs,code", [
    (dict(kind="noise", description="x"), "invalid_kind"),
    (dict(kind="other", description="  "), "description_required"),
    (dict(kind="other", description="x", occurred_at=utcnow() + dt.timedelta(hours=1)), "future_time"),
])
def test_bad_act_changes_nothing(db, ready, kwargs, code):
    ids, member = ready
    kwargs.setdefault("occurred_at", utcnow())
    with pytest.raises(InvalidInput) as err:
        with db.write() as s:
            violations.draw_up(s, s.get(RosterEntry, ids[0]), recorded_by_id=member,
                               actor=ACTOR, **kwargs)
    assert err.value.code == code
    with db.read() as s:
        assert s.get(RosterEntry, ids[0]).state == "checked_in"
        assert s.query(ViolationAct).count() == 0


def test_no_act_for_someone_not_present(db, ready):
    ids, member = ready
    with db.write() as s:
        e = s.get(RosterEntry, ids[0])
        e.state = "expected"
        with pytest.raises(IllegalTransition):
            violations.draw_up(s, e, kind="other", description="x", occurred_at=utcnow(),
                               recorded_by_id=member, actor=ACTOR)


def test_decision_flow_and_rules(db, ready):
    ids, member = ready
    with db.write() as s:
        e = s.get(RosterEntry, ids[0])
        with pytest.raises(IllegalTransition):
            decisions.record(s, e, outcome_code="not_matching", category_code=None,
                             recorded_by_id=member, actor=ACTOR)
        for event in ("admit", "start_interview", "finish_interview"):
            transitions.apply(s, e, event, ACTOR)
        with pytest.raises(InvalidInput) as err:
            decisions.record(s, e, outcome_code="assign_category", category_code=None,
                             recorded_by_id=member, actor=ACTOR)
        assert err.value.code == "category_required"
        with pytest.raises(InvalidInput) as err:
            decisions.record(s, e, outcome_code="not_matching", category_code="first",
                             recorded_by_id=member, actor=ACTOR)
        assert err.value.code == "category_not_allowed"
        with pytest.raises(InvalidInput):
            decisions.record(s, e, outcome_code="bogus", category_code=None,
                             recorded_by_id=member, actor=ACTOR)
        d = decisions.record(s, e, outcome_code="assign_category", category_code="first",
                             recorded_by_id=member, actor=ACTOR)
        assert e.state == "decided" and e.decided_at and d.category_code == "first"


def test_a_rehearsed_act_is_checked_and_then_leaves_no_trace(db, ready):
    """What the panel runs before asking "draw up the act?": every rule, nothing kept."""
    from sqlalchemy import func, select

    from attestation.models import AuditEntry
    ids, member = ready
    with db.read() as s:
        audit_before = s.execute(select(func.max(AuditEntry.id))).scalar()
    with db.rehearse() as s:
        act = violations.draw_up(s, s.get(RosterEntry, ids[0]), kind="device", description="Телефон",
                                 recorded_by_id=member, occurred_at=utcnow(), actor=ACTOR)
        assert act.number == 1 and s.get(RosterEntry, ids[0]).state == "removed"
    with pytest.raises(InvalidInput):
        with db.rehearse() as s:
            violations.draw_up(s, s.get(RosterEntry, ids[0]), kind="device", description="Телефон",
                               recorded_by_id=member, occurred_at=utcnow() + dt.timedelta(hours=1),
                               actor=ACTOR)
    with db.read() as s:
        assert s.execute(select(func.count(ViolationAct.id))).scalar() == 0
        assert s.get(RosterEntry, ids[0]).state == "checked_in"
        assert s.execute(select(func.max(AuditEntry.id))).scalar() == audit_before
    with db.write() as s:  # the real one still gets number 1
        assert violations.draw_up(s, s.get(RosterEntry, ids[0]), kind="device", description="Телефон",
                                  recorded_by_id=member, occurred_at=utcnow(), actor=ACTOR).number == 1
