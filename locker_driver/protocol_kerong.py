"""The Kerong KR-CU lock-control board protocol (RS485, 19200 baud 8N1).

Frames are ``02 ADDR CMD [data] 03 SUM`` where SUM is the low byte of the sum of every
preceding byte, ``02`` and ``03`` included.  ADDR's high nibble is the board (0-15), its
low nibble the lock channel (0-15): our lock numbers start at 1, so lock N is channel N-1.

=============  ======================  ==============================================
request        bytes                   reply
=============  ======================  ==============================================
unlock         ``02 ADDR 31 03 SUM``   the board's 9-byte status frame (see below)
status         ``02 B0 30 03 SUM``     ``02 ADDR 35|36 h1 h2 ir1 ir2 03 SUM``
=============  ======================  ==============================================

``h1``/``h2`` are the hook (door) bitmaps of channels 0-7 and 8-15, ``ir1``/``ir2`` the
infrared "item inside" bitmaps.  Boards that answer an unlock with nothing are handled by
the driver setting ``unlock_reply=none`` (it then confirms with a status query).
"""

from __future__ import annotations

from .errors import ChecksumError, ConfigError, FrameError
from .framing import ReplySpec

BAUDRATE = 19200
STX = 0x02
ETX = 0x03
CMD_STATUS = 0x30
CMD_UNLOCK = 0x31
STATUS_REPLY_CMDS = (0x35, 0x36)
STATUS_LEN = 9


def checksum(data: bytes) -> int:
    return sum(data) & 0xFF


def address(board: int, lock: int | None = None) -> int:
    if not 0 <= board <= 15:
        raise ConfigError(f"Kerong board address {board} is outside 0-15")
    if lock is not None and not 1 <= lock <= 16:
        raise ConfigError(f"Kerong lock {lock} is outside 1-16")
    return board << 4 | ((lock - 1) if lock else 0)


def _frame(addr: int, cmd: int, data: bytes = b"") -> bytes:
    body = bytes([STX, addr, cmd]) + data + bytes([ETX])
    return body + bytes([checksum(body)])


def unlock(board: int, lock: int) -> bytes:
    return _frame(address(board, lock), CMD_UNLOCK)


def status(board: int) -> bytes:
    return _frame(address(board), CMD_STATUS)


def status_reply(board: int) -> ReplySpec:
    def check(frame: bytes) -> None:
        if checksum(frame[:-1]) != frame[-1]:
            raise ChecksumError(f"SUM {frame[-1]:02X} does not match "
                                f"(expected {checksum(frame[:-1]):02X})")
        if frame[-2] != ETX:
            raise FrameError("the frame does not end with ETX (03)")
        if frame[1] >> 4 != board:
            raise FrameError(f"reply is from board {frame[1] >> 4}, not {board}")
        if frame[2] not in STATUS_REPLY_CMDS:
            raise FrameError(f"reply command {frame[2]:02X} is not a status reply")
    return ReplySpec(STX, STATUS_LEN, check, f"status of board {board}")


def decode_status(frame: bytes) -> tuple[dict[int, bool], dict[int, bool]]:
    """``({lock: hook bit set}, {lock: item inside})`` for locks 1-16."""
    h = frame[3] | frame[4] << 8
    ir = frame[5] | frame[6] << 8
    hooks = {ch + 1: bool(h >> ch & 1) for ch in range(16)}
    items = {ch + 1: bool(ir >> ch & 1) for ch in range(16)}
    return hooks, items


def encode_status(board: int, hook_set: set[int], items: set[int], cmd: int = 0x35) -> bytes:
    """The board's side of a status reply (used by the simulator and tests)."""
    h = sum(1 << (lock - 1) for lock in hook_set)
    ir = sum(1 << (lock - 1) for lock in items)
    return _frame(board << 4, cmd, bytes([h & 0xFF, h >> 8, ir & 0xFF, ir >> 8]))
