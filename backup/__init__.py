"""Backups that leave the SD card, and their restore.

:func:`take` makes a consistent copy while the services run, names it by time, verifies
it, keeps the newest ``keep`` copies and copies it to further places (a USB stick's mount
point, another host over SSH):

* SQLite: the online backup API of :mod:`sqlite3` (a page-by-page copy that sees one
  committed state, while kiosks keep writing); the copy is checked with ``PRAGMA
  integrity_check`` and its audit chain verified with the audit key.
* PostgreSQL: ``pg_dump -Fc`` (one snapshot); the dump is restored into a scratch
  database on the same server, where the audit chain is verified, then dropped.

A copy is named ``attestation-YYYYMMDDTHHMMSSffffffZ.sqlite3`` (or ``.pgdump``), by its UTC
time to the microsecond, and gets that name only once verified.  ``last-good.json`` in the backup directory
is what the panel's health reads.  :func:`restore` writes a copy into an *empty* database
and verifies the chain there.
"""

from . import copies  # noqa: F401
from .copies import Backup, BackupError, Status, needed, status, take, verify_copy  # noqa: F401
from .restore import restore  # noqa: F401
