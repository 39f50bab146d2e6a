"""The hardware layer: lock-control boards and GPIO relays behind one small interface.

No database, no Flask: this package only knows boards, locks and doors.  Pick a driver by
name with :func:`locker_driver.registry.make_driver` (the registry holds each driver's
baud rate, first board and default polarity); see :class:`locker_driver.base.LockDriver`
for the interface every driver implements.
"""

from .base import LockDriver
from .errors import (BoardNotResponding, ChecksumError, ConfigError, FrameError, LockerError,
                     PortError)

__all__ = ["LockDriver", "LockerError", "PortError", "BoardNotResponding", "FrameError",
           "ChecksumError", "ConfigError"]
