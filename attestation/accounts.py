"""Panel users (Argon2id password hashes) and kiosk devices (bearer tokens, stored hashed)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from collections.abc import Iterable

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session, joinedload

from . import audit, loaders
from .errors import InvalidInput, NotAllowed
from .models import KioskDevice, PanelSession, User, UserVenue, Venue
from .timeutil import utcnow
from .vocabulary import Role, values

_hasher = PasswordHasher()  # Argon2id, memory-hard (64 MiB, 3 passes by default)
MIN_PASSWORD = 10
_NAME = re.compile(r"^[A-Za-z0-9_.-]{2,80}$")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: User | None, password: str) -> bool:
    if user is None or not user.active:
        _hasher.hash(password)  # same cost whether or not the user exists
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def add_user(session: Session, username: str, role: str, password: str, full_name: str,
             actor: audit.Actor, *, venues: Iterable[Venue] = (), all_venues: bool = False
             ) -> User:
    """A new panel user of ``role`` who sees ``venues`` (or every venue: ``all_venues``)."""
    if not _NAME.match(username or ""):
        raise InvalidInput("user name: 2-80 latin letters, digits, '.', '_' or '-'")
    if role not in values(Role):
        raise InvalidInput(f"role must be one of {', '.join(Role)}", code="invalid_role")
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput(f"the password needs at least {MIN_PASSWORD} characters",
                           code="weak_password")
    if session.execute(select(User).where(User.username == username)).scalar():
        raise InvalidInput(f"user {username!r} already exists", code="duplicate")
    venues = list(venues)
    if not venues and not all_venues:
        raise InvalidInput("name the venues the user works at (--venue CODE), or every venue",
                           code="venue_required")
    user = User(username=username, role=role, full_name=full_name, all_venues=all_venues,
                password_hash=hash_password(password))
    session.add(user)
    session.flush()
    session.add_all(UserVenue(user_id=user.id, venue_id=v.id) for v in venues)
    audit.append(session, actor, "user.added", "user", user.id,
                 after={"username": username, "role": role, "full_name": full_name,
                        "venues": "all" if all_venues else sorted(v.code for v in venues)})
    return user


def user_by_name(session: Session, username: str) -> User:
    return loaders.find(session, User, username=username)


def set_user_venues(session: Session, user: User, actor: audit.Actor, *,
                    add: Iterable[Venue] = (), remove: Iterable[Venue] = (),
                    all_venues: bool | None = None) -> list[str]:
    """Give or take venues; returns the user's venue codes after (``["*"]``: every venue).

    Takes effect on the user's next request: the panel reads the scope every time.
    """
    before = _venue_codes(session, user)
    if all_venues is not None:
        user.all_venues = all_venues
    held = set(session.execute(select(UserVenue.venue_id)
                               .where(UserVenue.user_id == user.id)).scalars())
    for venue in add:
        if venue.id not in held:
            session.add(UserVenue(user_id=user.id, venue_id=venue.id))
            held.add(venue.id)
    for venue in remove:
        session.execute(delete(UserVenue).where(UserVenue.user_id == user.id,
                                                UserVenue.venue_id == venue.id))
    session.flush()
    after = _venue_codes(session, user)
    if after != before:
        audit.append(session, actor, "user.venues", "user", user.id,
                     before={"venues": before}, after={"venues": after})
    return after


def _venue_codes(session: Session, user: User) -> list[str]:
    if user.all_venues:
        return ["*"]
    return list(session.execute(select(Venue.code).join(UserVenue, UserVenue.venue_id == Venue.id)
                                .where(UserVenue.user_id == user.id).order_by(Venue.code)).scalars())


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# -- panel sessions ------------------------------------------------------------------------

#: A session's last-seen moment is written at most this often (one write a minute, not
#: one a request); idleness is measured to this precision.
SEEN_PRECISION = dt.timedelta(seconds=60)


def start_session(session: Session, user: User) -> str:
    """Record a new session for ``user``; returns its token (the cookie's only secret)."""
    token, now = secrets.token_urlsafe(32), utcnow()
    session.add(PanelSession(token_hash=token_digest(token), user_id=user.id,
                             created_at=now, last_seen_at=now))
    return token


#: What a request finds a session to be (:func:`session_verdict`).
LIVE, TOUCH, IDLE, USER_DISABLED = "live", "touch", "idle", "user_disabled"


def find_session(session: Session, token: str | None) -> PanelSession | None:
    """The session this token names, with its user, if it has not ended."""
    if not token:
        return None
    return session.execute(select(PanelSession).options(joinedload(PanelSession.user)).where(
        PanelSession.token_hash == token_digest(token), PanelSession.ended_at.is_(None))).scalar()


def session_verdict(found: PanelSession, idle: dt.timedelta) -> str:
    """``live``; ``touch`` (live, its last-seen moment due for a write); or why it is over."""
    quiet = utcnow() - found.last_seen_at
    if quiet > idle:
        return IDLE
    if not found.user.active:
        return USER_DISABLED
    return TOUCH if quiet > SEEN_PRECISION else LIVE


def settle_session(session: Session, session_id: int, verdict: str) -> None:
    """Write what :func:`session_verdict` found: the last-seen moment, or the end."""
    found = session.get(PanelSession, session_id)
    if found is None or found.ended_at is not None:
        return
    if verdict == TOUCH:
        found.last_seen_at = utcnow()
    elif verdict != LIVE:
        _end(found, verdict)


def end_session(session: Session, token: str | None, reason: str = "logout") -> None:
    found = find_session(session, token)
    if found is not None:
        _end(found, reason)


def end_user_sessions(session: Session, user_id: int, reason: str) -> int:
    """End every live session of a user (password changed, user disabled); returns how many."""
    live = session.execute(select(PanelSession).where(
        PanelSession.user_id == user_id, PanelSession.ended_at.is_(None))).scalars().all()
    for found in live:
        _end(found, reason)
    return len(live)


def _end(found: PanelSession, reason: str) -> None:
    found.ended_at, found.ended_reason = utcnow(), reason


def change_password(session: Session, user: User, password: str, actor: audit.Actor) -> None:
    """A new password, and every session of the user ended."""
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput(f"the password needs at least {MIN_PASSWORD} characters",
                           code="weak_password")
    user.password_hash = hash_password(password)
    ended = end_user_sessions(session, user.id, "password_changed")
    session.flush()
    audit.append(session, actor, "user.password_changed", "user", user.id,
                 after={"sessions_ended": ended})


def _keep_an_admin(session: Session, user: User, change: str) -> None:
    """Refuse to disable or demote the last active administrator: nobody could then
    add users or kiosks without SQL."""
    if user.role != Role.ADMIN or not user.active:
        return
    others = session.execute(select(User.id).where(User.role == Role.ADMIN, User.active.is_(True),
                                                   User.id != user.id)).first()
    if others is None:
        raise NotAllowed(f"{user.username} is the last active administrator: {change} another "
                         f"administrator first", code="last_admin")


def set_active(session: Session, user: User, active: bool, actor: audit.Actor) -> None:
    """Enable or disable a user; disabling ends every session of the user at once."""
    if not active:
        _keep_an_admin(session, user, "add")
    user.active = active
    ended = 0 if active else end_user_sessions(session, user.id, "user_disabled")
    session.flush()
    audit.append(session, actor, "user.enabled" if active else "user.disabled", "user", user.id,
                 after={"sessions_ended": ended})


def set_role(session: Session, user: User, role: str, actor: audit.Actor) -> None:
    """A new role, effective at the user's next request (the role is read at each one)."""
    if role not in values(Role):
        raise InvalidInput(f"role must be one of {', '.join(Role)}", code="invalid_role")
    if role == user.role:
        return
    if role != Role.ADMIN:
        _keep_an_admin(session, user, "make")
    before = user.role
    user.role = role
    session.flush()
    audit.append(session, actor, "user.role_changed", "user", user.id,
                 before={"role": before}, after={"role": role})


def users(session: Session) -> list[User]:
    return list(session.execute(select(User).order_by(User.username)).scalars())


def kiosks(session: Session) -> list[KioskDevice]:
    return list(session.execute(select(KioskDevice).order_by(KioskDevice.name)).scalars())


def kiosk_by_name(session: Session, name: str) -> KioskDevice:
    return loaders.find(session, KioskDevice, name=name)


def revoke_kiosk(session: Session, device: KioskDevice, actor: audit.Actor) -> None:
    """The kiosk's token stops working at its next request (``rotate`` issues a new one)."""
    if not device.active:
        return
    device.active = False
    session.flush()
    audit.append(session, actor, "kiosk.revoked", "kiosk_device", device.id, after={"name": device.name})


def rotate_kiosk(session: Session, device: KioskDevice, actor: audit.Actor) -> str:
    """A new token for the kiosk (the old one stops working now); returns it, shown once."""
    token = "kiosk_" + secrets.token_urlsafe(32)
    device.token_hash, device.active = token_digest(token), True
    session.flush()
    audit.append(session, actor, "kiosk.token_rotated", "kiosk_device", device.id,
                 after={"name": device.name})
    return token


def add_kiosk(session: Session, name: str, venue: Venue, cabinet_id: int | None,
              actor: audit.Actor) -> tuple[KioskDevice, str]:
    """Register a kiosk; returns it and its token, which is shown once and never stored."""
    if not _NAME.match(name or ""):
        raise InvalidInput("kiosk name: 2-80 latin letters, digits, '.', '_' or '-'")
    if session.execute(select(KioskDevice).where(KioskDevice.name == name)).scalar():
        raise InvalidInput(f"kiosk {name!r} already exists", code="duplicate")
    token = "kiosk_" + secrets.token_urlsafe(32)
    device = KioskDevice(name=name, venue_id=venue.id, cabinet_id=cabinet_id,
                         token_hash=token_digest(token))
    session.add(device)
    session.flush()
    audit.append(session, actor, "kiosk.added", "kiosk_device", device.id,
                 after={"name": name, "venue": venue.code, "cabinet_id": cabinet_id})
    return device, token


@dataclasses.dataclass(frozen=True)
class KioskIdentity:
    """The kiosk a valid token belongs to: what a kiosk API call needs of its device."""

    id: int
    name: str
    venue_id: int
    #: The cabinet beside the kiosk; None = any cabinet of the venue.
    cabinet_id: int | None


_KIOSKS = KioskDevice.__table__
_ACTIVE_KIOSK = select(_KIOSKS.c.id, _KIOSKS.c.name, _KIOSKS.c.venue_id, _KIOSKS.c.cabinet_id).where(
    _KIOSKS.c.token_hash == bindparam("digest"), _KIOSKS.c.active.is_(True))


def kiosk_by_token(connection, token: str | None) -> KioskIdentity | None:
    """The active kiosk whose token this is, or None.

    Read on every kiosk request, never cached, so a revoked token fails at its very next
    one; one row of plain columns (a session or a bare connection, see
    :meth:`attestation.db.Database.connect`), because it is paid on every call."""
    if not token:
        return None
    row = connection.execute(_ACTIVE_KIOSK, {"digest": token_digest(token)}).first()
    return KioskIdentity(*row) if row is not None else None
