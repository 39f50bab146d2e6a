"""Exceptions of the hardware layer.

Like gpiozero's, each also subclasses the builtin that describes it, so a caller may
catch ``TimeoutError`` or ``ValueError`` without knowing this package.
"""


class LockerError(Exception):
    """Base of every error raised by a lock driver.

    ``frame_sent`` says whether the request may have reached the wire.  Only an error with
    ``frame_sent`` False (the port could not even be opened) proves that a lock was not
    pulsed; after any other error an unlock must not be sent again blindly.
    """

    frame_sent = True


class ConfigError(LockerError, ValueError):
    """A setting is impossible (unknown board, pin outside the safe range, pulse too long)."""


class PortError(LockerError, OSError):
    """The serial port (or GPIO chip) cannot be opened or has gone away."""

    def __init__(self, message: str, *, frame_sent: bool = True):
        super().__init__(message)
        self.frame_sent = frame_sent


class BoardNotResponding(LockerError, TimeoutError):
    """The addressed board did not answer within the timeout."""

    def __init__(self, message: str, board: int | None = None):
        super().__init__(message)
        self.board = board


class FrameError(LockerError, ValueError):
    """A reply arrived but is not a valid frame for the request."""


class ChecksumError(FrameError):
    """A reply's checksum (BCC or SUM) does not match its bytes."""
