"""Taking, verifying, keeping and shipping backup copies (see the package docstring)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import pathlib
import secrets
import shutil
import sqlite3
import subprocess

import sqlalchemy as sa
from sqlalchemy import select

from attestation import audit, audit_anchor
from attestation import db as dbmod
from attestation.models import AuditEntry, Sitting
from attestation.timeutil import utcnow
from attestation.vocabulary import SittingStatus

DIR_ENV, KEEP_ENV = "ATTESTATION_BACKUP_DIR", "ATTESTATION_BACKUP_KEEP"
#: 24 hours of copies every 15 minutes.
DEFAULT_KEEP = 96
#: The panel warns when the last good copy is older than this while a sitting is open
#: (twice the timer's 15 minutes), or when less than this share of a disk is free.
WARN_AGE = dt.timedelta(minutes=30)
WARN_FREE = 0.10
PREFIX = "attestation-"
SUFFIX = {"sqlite": ".sqlite3", "postgresql": ".pgdump"}
LAST_GOOD = "last-good.json"


class BackupError(RuntimeError):
    """A copy could not be taken, verified, shipped or restored (the message says which)."""


@dataclasses.dataclass(frozen=True)
class Backup:
    path: pathlib.Path
    taken_at: dt.datetime
    bytes: int
    audit_entries: int
    seconds: float
    shipped: tuple[str, ...] = ()


def backup_dir(explicit: str | os.PathLike | None = None) -> pathlib.Path:
    """``explicit``, else ``ATTESTATION_BACKUP_DIR``, else ``backups/`` in the data directory."""
    if explicit:
        return pathlib.Path(explicit)
    if os.environ.get(DIR_ENV):
        return pathlib.Path(os.environ[DIR_ENV])
    return dbmod.DEFAULT_SQLITE_PATH.parent / "backups"


def engine_kind(url: str) -> str:
    return "sqlite" if dbmod.database_url(url).startswith("sqlite") else "postgresql"


def sqlite_path(url: str) -> pathlib.Path:
    return pathlib.Path(sa.engine.make_url(dbmod.database_url(url)).database)


def libpq_url(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as libpq (pg_dump, pg_restore) reads it."""
    parsed = sa.engine.make_url(dbmod.database_url(url)).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def pg_tool(name: str) -> str:
    """The newest installed ``pg_dump``/``pg_restore`` (a dump needs one at least as new as
    the server), else the one on PATH."""
    found = sorted(pathlib.Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if found:
        return str(found[-1])
    if shutil.which(name):
        return shutil.which(name)
    raise BackupError(f"{name} is not installed (apt-get install postgresql-client)")


def run_tool(args: list[str]) -> None:
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{pathlib.Path(args[0]).name} failed: {result.stderr.strip()[-500:]}")


# -- taking a copy ---------------------------------------------------------------------------

def take(url: str | None = None, to: str | os.PathLike | None = None, *, keep: int | None = None,
         also: tuple[str, ...] = (), ssh: tuple[str, ...] = (),
         key: bytes | None | object = dbmod.FROM_ENV) -> Backup:
    """Copy the database at ``url`` into ``to``, verify the copy, keep the newest ``keep``,
    and copy it on to each directory of ``also`` and each ``host:path`` of ``ssh``."""
    url = dbmod.database_url(url)
    kind = engine_kind(url)
    key = audit_anchor.load_key() if key is dbmod.FROM_ENV else key
    keep = keep if keep is not None else int(os.environ.get(KEEP_ENV, DEFAULT_KEEP))
    if keep < 1:
        raise BackupError("keep at least one copy")
    directory = backup_dir(to)
    directory.mkdir(parents=True, exist_ok=True)
    started, taken_at = utcnow(), utcnow()
    final = _free_name(directory, taken_at, SUFFIX[kind])
    partial = final.with_name(final.name + ".part")
    try:
        if kind == "sqlite":
            sqlite_copy(sqlite_path(url), partial)
        else:
            run_tool([pg_tool("pg_dump"), "-Fc", "--no-owner", "-f", str(partial), libpq_url(url)])
        entries = verify_copy(partial, url, key=key)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.rename(final)  # only a verified copy gets a backup's name
    seconds = (utcnow() - started).total_seconds()
    backup = Backup(final, taken_at, final.stat().st_size, entries, seconds)
    shipped = [_copy_to(final, pathlib.Path(d), keep) for d in also]
    shipped += [_ship_ssh(final, target) for target in ssh]
    backup = dataclasses.replace(backup, shipped=tuple(shipped))
    _prune(directory, keep)
    (directory / LAST_GOOD).write_text(json.dumps({
        "path": str(final), "taken_at": taken_at.isoformat(), "bytes": backup.bytes,
        "audit_entries": entries, "shipped": list(shipped)}), encoding="utf-8")
    return backup


def _free_name(directory: pathlib.Path, moment: dt.datetime, suffix: str) -> pathlib.Path:
    # Microseconds in the name: two copies in one second still sort in the order taken.
    stem = PREFIX + moment.strftime("%Y%m%dT%H%M%S%fZ")
    path, n = directory / f"{stem}{suffix}", 1
    while path.exists() or path.with_name(path.name + ".part").exists():
        n += 1
        path = directory / f"{stem}-{n}{suffix}"
    return path


def sqlite_copy(source: pathlib.Path, target: pathlib.Path) -> None:
    if not source.is_file():
        raise BackupError(f"no database file {source}")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=dbmod.SQLITE_BUSY_TIMEOUT_MS / 1000)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # one consistent snapshot; writers are not blocked (WAL)
    finally:
        dst.close()
        src.close()


def verify_copy(path: pathlib.Path, url: str | None = None, *,
                key: bytes | None | object = dbmod.FROM_ENV) -> int:
    """Check a copy; returns the number of audit entries verified, or raises BackupError.

    SQLite copies: ``PRAGMA integrity_check`` and the audit chain.  PostgreSQL dumps:
    restored into a scratch database on the server of ``url``, chain verified, dropped.
    """
    key = audit_anchor.load_key() if key is dbmod.FROM_ENV else key
    if path.name.removesuffix(".part").endswith(SUFFIX["sqlite"]):
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{path.name} is not a readable SQLite database: {exc}") from None
        finally:
            conn.close()
        if verdict != "ok":
            raise BackupError(f"{path.name} fails the integrity check: {verdict}")
        return verify_chain(f"sqlite:///{path}", key, path.name)
    if url is None or engine_kind(url) != "postgresql":
        raise BackupError("a PostgreSQL dump is verified on a PostgreSQL server: give its URL")
    with scratch_database(url) as scratch:
        run_tool([pg_tool("pg_restore"), "--no-owner", "--exit-on-error", "-d", libpq_url(scratch),
                  str(path)])
        return verify_chain(scratch, key, path.name)


def verify_chain(url: str, key: bytes | None, name: str) -> int:
    copy = dbmod.Database(url, audit_key=key, publisher=None)
    try:
        with copy.read() as s:
            result = audit.verify(s, key=key)
    finally:
        copy.dispose()
    if not result.ok:
        raise BackupError(f"the audit log of {name} is broken at entry {result.broken_id}: "
                          f"{result.problem}")
    return result.checked


class scratch_database:
    """A throwaway database beside the one at ``url`` (needs the CREATEDB right)."""

    def __init__(self, url: str):
        self.base = sa.engine.make_url(dbmod.database_url(url))
        self.name = f"attestation_scratch_{os.getpid()}_{secrets.token_hex(4)}"

    def _admin(self):
        return sa.create_engine(self.base, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)

    def __enter__(self) -> str:
        engine = self._admin()
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
        except sa.exc.DBAPIError as exc:
            raise BackupError(f"cannot make a scratch database to verify the dump: {exc.orig}") from None
        finally:
            engine.dispose()
        return self.base.set(database=self.name).render_as_string(hide_password=False)

    def __exit__(self, *exc):
        engine = self._admin()
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            engine.dispose()


# -- keeping and shipping --------------------------------------------------------------------

def copies(directory: pathlib.Path) -> list[pathlib.Path]:
    """The backup copies in ``directory``, oldest first."""
    return sorted(p for p in directory.glob(f"{PREFIX}*") if p.suffix in SUFFIX.values())


def _prune(directory: pathlib.Path, keep: int) -> None:
    for old in copies(directory)[:-keep]:
        old.unlink()


def _copy_to(path: pathlib.Path, directory: pathlib.Path, keep: int) -> str:
    """Onto a second device (a USB stick's mount point): written whole, then named."""
    if not directory.is_dir():
        raise BackupError(f"{directory} is not a directory (is the stick mounted?)")
    partial = directory / (path.name + ".part")
    shutil.copyfile(path, partial)
    with open(partial, "rb") as f:
        os.fsync(f.fileno())
    partial.rename(directory / path.name)
    _prune(directory, keep)
    return str(directory / path.name)


def _ship_ssh(path: pathlib.Path, target: str) -> str:
    """To another host: ``user@host:/dir`` with the service user's SSH key (BatchMode: a
    missing key or host key is an error, never a prompt)."""
    if ":" not in target:
        raise BackupError(f"{target!r}: write the SSH target as user@host:/directory")
    run_tool(["scp", "-q", "-B", "-o", "BatchMode=yes", str(path), target.rstrip("/") + "/"])
    return target


# -- status and the timer's question ---------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Status:
    last_good_at: dt.datetime | None
    age: dt.timedelta | None
    free_fraction: float
    warnings: tuple[str, ...]


def status(directory: pathlib.Path | None = None, database_file: pathlib.Path | None = None,
           sitting_open: bool = False) -> Status:
    """The age of the last good copy and the free space, with what deserves a warning:
    codes ``no_backup``, ``backup_old`` (while a sitting is open) and ``disk_full``."""
    directory = directory or backup_dir()
    last, age = None, None
    try:
        data = json.loads((directory / LAST_GOOD).read_text(encoding="utf-8"))
        last = dt.datetime.fromisoformat(data["taken_at"])
        age = utcnow() - last
    except (OSError, ValueError, KeyError):
        pass
    free = 1.0
    for place in (directory, database_file):
        probe = place if place is not None and place.exists() else (place.parent if place else None)
        if probe is not None and probe.exists():
            usage = shutil.disk_usage(probe)
            free = min(free, usage.free / usage.total)
    warnings = []
    if last is None:
        warnings.append("no_backup")
    elif sitting_open and age > WARN_AGE:
        warnings.append("backup_old")
    if free < WARN_FREE:
        warnings.append("disk_full")
    return Status(last, age, free, tuple(warnings))


def needed(session, directory: pathlib.Path | None = None) -> bool:
    """The timer's question: a sitting is open, or one was closed since the last good copy."""
    if session.execute(select(Sitting.id).where(Sitting.status == SittingStatus.OPEN).limit(1)).first():
        return True
    last = status(directory).last_good_at
    closed = session.execute(select(sa.func.max(AuditEntry.at)).where(
        AuditEntry.action == f"sitting.{SittingStatus.CLOSED}")).scalar()
    return closed is not None and (last is None or closed > last)
