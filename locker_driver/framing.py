"""Finding one valid reply frame in a stream that may hold stray bytes.

A :class:`ReplySpec` says what a reply to one request looks like: the header byte it
starts with, its exact length, and a check of its contents (checksum, addresses).
:func:`extract` scans a receive buffer: bytes before a header are strays and dropped;
a candidate frame that fails its check is remembered and scanning resumes at the next
header, so a stray header byte cannot hide a good frame behind it.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

from .errors import FrameError


@dataclasses.dataclass(frozen=True)
class ReplySpec:
    header: int
    length: int
    check: Callable[[bytes], None]  # raises FrameError / ChecksumError
    description: str = "reply"


def extract(buf: bytearray, spec: ReplySpec) -> tuple[bytes | None, FrameError | None]:
    """Return ``(frame, None)`` and remove it (and what preceded it) from ``buf``, or
    ``(None, last_error)`` when no complete valid frame is there yet.

    ``last_error`` is the reason the most recent complete candidate was rejected, so a
    caller that times out can say "corrupt reply" rather than "no reply".
    """
    last_error = None
    start = 0
    while True:
        idx = buf.find(bytes([spec.header]), start)
        if idx < 0:
            # Nothing useful: keep nothing but what could still start a frame.
            del buf[:]
            return None, last_error
        if len(buf) - idx < spec.length:
            del buf[:idx]
            return None, last_error
        candidate = bytes(buf[idx:idx + spec.length])
        try:
            spec.check(candidate)
        except FrameError as exc:
            last_error = exc
            start = idx + 1
            continue
        del buf[:idx + spec.length]
        return candidate, None


def hexdump(data: bytes) -> str:
    return " ".join(f"{b:02X}" for b in data)
