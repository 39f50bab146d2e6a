"""Fixtures shared by the suite.

``db_url`` is parametrised over SQLite and PostgreSQL: every test that takes it (or
``db``) runs on both.  PostgreSQL comes from ``DATABASE_URL_PG`` (``make test`` starts
a throwaway server and sets it); without it the PostgreSQL half is skipped, unless
``REQUIRE_POSTGRES=1`` (as in ``make test`` and CI), where its absence is a failure.
Each test gets a fresh database: a migrated template is made once per run and copied.
"""

from __future__ import annotations

import itertools
import os
import pathlib
import shutil
import uuid

import pytest
import sqlalchemy as sa
from hypothesis import settings

from attestation import db as dbmod

# Property tests are derandomized in `make test`, so a run fails only for what changed
# (a fixed seed per test; no example database carrying failures between runs).
# `HYPOTHESIS_PROFILE=explore make test` searches at random, for a longer hunt.
settings.register_profile("derandomized", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", max_examples=500, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "derandomized"))

PG_URL = os.environ.get("DATABASE_URL_PG")
_counter = itertools.count()


def pytest_configure(config):
    """Every process of the suite (the CLI and services it starts too) signs the audit log
    with one key of this run, as every process of a venue does with the venue's key."""
    import tempfile

    from attestation import audit_anchor
    if not os.environ.get(audit_anchor.KEY_ENV):
        path = pathlib.Path(tempfile.mkdtemp(prefix="audit-key-")) / "audit.key"
        audit_anchor.write_key(path)
        os.environ[audit_anchor.KEY_ENV] = str(path)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    dbmod.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template():
    if not PG_URL:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("REQUIRE_POSTGRES=1 but DATABASE_URL_PG is not set")
        pytest.skip("no PostgreSQL server (DATABASE_URL_PG unset); run `make test`")
    name = f"tmpl_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(PG_URL).set(database=name)
    dbmod.upgrade(url.render_as_string(hide_password=False))
    sa.create_engine(url).dispose()
    yield admin, name
    admin.dispose()


def _fresh_pg(pg_template) -> str:
    admin, template = pg_template
    name = f"t_{os.getpid()}_{next(_counter)}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    return _fresh_pg(request.getfixturevalue("pg_template"))


@pytest.fixture
def sqlite_url(tmp_path, sqlite_template):
    path = tmp_path / "test.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def db(db_url):
    database = dbmod.Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def pg_url(request):
    """A fresh PostgreSQL database only (for faults that only PostgreSQL has)."""
    return _fresh_pg(request.getfixturevalue("pg_template"))


@pytest.fixture(scope="module")
def playwright():
    """Playwright driving Debian's Chromium (see tests/browser.py); no browser download."""
    from browser import require_chromium
    require_chromium()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        yield p
