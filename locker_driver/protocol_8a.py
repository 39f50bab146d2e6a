"""The "8A" lock-control board protocol (RS485, 9600 baud 8N1).

Frames are ``header, board, lock, function, BCC`` where BCC is the XOR of every
preceding byte.  Lock numbers start at 1; board addresses come from the DIP switches.

=================  ==========================  ==========================================
request            bytes                       reply
=================  ==========================  ==========================================
unlock             ``8A BB LL 11 BCC``         ``8A BB LL ST BCC``
query one lock     ``80 BB LL 33 BCC``         ``80 BB LL ST BCC`` (ST 0x00 or 0x11)
query all locks    ``80 BB 00 33 BCC``         ``80 BB S.. 33 BCC``
=================  ==========================  ==========================================

In the all-locks reply the status byte just before ``33`` holds locks 1-8 (bit 0 =
lock 1), the byte before it locks 9-16, and so on; a real 8-channel board answered
``80 01 00 00 00 33 B2``, i.e. three status bytes, which is the default here.  Whether a
set bit (or ST = 0x11) means "open" depends on how the sensors are wired: that is the
cabinet's polarity setting, applied by the driver.
"""

from __future__ import annotations

from functools import reduce

from .errors import ChecksumError, ConfigError, FrameError
from .framing import ReplySpec

BAUDRATE = 9600
UNLOCK_HEADER = 0x8A
QUERY_HEADER = 0x80
FN_UNLOCK = 0x11
FN_QUERY = 0x33
ST_SET = 0x11
DEFAULT_STATUS_BYTES = 3


def bcc(data: bytes) -> int:
    return reduce(lambda a, b: a ^ b, data, 0)


def _frame(*body: int) -> bytes:
    data = bytes(body)
    return data + bytes([bcc(data)])


def _check_args(board: int, lock: int | None = None) -> None:
    if not 0 <= board <= 0xFF:
        raise ConfigError(f"board address {board} is outside 0-255")
    if lock is not None and not 1 <= lock <= 0xFF:
        raise ConfigError(f"lock number {lock} is outside 1-255 (locks start at 1)")


def unlock(board: int, lock: int) -> bytes:
    _check_args(board, lock)
    return _frame(UNLOCK_HEADER, board, lock, FN_UNLOCK)


def query(board: int, lock: int) -> bytes:
    _check_args(board, lock)
    return _frame(QUERY_HEADER, board, lock, FN_QUERY)


def query_all(board: int) -> bytes:
    _check_args(board)
    return _frame(QUERY_HEADER, board, 0x00, FN_QUERY)


def _check_bcc(frame: bytes) -> None:
    if bcc(frame[:-1]) != frame[-1]:
        raise ChecksumError(f"BCC {frame[-1]:02X} does not match (expected {bcc(frame[:-1]):02X})")


def single_reply(header: int, board: int, lock: int) -> ReplySpec:
    """The reply to an unlock (header 8A) or a one-lock query (header 80)."""
    def check(frame: bytes) -> None:
        _check_bcc(frame)
        if frame[1] != board or frame[2] != lock:
            raise FrameError(f"reply is for board {frame[1]} lock {frame[2]}, "
                             f"not board {board} lock {lock}")
        if header == QUERY_HEADER and frame[3] not in (0x00, ST_SET):
            raise FrameError(f"status byte {frame[3]:02X} is neither 00 nor 11")
    return ReplySpec(header, 5, check, f"reply of board {board} lock {lock}")


def all_reply(board: int, status_bytes: int = DEFAULT_STATUS_BYTES) -> ReplySpec:
    def check(frame: bytes) -> None:
        _check_bcc(frame)
        if frame[1] != board:
            raise FrameError(f"reply is from board {frame[1]}, not {board}")
        if frame[-2] != FN_QUERY:
            raise FrameError(f"byte before the BCC is {frame[-2]:02X}, not 33")
    return ReplySpec(QUERY_HEADER, 4 + status_bytes, check, f"status of board {board}")


def decode_single_status(frame: bytes) -> bool:
    """Whether ST is the "set" value (0x11).  Polarity is the caller's business."""
    return frame[3] == ST_SET


def decode_all_status(frame: bytes) -> dict[int, bool]:
    """``{lock: bit is set}`` for every lock covered by the status bytes."""
    status = frame[2:-2]
    out = {}
    for i, byte in enumerate(reversed(status)):
        for bit in range(8):
            out[i * 8 + bit + 1] = bool(byte >> bit & 1)
    return out


def encode_all_status(board: int, set_locks: set[int], status_bytes: int = DEFAULT_STATUS_BYTES) -> bytes:
    """The board's side of a query-all reply (used by the simulator and tests)."""
    values = [0] * status_bytes
    for lock in set_locks:
        idx, bit = divmod(lock - 1, 8)
        if idx < status_bytes:
            values[idx] |= 1 << bit
    return _frame(QUERY_HEADER, board, *reversed(values), FN_QUERY)


def encode_single_reply(header: int, board: int, lock: int, is_set: bool) -> bytes:
    return _frame(header, board, lock, ST_SET if is_set else 0x00)
