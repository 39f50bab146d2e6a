"""Panel users (Argon2id password hashes) and kiosk devices (bearer tokens, stored hashed)."""

from __future__ import annotations

import hashlib
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit
from .errors import InvalidInput
from .models import KioskDevice, User, Venue
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
             actor: audit.Actor) -> User:
    if not _NAME.match(username or ""):
        raise InvalidInput("user name: 2-80 latin letters, digits, '.', '_' or '-'")
    if role not in values(Role):
        raise InvalidInput(f"role must be one of {', '.join(Role)}", code="invalid_role")
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput(f"the password needs at least {MIN_PASSWORD} characters",
                           code="weak_password")
    if session.execute(select(User).where(User.username == username)).scalar():
        raise InvalidInput(f"user {username!r} already exists", code="duplicate")
    user = User(username=username, role=role, full_name=full_name,
                password_hash=hash_password(password))
    session.add(user)
    session.flush()
    audit.append(session, actor, "user.added", "user", user.id,
                 after={"username": username, "role": role, "full_name": full_name})
    return user


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


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


def kiosk_by_token(session: Session, token: str | None) -> KioskDevice | None:
    if not token:
        return None
    device = session.execute(select(KioskDevice).where(
        KioskDevice.token_hash == token_digest(token))).scalar()
    return device if device is not None and device.active else None
