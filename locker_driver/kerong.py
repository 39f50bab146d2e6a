"""Driver for Kerong KR-CU lock-control boards on an RS485 bus (see :mod:`.protocol_kerong`)."""

from __future__ import annotations

from . import protocol_kerong as p
from .base import LockDriver
from .serial_bus import BusDriver, SerialBus


class Kerong(BusDriver, LockDriver):
    """Up to 16 KR-CU boards of 16 locks on one bus (19200 baud).

    :param unlock_reply: ``"status"`` when the board answers an unlock with its status
        frame, ``"none"`` when it answers nothing (the driver then confirms the board is
        alive with a status query).
    """

    kind = "kerong"
    baudrate = p.BAUDRATE
    first_board, last_board = 0, 15
    scan_last = 15
    simulator_protocol = "kerong"

    @classmethod
    def options(cls, settings: dict) -> dict:
        """Setting ``unlock_reply``: status|none."""
        return {"unlock_reply": settings.get("unlock_reply", "status")}

    def __init__(self, bus: SerialBus, boards=(0,), *, door_open_when_set: bool = True,
                 unlock_reply: str = "status"):
        self.bus = bus
        self.boards = tuple(boards)
        self.door_open_when_set = door_open_when_set
        self.unlock_reply = unlock_reply
        self.last_items: dict[int, dict[int, bool]] = {}

    def open_lock(self, board: int, lock: int) -> None:
        if self.unlock_reply == "none":
            self.bus.transact(p.unlock(board, lock), None, board)
            self.read_doors(board)
        else:
            self.bus.transact(p.unlock(board, lock), p.status_reply(board), board,
                              timeout=self.bus.unlock_timeout)

    def read_doors(self, board: int) -> dict[int, bool]:
        frame = self.bus.transact(p.status(board), p.status_reply(board), board)
        hooks, items = p.decode_status(frame)
        self.last_items[board] = items
        return {lock: bit == self.door_open_when_set for lock, bit in hooks.items()}
