import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from attestation import audit, audit_anchor, venues
from attestation import db as dbmod
from attestation.models import AuditEntry

from factories import setup_venue


def _fill(db):
    with db.write() as s:
        setup_venue(s, cells=3, candidates=2)
    with db.read() as s:
        ids = s.execute(sa.select(AuditEntry.id).order_by(AuditEntry.id)).scalars().all()
    assert len(ids) >= 5
    return ids


SQLITE_TRIGGERS = [f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                   "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
                   for verb in ("UPDATE", "DELETE")]


def _bypass(db, sql_pg, sql_sqlite, restore=True, **params):
    """Tamper as an attacker with database access would: around the triggers, which are
    put back afterwards (unless ``restore`` is False) so that nothing looks touched."""
    with db.engine.begin() as conn:
        if db.is_sqlite:
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
            conn.execute(sa.text(sql_sqlite), params)
            for sql in SQLITE_TRIGGERS if restore else ():
                conn.exec_driver_sql(sql)
        else:
            conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
            conn.execute(sa.text(sql_pg), params)
            if restore:
                conn.exec_driver_sql("ALTER TABLE audit_log ENABLE TRIGGER USER")


def test_intact_chain_verifies(db):
    ids = _fill(db)
    with db.read() as s:
        result = audit.verify(s, key=db.audit_key, batch=2)
    assert result.ok and result.checked == result.signed == len(ids)
    assert result.first_signed_id == ids[0]


def test_appends_chain_within_a_transaction_and_across_sessions(db):
    """A transaction's second append links to its first without reading the log again; a
    session's next transaction reads it again (someone else may have appended between)."""
    actor = audit.Actor("test", "test")
    ours = db._write()
    try:
        with ours.begin():
            first = audit.append(ours, actor, "sitting.open", "sitting", 1)
            second = audit.append(ours, actor, "sitting.open", "sitting", 2)
        assert second.prev_hash == first.hash
        with db.write() as s:  # another process, in between
            theirs = audit.append(s, actor, "sitting.open", "sitting", 3).hash
        with ours.begin():
            assert audit.append(ours, actor, "sitting.open", "sitting", 4).prev_hash == theirs
    finally:
        ours.close()
    with db.read() as s:
        assert audit.verify(s, key=db.audit_key).ok


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


# -- the anchors outside the database: the key and the checkpoints --------------------------

def _anchored(db_url, tmp_path):
    """A database whose commits publish their checkpoints to a file, as the services do."""
    cp = tmp_path / "checkpoints.jsonl"
    return dbmod.Database(db_url, publisher=audit_anchor.Publisher(cp)), cp


def _verify(db, cp=None, key="own"):
    checkpoints = audit_anchor.read_checkpoints(cp.read_text().splitlines()) if cp else ()
    with db.read() as s:
        return audit.verify(s, key=db.audit_key if key == "own" else key, checkpoints=checkpoints)


def test_every_entry_is_signed_and_every_commit_published(db_url, tmp_path):
    anchored, cp = _anchored(db_url, tmp_path)
    ids = _fill(anchored)
    published = audit_anchor.read_checkpoints(cp.read_text().splitlines())
    assert published[-1].entry_id == ids[-1]
    with pytest.raises(RuntimeError):
        with anchored.write() as s:  # a rolled-back append publishes nothing
            venues.add_venue(s, "V9", "Орын", "Место", "", audit.Actor("test:suite"))
            raise RuntimeError
    assert audit_anchor.read_checkpoints(cp.read_text().splitlines()) == published
    result = _verify(anchored, cp)
    assert result.ok and result.signed == len(ids) and result.checkpoints == len(published)
    assert not result.warnings
    anchored.dispose()


def test_truncated_end_is_found_by_the_checkpoints(db_url, tmp_path):
    anchored, cp = _anchored(db_url, tmp_path)
    ids = _fill(anchored)
    sql = "DELETE FROM audit_log WHERE id > :id"
    _bypass(anchored, sql, sql, id=ids[-6])  # the last five go
    result = _verify(anchored, cp)
    assert not result.ok and "truncated" in result.problem and result.broken_id == ids[-1]
    # Without the checkpoints the rest of the chain is intact, and verify says what it lacks.
    lacking = _verify(anchored)
    assert lacking.ok and "no_checkpoint" in lacking.warnings
    anchored.dispose()


def test_rewrite_with_every_later_hash_recomputed_is_found_by_the_key(db):
    ids = _fill(db)
    victim = ids[2]
    with db.read() as s:
        rows = s.execute(sa.select(AuditEntry).where(AuditEntry.id >= victim)
                         .order_by(AuditEntry.id)).scalars().all()
    prev = rows[0].prev_hash
    rows[0].actor = "cli:mallory"
    for row in rows:  # recompute the chain from the victim on, as an attacker can
        row.prev_hash = prev
        row.hash = prev = audit.entry_hash(prev, row)
    for row in rows:
        sql = "UPDATE audit_log SET actor = :a, prev_hash = :p, hash = :h WHERE id = :id"
        _bypass(db, sql, sql, a=row.actor, p=row.prev_hash, h=row.hash, id=row.id)
    without_key = _verify(db, key=None)
    assert without_key.ok  # the chain alone cannot tell...
    result = _verify(db)
    assert not result.ok and result.broken_id == victim and "signature" in result.problem


def test_forged_append_with_a_correct_hash_is_found(db):
    ids = _fill(db)
    with db.read() as s:
        last = s.get(AuditEntry, ids[-1])
    forged = AuditEntry(at=last.at, actor="user:mallory", device="", action="decision.recorded",
                        subject_type="roster_entry", subject_id="1", sitting_id=None,
                        before=None, after={"outcome": "attested"}, prev_hash=last.hash)
    forged.hash = audit.entry_hash(last.hash, forged)
    for mac in (None, "0" * 64):
        with db.engine.begin() as conn:
            conn.execute(sa.insert(AuditEntry).values(
                at=forged.at, actor=forged.actor, device="", action=forged.action,
                subject_type=forged.subject_type, subject_id="1", after=forged.after,
                prev_hash=forged.prev_hash, hash=forged.hash, mac=mac))
        result = _verify(db)
        assert not result.ok and result.broken_id > ids[-1]
        assert ("not signed" if mac is None else "signature") in result.problem
        _bypass(db, "DELETE FROM audit_log WHERE id > :id", "DELETE FROM audit_log WHERE id > :id",
                id=ids[-1])


def test_dropped_triggers_are_found(db):
    _fill(db)
    _bypass(db, "SELECT 1", "SELECT 1", restore=False)
    result = _verify(db)
    assert not result.ok and "triggers" in result.problem


def test_a_rewrite_by_someone_holding_the_key_is_found_by_a_printed_checkpoint(db_url, tmp_path):
    anchored, cp = _anchored(db_url, tmp_path)
    ids = _fill(anchored)
    with anchored.read() as s:
        printed = audit.head(s).printed  # on the protocol signed that day
        rows = s.execute(sa.select(AuditEntry).order_by(AuditEntry.id)).scalars().all()
    prev = audit.GENESIS
    rows[1].actor = "cli:mallory"
    for row in rows:
        row.prev_hash = prev
        row.hash = prev = audit.entry_hash(prev, row)
        row.mac = audit_anchor.sign(anchored.audit_key, row.hash)
        sql = "UPDATE audit_log SET actor = :a, prev_hash = :p, hash = :h, mac = :m WHERE id = :id"
        _bypass(anchored, sql, sql, a=row.actor, p=row.prev_hash, h=row.hash, m=row.mac, id=row.id)
    assert _verify(anchored).ok  # chain and signatures agree: only an outside anchor can tell
    with anchored.read() as s:
        result = audit.verify(s, key=anchored.audit_key,
                              checkpoints=[audit_anchor.parse_printed(printed)])
    assert not result.ok and result.broken_id == ids[-1] and "checkpoint" in result.problem
    assert not _verify(anchored, cp).ok  # the published file tells it too
    anchored.dispose()
