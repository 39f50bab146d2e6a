"""The append-only audit log: who changed what, when, from which device.

Three defences, each against a stronger attacker:

* **The chain.**  Each entry carries the SHA-256 of its own content and of the previous
  entry's hash, so changing, inserting or deleting an entry breaks the chain there.  The
  database refuses UPDATE/DELETE on the table (triggers of the first migration).
* **The key.**  Each entry's hash is also signed, HMAC-SHA256 with a key kept outside the
  database (:mod:`attestation.audit_anchor`): whoever can write the database but not read
  the key cannot recompute a rewritten chain or append an entry that verifies.
* **Checkpoints.**  After every commit that appended, the chain head (entry id, hash,
  signature) is published outside the database: to the journal through the log, to a
  checkpoint file, and on every printed act and protocol.  A truncated or rewritten log no
  longer matches what was published.

:func:`verify` checks all three, and that the triggers are still there.  On PostgreSQL
appends are serialised with a transaction-scoped advisory lock, taken as late as possible
(append last in a transaction) and released at commit; on SQLite write transactions are
already serialised by BEGIN IMMEDIATE.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from . import audit_anchor
from .audit_actions import ACTIONS
from .db import is_postgresql
from .models import AuditEntry
from .timeutil import utcnow

GENESIS = "0" * 64
_PG_LOCK_KEY = 0x41554449  # "AUDI"
_TAIL = "audit_chain_tail"  # session.info: (the transaction, the hash it last appended)
_COLUMNS = ("at", "actor", "device", "action", "subject_type", "subject_id", "sitting_id",
            "before", "after", "prev_hash", "hash", "mac")
_INSERT = insert(AuditEntry.__table__).returning(AuditEntry.__table__.c.id)
_LAST_HASH = select(AuditEntry.__table__.c.hash).order_by(AuditEntry.__table__.c.id.desc()).limit(1)


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
    """Append one entry in the caller's transaction (call it after the change it records).

    ``action`` is one of :data:`attestation.audit_actions.ACTIONS` (ValueError otherwise:
    an action nobody could read in words is a mistake of the code, not of the user)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}: add it to attestation.audit_actions")
    session.connection()  # begun, so the transaction below is this one's, never None
    transaction = session.get_transaction()
    tail = session.info.get(_TAIL)
    if tail is not None and tail[0] is transaction:
        # Appended already in this transaction, which holds the chain since (SQLite's write
        # lock, PostgreSQL's advisory lock): nobody else can have appended in between.
        prev = tail[1]
    else:
        if is_postgresql(session):
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        prev = session.connection().execute(_LAST_HASH).scalar() or GENESIS
    entry = AuditEntry(
        at=utcnow(), actor=actor.name,
        device=actor.device, action=action, subject_type=subject_type,
        subject_id=str(subject_id), sitting_id=sitting_id,
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None, prev_hash=prev)
    entry.hash = entry_hash(prev, entry)
    key = session.info.get(audit_anchor.KEY)
    entry.mac = audit_anchor.sign(key, entry.hash) if key else None
    # One built INSERT on the connection, not the ORM's unit of work: every change, kiosk
    # or agent, appends one to three entries, and a flush each was a third of an unlock's CPU.
    # The change it records is flushed first, so the entry still follows it.
    session.flush()
    entry.id = session.connection().execute(_INSERT, {c: getattr(entry, c) for c in _COLUMNS}).scalar_one()
    session.info[audit_anchor.PENDING_HEAD] = audit_anchor.Checkpoint(entry.id, entry.hash, entry.mac)
    session.info[_TAIL] = (transaction, entry.hash)
    return entry


def head(session: Session) -> audit_anchor.Checkpoint | None:
    """The chain's last entry now, as printed on documents (None: the log is empty)."""
    row = session.execute(select(AuditEntry.id, AuditEntry.hash, AuditEntry.mac)
                          .order_by(AuditEntry.id.desc()).limit(1)).first()
    return audit_anchor.Checkpoint(*row) if row else None


@dataclasses.dataclass
class VerifyResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    problem: str = ""
    #: Entries whose signature was checked, and the first of them (None: none signed).
    signed: int = 0
    first_signed_id: int | None = None
    #: Checkpoints compared with the log.
    checkpoints: int = 0
    #: What this verification could not vouch for: codes of :data:`WARNINGS`.
    warnings: list[str] = dataclasses.field(default_factory=list)


#: What a verification that passed could not vouch for.
WARNINGS = {
    "no_key": "no audit key: signatures not checked",
    "unsigned": "no entry is signed",
    "no_checkpoint": "no checkpoint compared: a truncated end would go unnoticed",
}


def verify(session: Session, key: bytes | None = None,
           checkpoints: Iterable[audit_anchor.Checkpoint] = (), batch: int = 1000) -> VerifyResult:
    """Walk the whole chain in order; report the first thing wrong.

    Wrong is: a dropped append-only trigger; a broken link or changed content; with
    ``key``, a missing or wrong signature after the first signed entry; an entry that
    differs from a published checkpoint, or a log that ends before one (truncated).
    """
    result = VerifyResult(True, 0)
    if not _triggers_present(session):
        return dataclasses.replace(result, ok=False, problem=(
            "the database triggers that keep the log append-only were dropped"))
    expected: dict[int, list[audit_anchor.Checkpoint]] = {}
    for checkpoint in checkpoints:
        expected.setdefault(checkpoint.entry_id, []).append(checkpoint)
    prev, last_id = GENESIS, 0
    while True:
        rows = session.execute(select(AuditEntry).where(AuditEntry.id > last_id)
                               .order_by(AuditEntry.id).limit(batch)).scalars().all()
        if not rows:
            break
        for entry in rows:
            problem = _entry_problem(entry, prev, key, result, expected.pop(entry.id, ()))
            if problem:
                return dataclasses.replace(result, ok=False, broken_id=entry.id, problem=problem)
            prev, last_id = entry.hash, entry.id
            result.checked += 1
        session.expunge_all()
    if expected:
        missing = max(expected)
        return dataclasses.replace(result, ok=False, broken_id=missing, problem=(
            f"the log ends at entry {last_id}, but entry {missing} was published as a "
            f"checkpoint: entries were deleted from its end (truncated)"
            if missing > last_id else f"entry {missing}, published as a checkpoint, is missing"))
    if key is None:
        result.warnings.append("no_key")
    elif result.first_signed_id is None and result.checked:
        result.warnings.append("unsigned")
    if not result.checkpoints:
        result.warnings.append("no_checkpoint")
    return result


def _entry_problem(entry: AuditEntry, prev: str, key: bytes | None, result: VerifyResult,
                   published: Iterable[audit_anchor.Checkpoint]) -> str:
    if entry.prev_hash != prev:
        return ("its link to the previous entry is broken "
                "(an entry before it was removed, inserted or changed)")
    if entry_hash(prev, entry) != entry.hash:
        return "its content was changed"
    if key is not None:
        if entry.mac is None:
            if result.first_signed_id is not None:
                return ("it is not signed, though entries before it are "
                        "(appended by someone without the audit key)")
        elif not audit_anchor.signature_matches(key, entry.hash, entry.mac):
            return ("its signature does not match: the log was rewritten or the entry forged "
                    "without the audit key (or the key is not this log's)")
        else:
            result.signed += 1
            result.first_signed_id = result.first_signed_id or entry.id
    for checkpoint in published:
        if not entry.hash.startswith(checkpoint.entry_hash):  # printed ones are a prefix
            return "it differs from the checkpoint published when it was written (rewritten)"
        result.checkpoints += 1
    return ""


def _triggers_present(session: Session) -> bool:
    if not is_postgresql(session):
        names = set(session.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'")).scalars())
        return {"audit_log_no_update", "audit_log_no_delete"} <= names
    names = set(session.execute(text(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_log'::regclass "
        "AND NOT tgisinternal AND tgenabled <> 'D'")).scalars())
    return {"audit_log_append_only", "audit_log_no_truncate"} <= names
