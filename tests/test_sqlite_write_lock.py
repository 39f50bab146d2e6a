"""Waiting for SQLite's write lock: writers queue for it in 1 ms steps (not SQLite's
growing sleeps), still get it once it is free, and give up after the busy timeout."""

from __future__ import annotations

import contextlib
import sqlite3
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from attestation import db as dbmod


@contextlib.contextmanager
def lock_held_elsewhere(sqlite_url: str):
    """Another connection holds the write lock until the yielded event is set."""
    release, taken = threading.Event(), threading.Event()

    def hold():
        conn = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        taken.set()
        release.wait(10)
        conn.execute("COMMIT")
        conn.close()

    holder = threading.Thread(target=hold)
    holder.start()
    taken.wait(5)
    try:
        yield release
    finally:
        release.set()
        holder.join()


def test_a_writer_waits_for_the_lock_and_then_writes(sqlite_url):
    database = dbmod.Database(sqlite_url)
    with lock_held_elsewhere(sqlite_url) as release:
        threading.Timer(0.2, release.set).start()
        with database.write() as s:
            # the transaction begins here: it waits until the holder commits, then goes on
            busy = s.execute(text("PRAGMA busy_timeout")).scalar()
            assert release.is_set()
            # inside the transaction the busy timeout is SQLite's again (a checkpoint may wait)
            assert busy == dbmod.SQLITE_BUSY_TIMEOUT_MS
            s.execute(text("CREATE TABLE written (x INTEGER)"))
    with database.read() as s:
        assert s.execute(text("SELECT count(*) FROM written")).scalar() == 0
    database.dispose()


def test_a_writer_gives_up_after_the_busy_timeout(sqlite_url, monkeypatch):
    monkeypatch.setattr(dbmod, "SQLITE_BUSY_TIMEOUT_MS", 300)
    database = dbmod.Database(sqlite_url)
    with lock_held_elsewhere(sqlite_url):
        with pytest.raises(OperationalError, match="locked"):
            with database.write() as s:
                s.execute(text("CREATE TABLE never (x INTEGER)"))
    with database.read() as s:  # nothing was written, and the connection is usable again
        assert s.execute(text("SELECT count(*) FROM sqlite_master WHERE name = 'never'")).scalar() == 0
    database.dispose()
