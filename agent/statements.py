"""The SQL of the agent's unlock path, built once.

Every unlock runs these; built per call, a statement costs more to construct and to
find in SQLAlchemy's compiled cache than to execute, and an ORM object more again.  They
run on the session's connection (``session.connection()``), in the caller's transaction.
"""

from __future__ import annotations

from sqlalchemy import bindparam, func, insert, select, update

from attestation.models import Assignment, Cell, DoorEvent, LockCommand
from attestation.vocabulary import CommandPurpose, CommandStatus

COMMANDS, CELLS, EVENTS = LockCommand.__table__, Cell.__table__, DoorEvent.__table__
ASSIGNMENTS = Assignment.__table__

#: A cabinet's queued commands, oldest first (the order they are sent in): ``cabinet``.
QUEUED = (select(COMMANDS.c.id)
          .where(COMMANDS.c.cabinet_id == bindparam("cabinet"),
                 COMMANDS.c.status == CommandStatus.REQUESTED)
          .order_by(COMMANDS.c.id))

#: One command marked sent if it is still queued (``command``, ``sent``): a row of
#: (cell id, attempts), or none when it was cancelled or claimed since.
CLAIM = (update(COMMANDS)
         .where(COMMANDS.c.id == bindparam("command"), COMMANDS.c.status == CommandStatus.REQUESTED)
         .values(status=CommandStatus.SENT, attempts=COMMANDS.c.attempts + 1, sent_at=bindparam("sent"))
         .returning(COMMANDS.c.cell_id, COMMANDS.c.attempts))

#: A command's outcome (``command``, ``status``, ``finished``; ``error`` and ``opened``
#: None to keep what is there): a row of (cell id, attempts, error).
FINISH = (update(COMMANDS).where(COMMANDS.c.id == bindparam("command"))
          .values(status=bindparam("status"), finished_at=bindparam("finished"),
                  # Typed: a bind inside a function would skip the column's conversion.
                  error=func.coalesce(bindparam("error", type_=COMMANDS.c.error.type), COMMANDS.c.error),
                  door_opened_at=func.coalesce(bindparam("opened", type_=COMMANDS.c.door_opened_at.type),
                                               COMMANDS.c.door_opened_at))
          .returning(COMMANDS.c.cell_id, COMMANDS.c.attempts, COMMANDS.c.error))

#: A done command clears its cell's failures (``cell``): a row of (number, failures, status).
CLEAR_FAILURES = (update(CELLS).where(CELLS.c.id == bindparam("cell")).values(consecutive_failures=0)
                  .returning(CELLS.c.number, CELLS.c.consecutive_failures, CELLS.c.status))
#: A failed one counts against it (``cell``): the same row.
COUNT_FAILURE = (update(CELLS).where(CELLS.c.id == bindparam("cell"))
                 .values(consecutive_failures=CELLS.c.consecutive_failures + 1)
                 .returning(CELLS.c.number, CELLS.c.consecutive_failures, CELLS.c.status))

#: The stored door state of the cells just read (``ids``): (id, number, door) rows.
DOORS = select(CELLS.c.id, CELLS.c.number, CELLS.c.door).where(
    CELLS.c.id.in_(bindparam("ids", expanding=True)))
#: A door seen in a new state (``cell``, ``door``, ``at``).
SET_DOOR = (update(CELLS).where(CELLS.c.id == bindparam("cell"))
            .values(door=bindparam("door"), door_changed_at=bindparam("at")))
#: A door event (``cell_id``, ``kind``, ``command_id``, ``detail``; ``at`` is now).
DOOR_EVENT = insert(EVENTS)

#: An unlock of this cell (``cell``) sent since ``since`` and not failed: its id.
RECENT_PULSE = select(COMMANDS.c.id).where(
    COMMANDS.c.cell_id == bindparam("cell"),
    COMMANDS.c.status.in_((CommandStatus.SENT, CommandStatus.DONE)),
    COMMANDS.c.sent_at >= bindparam("since")).limit(1)

#: The cell's assignment whose devices are being returned, if its return unlock's door
#: was seen open (``cell``): its id.
RETURNED = (select(ASSIGNMENTS.c.id)
            .join(COMMANDS, COMMANDS.c.assignment_id == ASSIGNMENTS.c.id)
            .where(ASSIGNMENTS.c.cell_id == bindparam("cell"), ASSIGNMENTS.c.released_at.is_(None),
                   ASSIGNMENTS.c.return_requested_at.is_not(None),
                   COMMANDS.c.purpose == CommandPurpose.RETURN, COMMANDS.c.door_opened_at.is_not(None))
            .limit(1))
