"""Every action the audit log records: a closed set.  :func:`attestation.audit.append`
refuses any other, and the panel has a sentence for each in Kazakh and Russian (a test
fails when one is missing), so the log can always be read in words.

``roster.<event>`` for each state machine event (:data:`attestation.states.EVENTS`),
``sitting.<status>`` for each sitting status, ``correction.<kind>`` for each correction,
``lock.done`` and ``lock.failed`` for an unlock's outcome, ``door.<kind>`` for what a
door did; and the fixed names below.
"""

from __future__ import annotations

from .states import EVENTS
from .vocabulary import CommandStatus, CorrectionKind, DoorEventKind, SittingStatus

FIXED = frozenset({
    # accounts and kiosks
    "user.added", "user.venues", "user.password_changed", "user.enabled", "user.disabled",
    "user.role_changed", "user.login", "kiosk.added", "kiosk.revoked", "kiosk.token_rotated",
    "kiosk.identified",
    # venues, sittings, the roster, decisions' lists
    "venue.added", "sitting.added", "sitting.reopened", "sitting.commission", "roster.imported",
    "outcome.added", "category.added", "decision_list.disabled",
    # what happened to candidates
    "absence.recorded", "decision.recorded", "violation.act",
    # cabinets, cells, locks, doors
    "cabinet.added", "cabinet.polarity", "cabinet.commissioned", "cell.added", "cell.status",
    "cell.assigned", "cell.released", "cell.faulty", "lock.requested", "lock.retry",
    "agent.started",
})

ACTIONS = frozenset(
    FIXED
    | {f"roster.{event}" for event in EVENTS}
    | {f"sitting.{status}" for status in SittingStatus}
    | {f"correction.{kind}" for kind in CorrectionKind}
    | {f"lock.{status}" for status in (CommandStatus.DONE, CommandStatus.FAILED)}
    | {f"door.{kind}" for kind in DoorEventKind}
)
