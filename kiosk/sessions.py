"""Kiosk sessions: one person's passage at one kiosk, held by an opaque token.

The token is returned to the kiosk page after identification and expires after
``KIOSK_SESSION_MINUTES``; it is stored hashed.  A reset (idle timeout, "start over")
expires it at once, so nothing of the person remains usable after they leave.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from attestation.checkin import Refused
from attestation.models import KioskDevice, KioskSession, RosterEntry
from attestation.timeutil import utcnow


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(session: Session, kiosk: KioskDevice, entry: RosterEntry, language: str,
           method: str, minutes: int) -> str:
    token = secrets.token_urlsafe(24)
    session.add(KioskSession(token_hash=_digest(token), kiosk_id=kiosk.id,
                             roster_entry_id=entry.id, language=language, identified_by=method,
                             expires_at=utcnow() + dt.timedelta(minutes=minutes)))
    return token


def get(session: Session, kiosk: KioskDevice, token, *, lock: bool = False) -> KioskSession:
    """The live session of this kiosk with this token, or a ``session_expired`` refusal."""
    if not isinstance(token, str) or not token:
        raise Refused("session_expired")
    query = select(KioskSession).where(KioskSession.token_hash == _digest(token),
                                       KioskSession.kiosk_id == kiosk.id)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    found = session.execute(query).scalar()
    if found is None or found.expires_at <= utcnow():
        raise Refused("session_expired")
    return found


def end(session: Session, kiosk: KioskDevice, token) -> bool:
    try:
        found = get(session, kiosk, token)
    except Refused:
        return False
    found.expires_at = utcnow()
    return True
