"""Read models of the cabinet: where an unlock stands, and whether a cabinet's agent is alive.

The kiosk (following the person's door), the panel's board ("return devices") and the
panel's cabinet view and health all ask these questions; this is the one place that
answers them.
"""

from __future__ import annotations

import datetime as dt
import os

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from . import scoping
from .models import AgentHeartbeat, Assignment, Cabinet, Cell, LockCommand
from .timeutil import utcnow
from .vocabulary import CommandPurpose, CommandStatus, DoorState, UnlockPhase, UNFINISHED_COMMANDS

#: Seconds between a cabinet agent's heartbeats.
HEARTBEAT_INTERVAL = 2.0
#: A cabinet whose agent was last heard from longer ago than this is unreachable (kiosk
#: "out of order" E-CAB, panel health).  Three missed heartbeats by default; the setting
#: ATTESTATION_AGENT_STALE_SECONDS changes it for every process at once.
AGENT_STALE_SECONDS = float(os.environ.get("ATTESTATION_AGENT_STALE_SECONDS", 3 * HEARTBEAT_INTERVAL))


def unlock_phase(command: LockCommand | None, cell: Cell) -> UnlockPhase:
    """Where an unlock of ``cell`` stands for the person waiting at it.

    ``opening`` (queued or being sent) -> ``put_devices`` (the door was seen open, or the
    cell has no sensor) -> ``done`` (the door closed again after it opened); ``lock_fault``
    when the unlock failed.
    """
    if command is None or command.status in UNFINISHED_COMMANDS:
        return UnlockPhase.OPENING
    if command.status == CommandStatus.FAILED:
        return UnlockPhase.LOCK_FAULT
    closed_after = (cell.door == DoorState.CLOSED and command.door_opened_at is not None
                    and cell.door_changed_at is not None
                    and cell.door_changed_at >= command.door_opened_at)
    return UnlockPhase.DONE if closed_after else UnlockPhase.PUT_DEVICES


def latest_command(session: Session, assignment: Assignment, purpose: CommandPurpose
                   ) -> LockCommand | None:
    """The newest unlock of ``purpose`` for this assignment (None: none was queued)."""
    return session.execute(select(LockCommand).where(
        LockCommand.assignment_id == assignment.id, LockCommand.purpose == purpose)
        .order_by(LockCommand.id.desc())).scalars().first()


def is_alive(heartbeat_at: dt.datetime | None, now: dt.datetime | None = None) -> bool:
    """Was an agent heard from within :data:`AGENT_STALE_SECONDS`?"""
    if heartbeat_at is None:
        return False
    return ((now or utcnow()) - heartbeat_at).total_seconds() < AGENT_STALE_SECONDS


def agents(session: Session, scope: scoping.Scope = scoping.EVERY_VENUE
           ) -> list[tuple[Cabinet, AgentHeartbeat | None, bool]]:
    """Every cabinet in ``scope`` with its agent's last heartbeat and whether it is alive."""
    beats = {b.cabinet_id: b for b in session.execute(select(AgentHeartbeat)).scalars()}
    now = utcnow()
    return [(cab, beats.get(cab.id), is_alive(beats[cab.id].at if cab.id in beats else None, now))
            for cab in session.execute(select(Cabinet).where(
                scoping.venue_filter(scope, Cabinet.venue_id)).order_by(Cabinet.name)).scalars()]


def cabinet_reachable(session: Session, venue_id: int, cabinet_id: int | None) -> bool:
    """Is the agent of this cabinet (None: of any cabinet of the venue) alive?"""
    session.execute(text("SELECT 1"))
    query = select(AgentHeartbeat.at).join(Cabinet).where(Cabinet.venue_id == venue_id)
    if cabinet_id is not None:
        query = query.where(AgentHeartbeat.cabinet_id == cabinet_id)
    now = utcnow()
    return any(is_alive(at, now) for at in session.execute(query).scalars())
