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

    #: Short name used in settings and diagnostics.
    kind: str = ""

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
