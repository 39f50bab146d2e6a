"""The hardware layer: lock-control boards and GPIO relays behind one small interface.

No database, no Flask: this package only knows boards, locks and doors.  Pick a driver
with :func:`locker_driver.factory.make_driver`; see :class:`locker_driver.base.LockDriver`
for the interface every driver implements.
"""

from .base import LockDriver
from .errors import (BoardNotResponding, ChecksumError, ConfigError, FrameError, LockerError,
                     PortError)

__all__ = ["LockDriver", "LockerError", "PortError", "BoardNotResponding", "FrameError",
           "ChecksumError", "ConfigError"]
