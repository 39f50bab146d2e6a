"""Driver for "8A" lock-control boards on an RS485 bus (see :mod:`.protocol_8a`)."""

from __future__ import annotations

from . import protocol_8a as p
from .base import LockDriver
from .serial_bus import BusDriver, SerialBus


class Rs485_8A(BusDriver, LockDriver):
    """Several "8A" boards sharing one bus, told apart by their DIP-switch address.

    :param bus: the :class:`SerialBus` (9600 baud).
    :param boards: the board addresses the cabinet uses (for :meth:`all_off` and health).
    :param door_open_when_set: sensor polarity: True when a set bit / ST=0x11 means open.
    :param status_bytes: how many status bytes a query-all reply carries (3 for the
        common 8- to 24-channel boards).
    """

    kind = "rs485-8a"
    baudrate = p.BAUDRATE
    first_board, last_board = 1, 255
    #: How far ``kioskctl locker scan`` looks by default (boards rarely sit higher).
    scan_last = 31
    simulator_protocol = "8a"

    @classmethod
    def options(cls, settings: dict) -> dict:
        """Setting ``status_bytes``: status bytes in a query-all reply."""
        return {"status_bytes": int(settings.get("status_bytes", p.DEFAULT_STATUS_BYTES))}

    def __init__(self, bus: SerialBus, boards=(1,), *, door_open_when_set: bool = True,
                 status_bytes: int = p.DEFAULT_STATUS_BYTES, locks_per_board: int | None = None):
        self.bus = bus
        self.boards = tuple(boards)
        self.door_open_when_set = door_open_when_set
        self.status_bytes = status_bytes
        self.locks_per_board = locks_per_board or status_bytes * 8

    def open_lock(self, board: int, lock: int) -> None:
        self.bus.transact(p.unlock(board, lock), p.single_reply(p.UNLOCK_HEADER, board, lock), board,
                          timeout=self.bus.unlock_timeout)

    def read_door(self, board: int, lock: int) -> bool:
        frame = self.bus.transact(p.query(board, lock),
                                  p.single_reply(p.QUERY_HEADER, board, lock), board)
        return p.decode_single_status(frame) == self.door_open_when_set

    def read_doors(self, board: int) -> dict[int, bool]:
        frame = self.bus.transact(p.query_all(board), p.all_reply(board, self.status_bytes), board)
        bits = p.decode_all_status(frame)
        return {lock: bits[lock] == self.door_open_when_set
                for lock in range(1, self.locks_per_board + 1)}
