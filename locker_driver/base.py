"""The interface every lock driver implements."""

from __future__ import annotations

import abc


class LockDriver(abc.ABC):
    """A bank of locks addressed by ``(board, lock)``.

    Lock numbers start at 1 on every driver (the Kerong driver maps them to its 0-based
    channels).  A door state is ``True`` for open, ``False`` for closed; the cabinet's
    sensor polarity is applied by the driver, never by callers.

    ``open_lock`` returning means the board accepted the command (or the GPIO pulse was
    delivered) — *not* that the door opened; watch :meth:`read_doors` for that.
    """

    #: Short name used in settings and diagnostics (the registry's key).
    kind: str = ""
    #: Line speed in baud (8N1); None for drivers without a serial line.
    baudrate: int | None = None
    #: The lowest and highest board address (a bus scan tries them all).
    first_board: int = 1
    last_board: int = 1
    #: Default sensor polarity: True when a set status bit means "door open".
    default_door_open_when_set: bool = True
    #: The last address ``kioskctl locker scan`` tries by default.
    scan_last: int = 1
    #: The protocol name of :class:`locker_driver.simulator.BoardSimulator` that speaks
    #: this driver's bytes (None: no wire-level simulator).
    simulator_protocol: str | None = None

    @classmethod
    @abc.abstractmethod
    def from_settings(cls, port: str, settings: dict, *, boards, door_open_when_set: bool,
                      trace=None, pin_factory=None) -> "LockDriver":
        """Build the driver from a cabinet's stored (or the command line's) settings."""

    @abc.abstractmethod
    def open_lock(self, board: int, lock: int) -> None:
        """Release one lock for a short pulse."""

    @abc.abstractmethod
    def read_doors(self, board: int) -> dict[int, bool]:
        """Door states of every lock of one board: ``{lock: is_open}``."""

    def read_door(self, board: int, lock: int) -> bool:
        """One door's state (``True`` = open)."""
        return self.read_doors(board)[lock]

    @abc.abstractmethod
    def all_off(self) -> dict[int, str | None]:
        """Put every output in its safe (de-energised) state, best effort per board.

        Returns ``{board: None}`` for boards that are fine and ``{board: "reason"}`` for
        the ones that could not be reached; it never raises for one bad board.
        """

    def health(self) -> dict:
        """A description for diagnostics and health endpoints."""
        return {"driver": self.kind}

    def close(self) -> None:
        """Release the port or pins."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
