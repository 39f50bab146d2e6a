"""Kiosk sessions: one person's passage at one kiosk, held by an opaque token.

The token is returned to the kiosk page after identification and expires after
``KIOSK_SESSION_MINUTES``; it is stored hashed.  A reset (idle timeout, "start over")
expires it at once, so nothing of the person remains usable after they leave.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from attestation.checkin import Refused
from attestation.db import is_postgresql
from attestation.accounts import KioskIdentity
from attestation.models import KioskSession, RosterEntry
from attestation.timeutil import utcnow
from attestation.vocabulary import Refusal


class Acknowledgements:
    """The moments a person acknowledged the stage plan and the device rules, held by the
    kiosk app until their check-in writes them with it, in the same transaction.

    They are kept here, not written one by one: each write is an fsync on the Pi's SD
    card, and the law needs the moments recorded with the check-in, not before it.  A
    restart of the kiosk app in between loses them; the check-in then records the moment
    of the check-in itself, which the person confirms on the same screen.  Entries older
    than ``ttl`` seconds (a session's lifetime) are dropped.
    """

    def __init__(self, ttl: float = 600.0):
        self.ttl = ttl
        self._held: dict[str, tuple[float, dict[str, dt.datetime]]] = {}
        # The sessions this process opened and has not seen end: digest -> (kiosk id,
        # language, monotonic expiry), so an acknowledgement needs no database read.
        self._open: dict[str, tuple[int, str, float]] = {}
        self._lock = threading.Lock()

    def opened(self, token: str, kiosk_id: int, language: str) -> None:
        """A session this process has just opened (and committed), live for ``ttl``."""
        with self._lock:
            self._open[_digest(token)] = (kiosk_id, language, time.monotonic() + self.ttl)

    def language_of(self, token: str, kiosk_id: int) -> str | None:
        """The language of a live session this process opened for this kiosk, or None: then
        only the database can say (another process opened it, or this one restarted since).
        The check-in itself reads the session again, locked, whatever this said."""
        with self._lock:
            kiosk, language, until = self._open.get(_digest(token), (None, None, 0.0))
        return language if kiosk == kiosk_id and time.monotonic() < until else None

    def note(self, token: str, what: str, at: dt.datetime) -> None:
        """Remember the first moment ``what`` ("stages" or "rules") was acknowledged."""
        now = time.monotonic()
        with self._lock:
            for key in [k for k, (t, _) in self._held.items() if now - t > self.ttl]:
                del self._held[key]
            for key in [k for k, (_kiosk, _lang, until) in self._open.items() if until <= now]:
                del self._open[key]
            self._held.setdefault(_digest(token), (now, {}))[1].setdefault(what, at)

    def of(self, token: str) -> dict[str, dt.datetime]:
        with self._lock:
            return dict(self._held.get(_digest(token), (0, {}))[1])

    def forget(self, token: str) -> None:
        """The session ended (checked in, or reset): nothing of it is held any more."""
        with self._lock:
            self._held.pop(_digest(token), None)
            self._open.pop(_digest(token), None)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(session: Session, kiosk: KioskIdentity, entry: RosterEntry, language: str,
           method: str, minutes: int) -> str:
    token = secrets.token_urlsafe(24)
    session.add(KioskSession(token_hash=_digest(token), kiosk_id=kiosk.id,
                             roster_entry_id=entry.id, language=language, identified_by=method,
                             expires_at=utcnow() + dt.timedelta(minutes=minutes)))
    return token


def get(session: Session, kiosk: KioskIdentity, token, *, lock: bool = False) -> KioskSession:
    """The live session of this kiosk with this token, or a ``session_expired`` refusal."""
    if not isinstance(token, str) or not token:
        raise Refused(Refusal.SESSION_EXPIRED)
    query = select(KioskSession).where(KioskSession.token_hash == _digest(token),
                                       KioskSession.kiosk_id == kiosk.id)
    if lock and is_postgresql(session):
        query = query.with_for_update()
    found = session.execute(query).scalar()
    if found is None or found.expires_at <= utcnow():
        raise Refused(Refusal.SESSION_EXPIRED)
    return found


def end(session: Session, kiosk: KioskIdentity, token) -> bool:
    try:
        found = get(session, kiosk, token)
    except Refused:
        return False
    found.expires_at = utcnow()
    return True
