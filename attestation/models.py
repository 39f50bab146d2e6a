"""The database schema (SQLAlchemy 2.x ORM).  Rules live in the service modules, not here.

All moments are stored as UTC (:class:`UTCDateTime`); dates of a sitting and
return-to-work dates are the venue's local calendar dates.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (JSON, Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index,
                        Integer, String, Text, Time, TypeDecorator, UniqueConstraint, text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from . import states
from .timeutil import utcnow
from .vocabulary import (AbsenceReason, CellStatus, CommandPurpose, CommandStatus, CorrectionKind,
                         DoorEventKind, DoorState, DriverKind, IdentifiedBy, Language, Role,
                         SittingStatus, ViolationKind, values)

def _one_of(column: str, allowed, *, nullable: bool = False, name: str | None = None
            ) -> CheckConstraint:
    """A CHECK that ``column`` holds one of ``allowed`` (an enum class or a tuple of strings)."""
    listed = ", ".join(f"'{v}'" for v in (values(allowed) if isinstance(allowed, type) else allowed))
    check = f"{column} IN ({listed})"
    if nullable:
        check = f"{column} IS NULL OR {check}"
    return CheckConstraint(check, name=name or f"ck_{column}_allowed")


class UTCDateTime(TypeDecorator):
    """An aware datetime stored as naive UTC; read back aware (UTC) on every dialect."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one (UTC)")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=dt.timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {dt.datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Venue(Base):
    __tablename__ = "venue"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_kk: Mapped[str] = mapped_column(String(200))
    name_ru: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")


class Sitting(Base):
    """A sitting of the attestation commission at a venue on a date."""

    __tablename__ = "sitting"
    __table_args__ = (_one_of("status", SittingStatus),
                      Index("uq_sitting_protocol_number", "venue_id", "protocol_year",
                            "protocol_number", unique=True))
    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venue.id"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    start_time: Mapped[dt.time] = mapped_column(Time)
    status: Mapped[str] = mapped_column(String(20), default=SittingStatus.PLANNED)
    #: [{"name_kk": ..., "name_ru": ..., "minutes": N}, ...] in order.
    stages: Mapped[list[Any]] = mapped_column(default=list)
    #: The commission at this sitting: [{"position": chair|secretary|member, "name": ...}]
    #: in the protocol's order (see attestation.commission).
    commission: Mapped[list[Any]] = mapped_column(default=list)
    #: The protocol's number, per venue and year, given when the sitting is first closed.
    protocol_year: Mapped[int | None] = mapped_column(Integer)
    protocol_number: Mapped[int | None] = mapped_column(Integer)
    venue: Mapped[Venue] = relationship()

    @property
    def protocol_label(self) -> str | None:
        return f"{self.protocol_number}/{self.protocol_year}" if self.protocol_number else None


class UserVenue(Base):
    """A venue whose people, boards, acts and cabinets a panel user may see."""

    __tablename__ = "user_venue"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venue.id"), primary_key=True)


class User(Base):
    __tablename__ = "app_user"
    __table_args__ = (_one_of("role", Role),)
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: True: every venue, present and future (a regional administrator); else :class:`UserVenue`.
    all_venues: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class KioskDevice(Base):
    """A kiosk that may call the kiosk API with its bearer token (stored hashed)."""

    __tablename__ = "kiosk_device"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venue.id"))
    #: The cabinet beside this kiosk; None = any cabinet of the venue.
    cabinet_id: Mapped[int | None] = mapped_column(ForeignKey("cabinet.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Candidate(Base):
    __tablename__ = "candidate"
    id: Mapped[int] = mapped_column(primary_key=True)
    iin: Mapped[str] = mapped_column(String(12), unique=True)
    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    middle_name: Mapped[str] = mapped_column(String(100), default="")
    organization: Mapped[str] = mapped_column(String(300), default="")
    position: Mapped[str] = mapped_column(String(300), default="")
    #: The same in each language, where the roster gives them (optional columns).
    organization_kk: Mapped[str] = mapped_column(String(300), default="", server_default="")
    organization_ru: Mapped[str] = mapped_column(String(300), default="", server_default="")
    position_kk: Mapped[str] = mapped_column(String(300), default="", server_default="")
    position_ru: Mapped[str] = mapped_column(String(300), default="", server_default="")

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    def organization_in(self, lang: str) -> str:
        """The organisation as a document in ``lang`` shows it: that language's, else the
        one value given for both, else the other language's (one value serves both)."""
        return _in_language(self, "organization", lang)

    def position_in(self, lang: str) -> str:
        return _in_language(self, "position", lang)


def _in_language(candidate: "Candidate", field: str, lang: str) -> str:
    other = "ru" if lang == "kk" else "kk"
    return (getattr(candidate, f"{field}_{lang}", "") or getattr(candidate, field)
            or getattr(candidate, f"{field}_{other}", ""))


class RosterEntry(Base):
    """A candidate's place in a sitting, and where they are in the state machine."""

    __tablename__ = "roster_entry"
    __table_args__ = (
        UniqueConstraint("sitting_id", "candidate_id"),
        _one_of("state", states.STATES),
        _one_of("language", Language, nullable=True, name="ck_language"),
        _one_of("identified_by", IdentifiedBy, nullable=True, name="ck_identified_by"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sitting.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default=states.EXPECTED, index=True)
    language: Mapped[str | None] = mapped_column(String(2))
    identified_by: Mapped[str | None] = mapped_column(String(20))
    #: True when only a typed IIN identified the person: staff must check the ID.
    identity_to_check: Mapped[bool] = mapped_column(Boolean, default=False)
    checkin_device: Mapped[str | None] = mapped_column(String(80))
    stages_acknowledged_at: Mapped[dt.datetime | None]
    rules_acknowledged_at: Mapped[dt.datetime | None]
    documents_confirmed_at: Mapped[dt.datetime | None]
    #: The professional-qualification recognition document presented (point 7; part of
    #: the attestation file under point 8): its kind and number as the secretary saw it.
    qualification_document: Mapped[str] = mapped_column(String(300), default="")
    identity_checked_at: Mapped[dt.datetime | None]
    checked_in_at: Mapped[dt.datetime | None]
    admitted_at: Mapped[dt.datetime | None]
    interview_started_at: Mapped[dt.datetime | None]
    interviewed_at: Mapped[dt.datetime | None]
    decided_at: Mapped[dt.datetime | None]
    removed_at: Mapped[dt.datetime | None]
    absence_recorded_at: Mapped[dt.datetime | None]
    sitting: Mapped[Sitting] = relationship()
    candidate: Mapped[Candidate] = relationship()


class Cabinet(Base):
    """A bank of cells driven by one lock agent through one driver."""

    __tablename__ = "cabinet"
    __table_args__ = (_one_of("driver", DriverKind),)
    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venue.id"), index=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    driver: Mapped[str] = mapped_column(String(20))
    #: A device path (/dev/ttyRS485) or a pyserial URL; empty for GPIO.
    port: Mapped[str] = mapped_column(String(200), default="")
    #: Driver settings (baud, timeouts, GPIO pins, pulse length...).
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Sensor polarity: True when a set status bit (or 0x11) means "door open".
    door_open_when_set: Mapped[bool] = mapped_column(Boolean, default=True)
    venue: Mapped[Venue] = relationship()


class Cell(Base):
    __tablename__ = "cell"
    __table_args__ = (
        UniqueConstraint("cabinet_id", "number"),
        UniqueConstraint("cabinet_id", "board", "lock"),
        _one_of("status", CellStatus),
        _one_of("door", DoorState),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    cabinet_id: Mapped[int] = mapped_column(ForeignKey("cabinet.id"), index=True)
    #: The number painted on the door, shown to the candidate.
    number: Mapped[int] = mapped_column(Integer)
    board: Mapped[int] = mapped_column(Integer)
    lock: Mapped[int] = mapped_column(Integer)
    has_sensor: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(20), default=CellStatus.IN_SERVICE)
    status_reason: Mapped[str] = mapped_column(String(300), default="")
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    door: Mapped[str] = mapped_column(String(10), default=DoorState.UNKNOWN)
    door_changed_at: Mapped[dt.datetime | None]
    cabinet: Mapped[Cabinet] = relationship()


class Assignment(Base):
    """A cell holding a candidate's devices.  Active until released (door closed after return).

    The two partial unique indexes are the database's own guarantee: a cell has at most
    one active assignment, and a roster entry at most one active cell.
    """

    __tablename__ = "assignment"
    __table_args__ = (
        Index("uq_assignment_active_cell", "cell_id", unique=True,
              sqlite_where=text("released_at IS NULL"),
              postgresql_where=text("released_at IS NULL")),
        Index("uq_assignment_active_entry", "roster_entry_id", unique=True,
              sqlite_where=text("released_at IS NULL"),
              postgresql_where=text("released_at IS NULL")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("cell.id"), index=True)
    roster_entry_id: Mapped[int] = mapped_column(ForeignKey("roster_entry.id"), index=True)
    assigned_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    return_requested_at: Mapped[dt.datetime | None]
    released_at: Mapped[dt.datetime | None]
    cell: Mapped[Cell] = relationship()
    roster_entry: Mapped[RosterEntry] = relationship()


class LockCommand(Base):
    """The outbox of unlock requests: the cabinet's agent is the only one that executes them.

    requested -> sent -> done | failed.  ``sent`` is written before the pulse, so after
    a crash the agent knows a pulse may have gone out (see locker_agent for the rule).
    """

    __tablename__ = "lock_command"
    __table_args__ = (
        _one_of("purpose", CommandPurpose),
        _one_of("status", CommandStatus),
        Index("ix_lock_command_pending", "cabinet_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    cabinet_id: Mapped[int] = mapped_column(ForeignKey("cabinet.id"))
    cell_id: Mapped[int] = mapped_column(ForeignKey("cell.id"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignment.id"))
    purpose: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=CommandStatus.REQUESTED)
    reason: Mapped[str] = mapped_column(String(300), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    requested_by: Mapped[str] = mapped_column(String(120))
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    #: When the door sensor saw the door open after this command (None: not seen).
    door_opened_at: Mapped[dt.datetime | None]
    cell: Mapped[Cell] = relationship()


class DoorEvent(Base):
    __tablename__ = "door_event"
    __table_args__ = (_one_of("kind", DoorEventKind),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("cell.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    command_id: Mapped[int | None] = mapped_column(ForeignKey("lock_command.id"))
    detail: Mapped[str] = mapped_column(String(300), default="")


class ViolationAct(Base):
    """An act of violation, numbered per venue and calendar year.  Never edited."""

    __tablename__ = "violation_act"
    __table_args__ = (
        UniqueConstraint("venue_id", "year", "number"),
        _one_of("kind", ViolationKind),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venue.id"))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    roster_entry_id: Mapped[int] = mapped_column(ForeignKey("roster_entry.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[dt.datetime]
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    witnesses: Mapped[str] = mapped_column(Text, default="")
    #: A correction is a new act pointing at the one it corrects.
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("violation_act.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    roster_entry: Mapped[RosterEntry] = relationship()
    recorded_by: Mapped[User] = relationship()
    corrects: Mapped["ViolationAct | None"] = relationship(remote_side="ViolationAct.id")

    @property
    def label(self) -> str:
        return f"{self.number}/{self.year}"


class Absence(Base):
    """Why a candidate did not appear.  ``reason`` None = no valid reason (not attested).

    Never edited: an absence recorded by mistake is withdrawn by a :class:`Correction`
    that names it, and a later absence is a new row."""

    __tablename__ = "absence"
    __table_args__ = (
        _one_of("reason", AbsenceReason, nullable=True, name="ck_reason"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    roster_entry_id: Mapped[int] = mapped_column(ForeignKey("roster_entry.id"), index=True)
    reason: Mapped[str | None] = mapped_column(String(20))
    document: Mapped[str] = mapped_column(String(300), default="")
    return_date: Mapped[dt.date | None] = mapped_column(Date)
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    roster_entry: Mapped[RosterEntry] = relationship()


class Outcome(Base):
    """A possible protocol decision (configurable data, seeded by the first migration)."""

    __tablename__ = "outcome"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_kk: Mapped[str] = mapped_column(String(300))
    name_ru: Mapped[str] = mapped_column(String(300))
    attested: Mapped[bool] = mapped_column(Boolean)
    needs_category: Mapped[bool] = mapped_column(Boolean, default=False)
    sort: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Category(Base):
    """A qualification category (configurable data)."""

    __tablename__ = "category"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_kk: Mapped[str] = mapped_column(String(300))
    name_ru: Mapped[str] = mapped_column(String(300))
    sort: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Decision(Base):
    """The protocol decision.  Never edited: a :class:`Correction` supersedes it with a new one."""

    __tablename__ = "decision"
    id: Mapped[int] = mapped_column(primary_key=True)
    roster_entry_id: Mapped[int] = mapped_column(ForeignKey("roster_entry.id"), index=True)
    outcome_code: Mapped[str] = mapped_column(ForeignKey("outcome.code"))
    category_code: Mapped[str | None] = mapped_column(ForeignKey("category.code"))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Correction(Base):
    """A correction of an earlier fact, with its reason: itself a new fact, never edited.

    The fact it sets aside stays as it was and is named here (``absence_id``,
    ``decision_id``); ``before`` and ``after`` hold the values it changed.
    """

    __tablename__ = "correction"
    __table_args__ = (_one_of("kind", CorrectionKind),)
    id: Mapped[int] = mapped_column(primary_key=True)
    roster_entry_id: Mapped[int] = mapped_column(ForeignKey("roster_entry.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(String(300))
    before: Mapped[dict[str, Any]] = mapped_column(default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: The absence withdrawn, or the decision superseded.
    absence_id: Mapped[int | None] = mapped_column(ForeignKey("absence.id"))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decision.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    recorded_by: Mapped[User] = relationship()


class AuditEntry(Base):
    """One line of the append-only audit log, chained to the previous by ``prev_hash``.

    Database triggers (see the first migration) refuse UPDATE and DELETE on this table.
    """

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    device: Mapped[str] = mapped_column(String(120), default="")
    action: Mapped[str] = mapped_column(String(60), index=True)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(40))
    sitting_id: Mapped[int | None] = mapped_column(Integer, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: HMAC-SHA256 of ``hash`` with the audit key kept outside the database (None: the
    #: entry was written before a key was configured).
    mac: Mapped[str | None] = mapped_column(String(64))

Index("ix_audit_subject", AuditEntry.subject_type, AuditEntry.subject_id)


class PanelSession(Base):
    """A signed-in panel session, recorded so that it can be ended: the cookie only names it.

    Logout, a password change, disabling the user and idleness end it (``ended_at``).
    """

    __tablename__ = "panel_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[dt.datetime | None]
    ended_reason: Mapped[str] = mapped_column(String(40), default="")
    user: Mapped[User] = relationship()


class KioskSession(Base):
    """One person's passage at a kiosk, from identification to their cell.

    The token is what the kiosk page holds; it expires with the kiosk's idle timeout and
    carries nothing personal itself.
    """

    __tablename__ = "kiosk_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kiosk_id: Mapped[int] = mapped_column(ForeignKey("kiosk_device.id"))
    roster_entry_id: Mapped[int] = mapped_column(ForeignKey("roster_entry.id"), index=True)
    language: Mapped[str] = mapped_column(String(2))
    identified_by: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    stages_acknowledged_at: Mapped[dt.datetime | None]
    rules_acknowledged_at: Mapped[dt.datetime | None]
    command_id: Mapped[int | None] = mapped_column(ForeignKey("lock_command.id"))
    roster_entry: Mapped[RosterEntry] = relationship()


class AgentHeartbeat(Base):
    """The cabinet agent's sign of life, so kiosks and the panel know the cabinet is reachable."""

    __tablename__ = "agent_heartbeat"
    cabinet_id: Mapped[int] = mapped_column(ForeignKey("cabinet.id"), primary_key=True)
    at: Mapped[dt.datetime]
    host: Mapped[str] = mapped_column(String(120), default="")
    boards: Mapped[dict[str, Any]] = mapped_column(default=dict)
