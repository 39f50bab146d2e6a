"""Engines, sessions and migrations for both supported databases.

* SQLite (the embedded default on one Pi): WAL journal with ``synchronous=FULL`` (every
  commit is on the card before it is answered: a power cut loses no committed check-in,
  act, absence or decision), foreign keys on, a busy timeout, and every *write*
  transaction opened with ``BEGIN IMMEDIATE`` so two writers never both read and then
  collide on upgrade to a write lock.
* PostgreSQL (several kiosks and cabinets): READ COMMITTED; contended rows are claimed
  with ``SELECT ... FOR UPDATE SKIP LOCKED`` (see :mod:`attestation.allocation`).
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import sqlite3
import time

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from . import audit_anchor, wakeup
from .errors import Conflict

DEFAULT_SQLITE_PATH = pathlib.Path(os.environ.get("ATTESTATION_DATA_DIR", "var")) / "attestation.db"
SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_SYNCHRONOUS = "FULL"
MIGRATIONS_DIR = pathlib.Path(__file__).with_name("migrations")
#: "Take it from the environment" (an argument's default that None cannot be).
FROM_ENV = object()

#: Write transactions committed by this process: the SD card's wear, and with durable
#: commits an fsync each.  ``ATTESTATION_STATS_FILE`` names a file that receives them, as
#: JSON, when the process ends (what ``kioskctl bench production`` reads).
COMMITS = {"write": 0}


def _write_stats(path: str) -> None:
    import json
    pathlib.Path(path).write_text(json.dumps({"write_transactions": COMMITS["write"]}))


if os.environ.get("ATTESTATION_STATS_FILE"):
    import atexit
    atexit.register(_write_stats, os.environ["ATTESTATION_STATS_FILE"])


def database_url(url: str | None = None) -> str:
    """The URL to use: the argument, else ``DATABASE_URL``, else the default SQLite file."""
    url = url or os.environ.get("DATABASE_URL")
    if url:
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url
    DEFAULT_SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def make_engine(url: str | None = None, **kwargs) -> Engine:
    url = database_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
                               **kwargs)
        _configure_sqlite(engine)
    else:
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("pool_size", 10)
        engine = create_engine(url, **kwargs)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Take transaction control away from the sqlite3 module so that BEGIN is ours.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # NORMAL would make a commit durable only at the next checkpoint: a cable pulled
        # in between loses check-ins that were answered, and a cell with someone's phone
        # in it would look free.  FULL syncs the WAL at every commit.
        cur.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if conn.get_execution_options().get("sqlite_immediate"):
            _begin_immediate(conn)
        else:
            conn.exec_driver_sql("BEGIN")


#: How often a writer waiting for SQLite's write lock tries again (s).
SQLITE_LOCK_POLL = 0.002


def _begin_immediate(conn) -> None:
    """BEGIN IMMEDIATE, waiting for the write lock in steps of 1 ms.

    SQLite's own busy handler sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100 ms
    between tries, so a writer that finds the lock taken by a 6 ms commit waits 8 ms, and
    one behind two or three others waits 50-100 ms: the tail of several kiosks and agents
    on one file.  The tries go straight to the driver (a refused BEGIN costs microseconds);
    within the transaction the busy timeout stands as set (a checkpoint at commit may
    still wait)."""
    raw = conn.connection.dbapi_connection
    raw.execute("PRAGMA busy_timeout=0")
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise OperationalError("BEGIN IMMEDIATE", None, exc) from exc
            time.sleep(SQLITE_LOCK_POLL)
    finally:
        raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


def is_postgresql(session: Session) -> bool:
    """Is ``session`` on PostgreSQL?  There, rows are locked (``FOR UPDATE``) and commits
    notified; on SQLite, the one writer at a time is the lock and nothing more is needed."""
    return session.get_bind().dialect.name == "postgresql"


class Database:
    """One engine and the two kinds of session the application uses.

    ``db.read()`` for queries; ``db.write()`` for a short transaction that changes
    state, committed on leaving the block (rolled back on error).  Transient conflicts
    (a unique index hit by a concurrent writer, SQLite's "database is locked") are
    retried by :meth:`run_write` a bounded number of times.
    """

    def __init__(self, url: str | None = None, *, audit_key: bytes | None | object = FROM_ENV,
                 publisher: audit_anchor.Publisher | None | object = FROM_ENV, **engine_kwargs):
        """``audit_key`` and ``publisher`` default to what the environment names
        (:mod:`attestation.audit_anchor`); None: appends unsigned, heads not published."""
        self.url = database_url(url)
        self.engine = make_engine(self.url, **engine_kwargs)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.audit_key = audit_anchor.load_key() if audit_key is FROM_ENV else audit_key
        if publisher is FROM_ENV:
            publisher = audit_anchor.Publisher.from_env()
        self.audit_publisher = publisher
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        writer = self.engine.execution_options(sqlite_immediate=True) if self.is_sqlite else self.engine
        self._write = sessionmaker(writer, expire_on_commit=False,
                                   info=audit_anchor.session_info(self.audit_key, publisher))
        audit_anchor.install(self._write)

    @contextlib.contextmanager
    def read(self):
        # Closing (not rolling back) leaves loaded objects readable after the block.
        with self._read() as session:
            yield session

    @contextlib.contextmanager
    def connect(self):
        """A bare connection, no ORM session, for a one-row lookup made on every request
        (a session costs more than the statement); rolled back on leaving."""
        with self.engine.connect() as connection:
            yield connection

    @contextlib.contextmanager
    def write(self):
        with self._write() as session:
            try:
                yield session
                session.commit()
                COMMITS["write"] += 1
            except BaseException:
                session.rollback()
                raise
            woken = session.info.pop(wakeup.SESSION_KEY, None)
            if woken:
                wakeup.notify(self.url, woken)

    @contextlib.contextmanager
    def rehearse(self):
        """A write transaction that is always rolled back: an action run with every check
        (its rules, the rows' states, the constraints at flush) before a person is asked to
        confirm it, and nothing kept, nothing published, nobody woken."""
        with self._write() as session:
            try:
                yield session
                session.flush()
            finally:
                session.rollback()

    def run_write(self, fn, *args, attempts: int = 5, **kwargs):
        """Run ``fn(session, *args, **kwargs)`` in a write transaction, retrying conflicts."""
        for attempt in range(attempts):
            try:
                with self.write() as session:
                    return fn(session, *args, **kwargs)
            except IntegrityError as exc:
                if attempt == attempts - 1 or not _is_unique_violation(exc):
                    raise Conflict("a concurrent change collided with this one; try again") from exc
            except OperationalError as exc:
                if attempt == attempts - 1 or not _is_transient(exc):
                    raise
            time.sleep(0.01 * (attempt + 1))
        raise AssertionError("unreachable")  # pragma: no cover

    def dispose(self):
        self.engine.dispose()


def _is_unique_violation(exc: IntegrityError) -> bool:
    msg = str(exc.orig).lower()
    return "unique" in msg or "duplicate key" in msg


def _is_transient(exc: OperationalError) -> bool:
    msg = str(exc.orig).lower()
    return "locked" in msg or "deadlock" in msg or "could not serialize" in msg


def alembic_config(url: str):
    from alembic.config import Config  # here: a service never migrates, and alembic costs memory
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> str:
    """Create or upgrade the database schema; returns the URL used (password hidden)."""

    url = database_url(url)
    from alembic import command
    command.upgrade(alembic_config(url), revision)
    return make_engine(url).url.render_as_string(hide_password=True)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        from alembic.migration import MigrationContext
        return MigrationContext.configure(conn).get_current_revision()
