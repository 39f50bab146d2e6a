import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from attestation import audit, venues
from attestation.models import AuditEntry

from factories import setup_venue


def _fill(db):
    with db.write() as s:
        setup_venue(s, cells=3, candidates=2)
    with db.read() as s:
        ids = s.execute(sa.select(AuditEntry.id).order_by(AuditEntry.id)).scalars().all()
    assert len(ids) >= 5
    return ids


def _bypass(db, sql_pg, sql_sqlite, **params):
    """Tamper as an attacker with database access would: around the triggers."""
    with db.engine.begin() as conn:
        if db.is_sqlite:
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
            conn.execute(sa.text(sql_sqlite), params)
        else:
            conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
            conn.execute(sa.text(sql_pg), params)
            conn.exec_driver_sql("ALTER TABLE audit_log ENABLE TRIGGER USER")


def test_intact_chain_verifies(db):
    ids = _fill(db)
    with db.read() as s:
        assert audit.verify(s, batch=2) == audit.VerifyResult(True, len(ids))


def test_update_and_delete_are_refused_by_the_database(db):
    ids = _fill(db)
    for stmt in (f"UPDATE audit_log SET actor='x' WHERE id={ids[1]}",
                 f"DELETE FROM audit_log WHERE id={ids[1]}"):
        with pytest.raises(DBAPIError):
            with db.engine.begin() as conn:
                conn.exec_driver_sql(stmt)


@pytest.mark.parametrize("column,value", [("actor", "cli:mallory"), ("action", "venue.removed"),
                                           ("subject_id", "999"), ("after", None)])
def test_changed_content_is_found(db, column, value):
    ids = _fill(db)
    victim = ids[2]
    sql = f"UPDATE audit_log SET {column} = :v WHERE id = :id"
    _bypass(db, sql, sql, v=value, id=victim)
    with db.read() as s:
        result = audit.verify(s)
    assert not result.ok and result.broken_id == victim and result.checked == 2


def test_deleted_entry_is_found(db):
    ids = _fill(db)
    sql = "DELETE FROM audit_log WHERE id = :id"
    _bypass(db, sql, sql, id=ids[3])
    with db.read() as s:
        result = audit.verify(s)
    assert not result.ok and result.broken_id == ids[4]


def test_rehashed_entry_still_breaks_the_next_link(db):
    ids = _fill(db)
    with db.read() as s:
        entry = s.get(AuditEntry, ids[1])
        entry.actor = "cli:mallory"
        forged = audit.entry_hash(entry.prev_hash, entry)
    sql = "UPDATE audit_log SET actor = 'cli:mallory', hash = :h WHERE id = :id"
    _bypass(db, sql, sql, h=forged, id=ids[1])
    with db.read() as s:
        result = audit.verify(s)
    assert not result.ok and result.broken_id == ids[2]


def test_audit_records_who_and_from_where(db):
    with db.write() as s:
        venues.add_venue(s, "V2", "Орын", "Место", "", audit.Actor("user:aigerim", "panel:tablet-3"))
    with db.read() as s:
        last = s.execute(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).scalars().first()
        assert (last.actor, last.device, last.action) == ("user:aigerim", "panel:tablet-3", "venue.added")
        assert last.after["name_kk"] == "Орын"
