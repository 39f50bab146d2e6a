"""Restoring a copy into an empty database, then verifying it there."""

from __future__ import annotations

import pathlib

import sqlalchemy as sa

from attestation import audit_anchor
from attestation import db as dbmod
from attestation.timeutil import utcnow

from .copies import (SUFFIX, BackupError, engine_kind, libpq_url, pg_tool, run_tool, sqlite_copy,
                     sqlite_path, verify_chain, verify_copy)


def restore(path: str | pathlib.Path, url: str | None = None, *, force: bool = False,
            key: bytes | None | object = dbmod.FROM_ENV) -> int:
    """Write the copy at ``path`` into the database at ``url``; returns the audit entries
    verified there.

    The target must be empty (no tables); with ``force`` a SQLite file in the way is moved
    aside (``.replaced-<time>``, never deleted) and a PostgreSQL database is cleaned first.
    The copy is verified before anything is written.
    """
    path = pathlib.Path(path)
    url = dbmod.database_url(url)
    key = audit_anchor.load_key() if key is dbmod.FROM_ENV else key
    if not path.is_file():
        raise BackupError(f"no backup file {path}")
    kind = engine_kind(url)
    if not path.name.endswith(SUFFIX[kind]):
        raise BackupError(f"{path.name} is not a {kind} copy: restore it into a {kind} database")
    if kind == "sqlite":
        verify_copy(path, key=key)
        target = sqlite_path(url)
        if _has_tables(url) and not force:
            raise BackupError(f"{target} is not empty: restore into an empty database, or pass "
                              "--force to move it aside")
        if target.exists():
            aside = target.with_name(f"{target.name}.replaced-{utcnow():%Y%m%dT%H%M%SZ}")
            for suffix in ("", "-wal", "-shm"):
                moved = pathlib.Path(str(target) + suffix)
                if moved.exists():
                    moved.rename(pathlib.Path(str(aside) + suffix))
        target.parent.mkdir(parents=True, exist_ok=True)
        sqlite_copy(path, target)
    else:
        if _has_tables(url) and not force:
            raise BackupError("the target database is not empty: restore into an empty database, "
                              "or pass --force to clean it first")
        args = [pg_tool("pg_restore"), "--no-owner", "--exit-on-error", "-d", libpq_url(url)]
        run_tool(args + (["--clean", "--if-exists"] if force else []) + [str(path)])
    return verify_chain(url, key, path.name)


def _has_tables(url: str) -> bool:
    if engine_kind(url) == "sqlite" and not sqlite_path(url).exists():
        return False
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return bool(sa.inspect(conn).get_table_names())
    except sa.exc.OperationalError as exc:
        raise BackupError(f"cannot reach the target database: {exc.orig}") from None
    finally:
        engine.dispose()
