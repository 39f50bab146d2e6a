"""Records that survive the venue: processes killed mid-write, backups taken under load and
restored into empty databases on SQLite and PostgreSQL.

What this machine allows for a power cut: check-in processes are killed with SIGKILL at
points chosen by a seeded random generator, mid-transaction or mid-commit, while others
keep writing.  Then the database must pass ``PRAGMA integrity_check``, its audit chain must
verify with the key, no cell or person may hold two active assignments, and every check-in
a process was told was committed must be there.  (Dropping writes the disk never got would
need a filesystem that discards them, such as dm-flakey: not available here; the README
says what ``synchronous=FULL`` guarantees instead.)
"""

import datetime as dt
import os
import pathlib
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

import backup
from attestation import accounts, audit, checkin, decisions, transitions, violations
from attestation import db as dbmod
from attestation.models import Assignment, AuditEntry, Decision, RosterEntry, ViolationAct
from attestation.timeutil import utcnow

from factories import ACTOR, setup_venue

WORKER = pathlib.Path(__file__).with_name("crash_worker.py")


def _venue(db, cells, candidates):
    with db.write() as s:
        venue, sitting, _, entries = setup_venue(s, cells=cells, candidates=candidates)
        return venue.id, [e.id for e in entries]


def _invariants(db):
    with db.read() as s:
        for column in (Assignment.cell_id, Assignment.roster_entry_id):
            assert not s.execute(select(column).where(Assignment.released_at.is_(None))
                                 .group_by(column).having(func.count() > 1)).all()
        result = audit.verify(s, key=db.audit_key)
        assert result.ok, result.problem
        return {e for e, in s.execute(select(Assignment.roster_entry_id)
                                      .where(Assignment.released_at.is_(None)))}


def test_check_ins_killed_at_random_points_lose_nothing_committed(sqlite_url):
    db = dbmod.Database(sqlite_url)
    venue_id, entries = _venue(db, cells=60, candidates=60)
    rnd = random.Random(20261127)
    committed: dict[int, int] = {}
    pending = list(entries)
    for round_ in range(6):
        procs = []
        for k in range(3):  # three kiosks at once, each with its own people
            mine = pending[k::3][:8]
            procs.append(subprocess.Popen([sys.executable, str(WORKER), sqlite_url, str(venue_id),
                                           *map(str, mine)], stdout=subprocess.PIPE, text=True))
        for p in procs:
            assert p.stdout.readline().strip() == "ready"
        time.sleep(rnd.uniform(0.05, 0.6))
        for p in procs:
            p.send_signal(signal.SIGKILL)  # no clean-up, no rollback, mid-whatever
        for p in procs:
            out, _ = p.communicate(timeout=10)
            for line in out.splitlines():
                if line.startswith("committed "):
                    _, entry, cell = line.split()
                    committed[int(entry)] = int(cell)
        pending = [e for e in pending if e not in committed]
    conn = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    held = _invariants(db)
    assert committed and set(committed) <= held  # every answered check-in is there
    with db.read() as s:
        for entry_id, cell_id in committed.items():
            assert s.get(RosterEntry, entry_id).state == "checked_in"
            assert s.execute(select(Assignment.cell_id).where(
                Assignment.roster_entry_id == entry_id, Assignment.released_at.is_(None))).scalar() == cell_id
    db.dispose()


def test_sqlite_commits_are_synced(sqlite_url):
    db = dbmod.Database(sqlite_url)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    db.dispose()


# -- backups -------------------------------------------------------------------------------------

def _history(db, venue_id, entries):
    """Acts and decisions to find again after a restore."""
    with db.write() as s:
        member = accounts.add_user(s, "chair9", "chair", "long enough password", "", ACTOR,
                                   all_venues=True)
        e0, e1 = s.get(RosterEntry, entries[0]), s.get(RosterEntry, entries[1])
        transitions.apply(s, e0, "check_in", ACTOR)
        violations.draw_up(s, e0, kind="device", description="телефон", occurred_at=utcnow(),
                           recorded_by_id=member.id, actor=ACTOR)
        for event in ("check_in", "admit", "start_interview", "finish_interview"):
            transitions.apply(s, e1, event, ACTOR)
        decisions.record(s, e1, outcome_code="assign_category", category_code="first",
                         recorded_by_id=member.id, actor=ACTOR)


def _snapshot(db):
    with db.read() as s:
        acts = s.execute(select(ViolationAct.id, ViolationAct.number, ViolationAct.description)
                         .order_by(ViolationAct.id)).all()
        decided = s.execute(select(Decision.roster_entry_id, Decision.outcome_code)
                            .order_by(Decision.id)).all()
        chain = s.execute(select(AuditEntry.id, AuditEntry.hash, AuditEntry.mac)
                          .order_by(AuditEntry.id)).all()
    return acts, decided, chain


def _empty_target(db_url, tmp_path):
    """An empty database of the same kind as ``db_url``."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored.db'}"
    base = sa.engine.make_url(db_url)
    name = f"restored_{os.getpid()}_{random.randrange(10**6)}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def test_backup_under_concurrent_check_ins_restores_the_same(db_url, db, tmp_path):
    venue_id, entries = _venue(db, cells=40, candidates=40)
    _history(db, venue_id, entries)
    stop = threading.Event()
    done: list[int] = []

    def kiosk(mine):
        for entry_id in mine:
            if stop.is_set():
                return
            now = utcnow()
            db.run_write(checkin.check_in, checkin.CheckInRequest(
                entry_id=entry_id, venue_id=venue_id, cabinet_id=None, identified_by="iin",
                language="ru", stages_acknowledged_at=now, rules_acknowledged_at=now, actor=ACTOR))
            done.append(entry_id)

    workers = [threading.Thread(target=kiosk, args=(entries[2 + k::3],)) for k in range(3)]
    for w in workers:
        w.start()
    time.sleep(0.05)
    taken = backup.take(db.url, tmp_path / "backups", keep=5)  # while they write
    for w in workers:
        w.join()
    assert taken.path.exists() and taken.audit_entries > 0
    source_acts, source_decisions, source_chain = _snapshot(db)

    target = _empty_target(db.url, tmp_path)
    assert backup.restore(taken.path, target) == taken.audit_entries
    restored = dbmod.Database(target)
    acts, decided, chain = _snapshot(restored)
    assert acts == source_acts and decided == source_decisions  # made before the copy
    assert chain == source_chain[:len(chain)] and len(chain) == taken.audit_entries  # a prefix
    _invariants(restored)
    restored.dispose()

    # A copy taken when all is quiet restores to exactly the same.
    quiet = backup.take(db.url, tmp_path / "backups", keep=5)
    again = _empty_target(db.url, tmp_path / "again")
    (tmp_path / "again").mkdir(exist_ok=True)
    backup.restore(quiet.path, again)
    second = dbmod.Database(again)
    assert _snapshot(second) == _snapshot(db)
    second.dispose()


def test_restore_refuses_a_database_that_is_not_empty(db_url, db, tmp_path):
    _venue(db, cells=2, candidates=2)
    taken = backup.take(db.url, tmp_path / "b")
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.restore(taken.path, db.url)
    if db.is_sqlite:
        path = pathlib.Path(db.url.removeprefix("sqlite:///"))
        db.dispose()
        backup.restore(taken.path, db.url, force=True)
        assert list(path.parent.glob(path.name + ".replaced-*"))  # moved aside, not deleted


def test_a_tampered_copy_is_refused(sqlite_url, tmp_path):
    db = dbmod.Database(sqlite_url)
    _venue(db, cells=2, candidates=2)
    taken = backup.take(db.url, tmp_path / "b")
    conn = sqlite3.connect(taken.path)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET actor = 'cli:mallory' WHERE id = 2")
    for verb in ("UPDATE",):
        conn.execute(f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                     "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
    conn.commit()
    conn.close()
    with pytest.raises(backup.BackupError, match="audit log"):
        backup.restore(taken.path, f"sqlite:///{tmp_path / 'new.db'}")
    assert not (tmp_path / "new.db").exists()  # nothing written from a bad copy
    db.dispose()


def test_copies_are_kept_named_by_time_and_shipped(sqlite_url, tmp_path):
    db = dbmod.Database(sqlite_url)
    _venue(db, cells=2, candidates=2)
    stick = tmp_path / "usb"
    stick.mkdir()
    for _ in range(4):
        taken = backup.take(db.url, tmp_path / "b", keep=2, also=(str(stick),))
    kept = backup.copies.copies(tmp_path / "b")
    assert len(kept) == 2 and kept[-1] == taken.path and taken.path.name.startswith("attestation-20")
    assert len(backup.copies.copies(stick)) == 2 and (stick / taken.path.name).exists()
    assert not list((tmp_path / "b").glob("*.part"))
    with pytest.raises(backup.BackupError, match="mounted"):
        backup.take(db.url, tmp_path / "b", also=(str(tmp_path / "no-stick"),))
    state = backup.status(tmp_path / "b", sitting_open=True)
    assert state.age < dt.timedelta(minutes=1) and state.warnings == ()
    assert backup.status(tmp_path / "empty").warnings[0] == "no_backup"
    db.dispose()


def test_the_timer_backs_up_while_a_sitting_is_open_and_once_after_it_closes(sqlite_url, tmp_path):
    from attestation import venues
    from attestation.models import Sitting
    db = dbmod.Database(sqlite_url)
    _venue(db, cells=2, candidates=2)  # an open sitting
    where = tmp_path / "b"
    with db.read() as s:
        assert backup.needed(s, where)
    backup.take(db.url, where)
    with db.write() as s:
        venues.set_sitting_status(s, s.execute(select(Sitting)).scalar(), "closed", ACTOR)
    with db.read() as s:
        assert backup.needed(s, where)  # closed after the last copy
    backup.take(db.url, where)
    with db.read() as s:
        assert not backup.needed(s, where)
    db.dispose()


def test_cli_backup_and_restore(sqlite_url, tmp_path):
    from click.testing import CliRunner
    from kioskctl import main
    db = dbmod.Database(sqlite_url)
    _venue(db, cells=2, candidates=2)
    db.dispose()
    runner = CliRunner()
    out = runner.invoke(main, ["--database-url", sqlite_url, "backup", "--to", str(tmp_path / "b")])
    assert out.exit_code == 0 and "audit chain of" in out.output, out.output
    copy = backup.copies.copies(tmp_path / "b")[-1]
    target = f"sqlite:///{tmp_path / 'fresh.db'}"
    out = runner.invoke(main, ["--database-url", target, "restore", str(copy)])
    assert out.exit_code == 0 and "verified" in out.output, out.output
    out = runner.invoke(main, ["--database-url", target, "restore", str(copy)])
    assert out.exit_code == 1 and "not empty" in out.output
    out = runner.invoke(main, ["--database-url", target, "restore", str(tmp_path / "nope.sqlite3")])
    assert out.exit_code == 1 and "no backup file" in out.output
