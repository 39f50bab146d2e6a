import datetime as dt

import pytest
from sqlalchemy import select

from attestation import allocation, checkin, venues
from attestation.checkin import Refused
from attestation.models import Assignment, AuditEntry, Cell, LockCommand, RosterEntry
from attestation.timeutil import local_today, utcnow

from factories import ACTOR, setup_venue


def _check_in(db, venue, entry, **kw):
    now = utcnow()
    args = dict(venue_id=venue.id, cabinet_id=None, identified_by="mrz", language="kk",
                stages_acknowledged_at=now, rules_acknowledged_at=now, actor=ACTOR)
    args.update(kw)
    return db.run_write(checkin.check_in, checkin.CheckInRequest(entry.id, **args))


@pytest.fixture
def site(db):
    with db.write() as s:
        venue, sitting, cabinet, entries = setup_venue(s, cells=2, candidates=4)
    return venue, sitting, cabinet, entries


def test_check_in_assigns_cell_queues_unlock_and_records(db, site):
    venue, sitting, cabinet, entries = site
    result = _check_in(db, venue, entries[0], identified_by="iin", language="ru")
    assert (result.cabinet, result.cell_number, result.repeat) == ("cab-1", 1, False)
    with db.read() as s:
        entry = s.get(RosterEntry, entries[0].id)
        assert entry.state == "checked_in" and entry.language == "ru"
        assert entry.identified_by == "iin" and entry.identity_to_check is True
        assert entry.checked_in_at and entry.stages_acknowledged_at and entry.rules_acknowledged_at
        cmd = s.get(LockCommand, result.command_id)
        assert (cmd.purpose, cmd.status, cmd.cell_id) == ("checkin", "requested", result.cell_id)
        actions = [a.action for a in s.execute(select(AuditEntry)).scalars()]
        assert {"cell.assigned", "roster.check_in", "lock.requested"} <= set(actions)


def test_document_identification_needs_no_staff_check(db, site):
    venue, _, _, entries = site
    _check_in(db, venue, entries[0], identified_by="digital_id")
    with db.read() as s:
        assert s.get(RosterEntry, entries[0].id).identity_to_check is False


def test_repeat_gives_same_cell_and_no_second_command(db, site):
    venue, _, _, entries = site
    first = _check_in(db, venue, entries[0])
    again = _check_in(db, venue, entries[0])
    assert again.repeat and again.cell_number == first.cell_number and again.command_id is None
    with db.read() as s:
        assert s.query(LockCommand).count() == 1 and s.query(Assignment).count() == 1


def test_cabinet_full_refused_and_nothing_changes(db, site):
    venue, _, _, entries = site
    _check_in(db, venue, entries[0])
    _check_in(db, venue, entries[1])
    with pytest.raises(Refused) as err:
        _check_in(db, venue, entries[2])
    assert err.value.code == "cabinet_full"
    with db.read() as s:
        assert s.get(RosterEntry, entries[2].id).state == "expected"


def test_out_of_service_cells_are_skipped(db, site):
    venue, _, cabinet, entries = site
    with db.write() as s:
        cell1 = s.execute(select(Cell).where(Cell.number == 1)).scalar()
        venues.set_cell_status(s, cell1, "out_of_service", "broken hinge", ACTOR)
    assert _check_in(db, venue, entries[0]).cell_number == 2


def test_acknowledgements_required(db, site):
    venue, _, _, entries = site
    with pytest.raises(Refused) as err:
        _check_in(db, venue, entries[0], rules_acknowledged_at=None)
    assert err.value.code == "not_acknowledged"


def test_lookup_refusals(db, site):
    venue, sitting, _, entries = site
    with db.read() as s:
        iin0 = s.get(RosterEntry, entries[0].id).candidate.iin
        assert checkin.find_todays_entry(s, venue.id, iin0).id == entries[0].id
        with pytest.raises(Refused) as err:
            checkin.find_todays_entry(s, venue.id, "900517400019")
        assert err.value.code == "not_on_roster"
        with pytest.raises(Refused) as err:
            checkin.find_todays_entry(s, venue.id, iin0, today=local_today() + dt.timedelta(days=1))
        assert err.value.code == "not_on_roster"  # another day's roster is not told apart
    for state, code in [("removed", "already_removed"), ("absent_valid", "absence_recorded"),
                        ("absent_invalid", "absence_recorded"), ("decided", "already_finished")]:
        with db.write() as s:
            s.get(RosterEntry, entries[0].id).state = state
        with db.read() as s, pytest.raises(Refused) as err:
            checkin.find_todays_entry(s, venue.id, iin0)
        assert err.value.code == code


def test_sitting_not_open(db):
    with db.write() as s:
        venue, sitting, _, entries = setup_venue(s, status="planned")
        iin0 = entries[0].candidate.iin
    with db.read() as s, pytest.raises(Refused) as err:
        checkin.find_todays_entry(s, venue.id, iin0)
    assert err.value.code == "sitting_not_open"
    with pytest.raises(Refused):
        _check_in(db, venue, entries[0])


def test_return_and_release_frees_the_cell(db, site):
    venue, _, _, entries = site
    _check_in(db, venue, entries[0])
    with db.write() as s:
        entry = s.get(RosterEntry, entries[0].id)
        with pytest.raises(Exception) as err:
            allocation.request_return(s, entry, ACTOR)
        assert err.value.code == "too_early_to_return"
    with db.write() as s:
        entry = s.get(RosterEntry, entries[0].id)
        entry.state = "interviewed"
        cmd = allocation.request_return(s, entry, ACTOR)
        assert cmd.purpose == "return"
        allocation.release(s, allocation.active_assignment(s, entry.id), ACTOR)
    assert _check_in(db, venue, entries[1]).cell_number == 1
