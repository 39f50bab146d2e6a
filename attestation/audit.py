"""The append-only audit log: who changed what, when, from which device.

Each entry carries the SHA-256 of its own content and of the previous entry's hash, so
changing, inserting or deleting any entry breaks the chain at that point; :func:`verify`
finds the first broken link.  The database refuses UPDATE/DELETE on the table (triggers in
the first migration).  On PostgreSQL appends are serialised with a transaction-scoped
advisory lock, taken as late as possible (append last in a transaction) and released at
commit; on SQLite write transactions are already serialised by BEGIN IMMEDIATE.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from .models import AuditEntry
from .timeutil import utcnow

GENESIS = "0" * 64
_PG_LOCK_KEY = 0x41554449  # "AUDI"


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who acts (``user:NAME``, ``kiosk:NAME``, ``agent:CABINET``, ``cli:USER``) and from where."""

    name: str
    device: str = ""


def jsonable(value: Any) -> Any:
    """Make before/after snapshots JSON-safe and stable (dates as ISO text)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return value


def _canonical_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat(timespec="microseconds")


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    body = {
        "prev": prev_hash, "at": _canonical_time(entry.at), "actor": entry.actor,
        "device": entry.device, "action": entry.action, "subject_type": entry.subject_type,
        "subject_id": entry.subject_id, "sitting_id": entry.sitting_id,
        "before": entry.before, "after": entry.after,
    }
    raw = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def append(session: Session, actor: Actor, action: str, subject_type: str, subject_id,
           *, before: dict | None = None, after: dict | None = None,
           sitting_id: int | None = None) -> AuditEntry:
    """Append one entry in the caller's transaction (call it after the change it records)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    prev = session.execute(
        select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).scalar() or GENESIS
    entry = AuditEntry(
        at=utcnow(), actor=actor.name,
        device=actor.device, action=action, subject_type=subject_type,
        subject_id=str(subject_id), sitting_id=sitting_id,
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None, prev_hash=prev)
    entry.hash = entry_hash(prev, entry)
    session.add(entry)
    session.flush()
    return entry


@dataclasses.dataclass
class VerifyResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    problem: str = ""


def verify(session: Session, batch: int = 1000) -> VerifyResult:
    """Walk the whole chain in order; report the first entry whose link or content is wrong."""
    prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = session.execute(select(AuditEntry).where(AuditEntry.id > last_id)
                               .order_by(AuditEntry.id).limit(batch)).scalars().all()
        if not rows:
            return VerifyResult(True, checked)
        for entry in rows:
            if entry.prev_hash != prev:
                return VerifyResult(False, checked, entry.id,
                                    "its link to the previous entry is broken "
                                    "(an entry before it was removed, inserted or changed)")
            if entry_hash(prev, entry) != entry.hash:
                return VerifyResult(False, checked, entry.id, "its content was changed")
            prev = entry.hash
            checked += 1
            last_id = entry.id
        session.expunge_all()
