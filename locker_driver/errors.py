"""Exceptions of the hardware layer.

Like gpiozero's, each also subclasses the builtin that describes it, so a caller may
catch ``TimeoutError`` or ``ValueError`` without knowing this package.
"""


class LockerError(Exception):
    """Base of every error raised by a lock driver."""


class ConfigError(LockerError, ValueError):
    """A setting is impossible (unknown board, pin outside the safe range, pulse too long)."""


class PortError(LockerError, OSError):
    """The serial port (or GPIO chip) cannot be opened or has gone away."""


class BoardNotResponding(LockerError, TimeoutError):
    """The addressed board did not answer within the timeout."""

    def __init__(self, message: str, board: int | None = None):
        super().__init__(message)
        self.board = board


class FrameError(LockerError, ValueError):
    """A reply arrived but is not a valid frame for the request."""


class ChecksumError(FrameError):
    """A reply's checksum (BCC or SUM) does not match its bytes."""
