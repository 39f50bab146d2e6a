"""The one database a benchmark runs on: new, migrated, and gone afterwards."""

from __future__ import annotations

import contextlib
import pathlib
import secrets
import tempfile

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from attestation import db as dbmod


@contextlib.contextmanager
def fresh_database(url: str | None, directory: str | None = None):
    """Yield ``(url, tmp)``: a new, migrated database and a temporary directory for the
    run's files.  SQLite (``url`` None or ``sqlite:``): a file in that directory, made in
    ``directory`` if given (the SD card rather than tmpfs, for a commit's real price).
    PostgreSQL: a database created for this run on the server ``url`` names, dropped after,
    so a benchmark never writes into a database that holds anything else."""
    with tempfile.TemporaryDirectory(prefix="bench-", dir=directory) as tmp:
        if url is None or url.startswith("sqlite"):
            target = f"sqlite:///{tmp}/bench.db"
            dbmod.upgrade(target)
            yield target, pathlib.Path(tmp)
            return
        server = make_url(dbmod.database_url(url))
        name = f"bench_{secrets.token_hex(4)}"
        admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        target = server.set(database=name).render_as_string(hide_password=False)
        try:
            dbmod.upgrade(target)
            yield target, pathlib.Path(tmp)
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
