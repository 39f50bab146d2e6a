"""What anchors the audit log outside the database: its signing key and its checkpoints.

**The key** is 32 random bytes, written as 64 hex digits in a file outside the database.
It is looked for, in order: ``$CREDENTIALS_DIRECTORY/audit-key`` (a systemd credential,
``LoadCredential=audit-key:/etc/attestation/audit.key``, so the file itself may be
root-only); the file named by ``ATTESTATION_AUDIT_KEY_FILE``; ``/etc/attestation/audit.key``.
No key: entries are appended unsigned, and ``kioskctl audit verify`` says so.  Every
process that appends to one log (kiosks, agents, the panel, ``kioskctl``, on every host of
a shared PostgreSQL) must hold the same key.

**A checkpoint** is the chain head after a commit: entry id, hash and signature.  It is
logged as one line ``audit-checkpoint {"id": ..., "hash": ..., "mac": ...}`` (the
services' log goes to the journal, which the service user cannot rewrite) and appended to
the file named by ``ATTESTATION_AUDIT_CHECKPOINT_FILE`` if set.  :func:`read_checkpoints`
reads either back.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import logging
import os
import pathlib
import re
import secrets
from collections.abc import Iterable

from sqlalchemy import event
from sqlalchemy.orm import Session

KEY_ENV = "ATTESTATION_AUDIT_KEY_FILE"
CHECKPOINT_FILE_ENV = "ATTESTATION_AUDIT_CHECKPOINT_FILE"
CREDENTIAL = "audit-key"
DEFAULT_KEY_FILE = pathlib.Path("/etc/attestation/audit.key")
#: ``session.info`` keys: the signing key, the head appended in the open transaction and
#: where a committed head is published.
KEY, PENDING_HEAD, PUBLISHER = "audit_key", "audit_pending_head", "audit_publisher"

MARK = "audit-checkpoint"
_LINE = re.compile(re.escape(MARK) + r" (\{.*\})")
log = logging.getLogger("attestation.audit")


class AuditKeyError(ValueError):
    """The audit key file exists but cannot be used."""


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    entry_id: int
    entry_hash: str
    mac: str | None = None

    def line(self) -> str:
        return f"{MARK} " + json.dumps({"id": self.entry_id, "hash": self.entry_hash,
                                        "mac": self.mac}, separators=(",", ":"))

    @property
    def printed(self) -> str:
        """The form printed on documents: entry id and the first 16 hex digits of its hash."""
        return f"{self.entry_id}:{self.entry_hash[:16]}"


def sign(key: bytes, entry_hash: str) -> str:
    return hmac.new(key, entry_hash.encode("ascii"), hashlib.sha256).hexdigest()


def signature_matches(key: bytes, entry_hash: str, mac: str) -> bool:
    return hmac.compare_digest(sign(key, entry_hash), mac)


def key_path(explicit: str | os.PathLike | None = None) -> pathlib.Path | None:
    """Where the key is read from (see the module docstring), or None: no key anywhere."""
    candidates = [explicit] if explicit else [
        pathlib.Path(os.environ["CREDENTIALS_DIRECTORY"]) / CREDENTIAL
        if os.environ.get("CREDENTIALS_DIRECTORY") else None,
        os.environ.get(KEY_ENV) or None, DEFAULT_KEY_FILE]
    for candidate in candidates:
        if candidate and pathlib.Path(candidate).is_file():
            return pathlib.Path(candidate)
    if explicit:
        raise AuditKeyError(f"no audit key file {explicit}")
    return None


def load_key(explicit: str | os.PathLike | None = None) -> bytes | None:
    path = key_path(explicit)
    if path is None:
        return None
    try:
        text = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise AuditKeyError(f"the audit key {path} cannot be read: {exc}") from None
    if len(key) < 32:
        raise AuditKeyError(f"the audit key {path} is shorter than 32 bytes")
    return key


def write_key(path: str | os.PathLike) -> pathlib.Path:
    """A new random key in a new file readable by its owner only; never overwrites one."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(secrets.token_hex(32) + "\n")
    return path


class Publisher:
    """Publishes a committed chain head to the log (the journal) and the checkpoint file."""

    def __init__(self, checkpoint_file: str | os.PathLike | None = None):
        self.checkpoint_file = pathlib.Path(checkpoint_file) if checkpoint_file else None

    @classmethod
    def from_env(cls) -> "Publisher":
        return cls(os.environ.get(CHECKPOINT_FILE_ENV) or None)

    def publish(self, head: Checkpoint) -> None:
        line = head.line()
        log.info(line)
        if self.checkpoint_file is not None:
            try:
                # One short O_APPEND write: lines of several processes never interleave.
                with open(self.checkpoint_file, "a", encoding="ascii") as f:
                    f.write(line + "\n")
            except OSError as exc:  # a full disk must not undo a committed check-in
                log.warning("audit checkpoint not written to %s: %s", self.checkpoint_file, exc)

    def published(self) -> list[Checkpoint]:
        """What this publisher's checkpoint file holds (the journal is read by the CLI)."""
        if self.checkpoint_file is None or not self.checkpoint_file.is_file():
            return []
        with open(self.checkpoint_file, encoding="ascii", errors="replace") as f:
            return read_checkpoints(f)


def session_info(key: bytes | None, publisher: Publisher | None) -> dict:
    """The ``info`` of a sessionmaker whose sessions sign appends and publish heads."""
    return {KEY: key, PUBLISHER: publisher}


def install(factory) -> None:
    """Publish the chain head after every commit of ``factory``'s sessions that appended."""
    @event.listens_for(factory, "after_commit")
    def _publish(session: Session):
        head = session.info.pop(PENDING_HEAD, None)
        if head is not None and session.info.get(PUBLISHER) is not None:
            session.info[PUBLISHER].publish(head)

    @event.listens_for(factory, "after_rollback")
    def _forget(session: Session):
        session.info.pop(PENDING_HEAD, None)


def read_checkpoints(lines: Iterable[str]) -> list[Checkpoint]:
    """Checkpoints from a checkpoint file or from ``journalctl -o cat`` output; other lines
    are skipped, a damaged checkpoint line too (it proves nothing either way)."""
    found = []
    for line in lines:
        match = _LINE.search(line)
        if not match:
            continue
        try:
            data = json.loads(match.group(1))
            found.append(Checkpoint(int(data["id"]), str(data["hash"]), data.get("mac")))
        except (ValueError, KeyError, TypeError):
            continue
    return found


def parse_printed(text: str) -> Checkpoint:
    """A checkpoint copied from a printed document: ``ID:HASHPREFIX``."""
    match = re.fullmatch(r"\s*(\d+):([0-9a-f]{16,64})\s*", text or "")
    if not match:
        raise ValueError(f"{text!r} is not ID:HASH as printed on a document")
    return Checkpoint(int(match.group(1)), match.group(2))
