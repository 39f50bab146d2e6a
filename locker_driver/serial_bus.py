"""One RS485 bus: a serial port shared by several boards, one transaction at a time.

Bus discipline (learned by others the hard way):

* one request/reply transaction at a time per port (a lock; one :class:`SerialBus` per
  port: a cabinet's driver owns its bus, and one agent owns the cabinet);
* at least ``silence`` seconds (default 5 ms) of quiet between transactions, so every
  board sees the end of one frame before the next begins;
* replies are read by their known length, skipping stray bytes before the header (see
  :mod:`locker_driver.framing`), within ``timeout`` seconds for a status query and
  ``unlock_timeout`` for an unlock: a real board answers an unlock only after its pulse
  (about 500 ms on an 8A board), so an unlock waits 1.5 s by default;
* after a timeout the line is drained until it is quiet, the input buffer flushed and the
  port reopened, so a half-received frame cannot poison the next transaction; a board
  that does not answer raises :class:`BoardNotResponding` for that board only;
* a reply that comes after its timeout is never read as the answer to the next request:
  a reply names its board (and lock), so only the same board's next request could take
  it for its own; until as long again as the timeout has passed, that request first
  drains the line (a board later than twice its timeout is treated as gone).

``trace``, when given, is called with ``("TX"|"RX", bytes)`` for every frame: it is what
``kioskctl locker ... --verbose`` prints.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

import serial

try:
    from termios import error as _TermiosError
except ImportError:  # pragma: no cover - not POSIX
    _TermiosError = OSError

from .errors import BoardNotResponding, ConfigError, LockerError, PortError
from .framing import ReplySpec, extract, hexdump

DEFAULT_TIMEOUT = 0.25     # seconds for a status reply; a 9-byte reply takes 9.4 ms at 9600
DEFAULT_UNLOCK_TIMEOUT = 1.5  # seconds for an unlock reply, which a board sends after its pulse
DEFAULT_SILENCE = 0.005    # seconds of quiet between transactions
QUIET_AFTER_TIMEOUT = 0.02  # the line counts as quiet after this long without a byte
MAX_DRAIN = 0.5
#: What a vanished USB adapter or pty raises from pyserial's calls.
IO_ERRORS = (serial.SerialException, OSError, _TermiosError)


class SerialBus:
    def __init__(self, url: str, baudrate: int, *, timeout: float = DEFAULT_TIMEOUT,
                 unlock_timeout: float = DEFAULT_UNLOCK_TIMEOUT,
                 silence: float = DEFAULT_SILENCE,
                 trace: Callable[[str, bytes], None] | None = None):
        self.url = url
        self.baudrate = baudrate
        self.timeout = timeout
        self.unlock_timeout = unlock_timeout
        self._late_until = 0.0  # a late reply may still arrive until this moment...
        self._late_board: int | None = None  # ...from this board
        self.silence = silence
        self.trace = trace
        self._lock = threading.Lock()
        self._port: serial.SerialBase | None = None
        self._last_end = 0.0
        self.reopens = 0
        self.transactions = 0

    # -- port management ---------------------------------------------------------------
    def _open(self) -> serial.SerialBase:
        if self._port is None or not self._port.is_open:
            try:
                self._port = serial.serial_for_url(
                    self.url, baudrate=self.baudrate, bytesize=serial.EIGHTBITS,
                    parity=serial.PARITY_NONE, stopbits=serial.STOPBITS_ONE, timeout=0.01,
                    write_timeout=1.0)
            except IO_ERRORS + (ValueError,) as exc:
                self._port = None
                raise PortError(f"cannot open serial port {self.url}: {exc}",
                                frame_sent=False) from None
        return self._port

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._port is not None:
            try:
                self._port.close()
            except IO_ERRORS:
                pass
            self._port = None

    def _recover(self) -> None:
        """Wait for the line to go quiet, flush and reopen (called with the lock held)."""
        port = self._port
        if port is not None:
            try:
                deadline = time.monotonic() + MAX_DRAIN
                quiet_since = time.monotonic()
                while time.monotonic() < deadline:
                    if port.read(256):
                        quiet_since = time.monotonic()
                    elif time.monotonic() - quiet_since >= QUIET_AFTER_TIMEOUT:
                        break
                port.reset_input_buffer()
            except IO_ERRORS:
                pass
        self._close()
        self.reopens += 1

    # -- transactions ------------------------------------------------------------------
    def transact(self, request: bytes, reply: ReplySpec | None, board: int | None = None,
                 timeout: float | None = None) -> bytes | None:
        """Send ``request``; return the reply frame matching ``reply`` (None: no reply expected).

        ``timeout`` (seconds) is how long the reply may take; default the bus's ``timeout``.
        """
        timeout = self.timeout if timeout is None else timeout
        with self._lock:
            port = self._open()
            if board is not None and board == self._late_board:
                self._drain_late(port)
            wait = self._last_end + self.silence - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                port.reset_input_buffer()
                port.write(request)
            except IO_ERRORS as exc:
                # The OS did not take the whole frame: at most a prefix left, which no board
                # acts on (every frame ends with its checksum), so no lock was pulsed.
                self._close()
                raise PortError(f"writing to {self.url} failed: {exc}", frame_sent=False) from None
            try:
                port.flush()
            except IO_ERRORS as exc:  # the frame was handed over: it may be on the wire
                self._close()
                raise PortError(f"writing to {self.url} failed: {exc}") from None
            self._emit("TX", request)
            self.transactions += 1
            try:
                if reply is None:
                    return None
                return self._read_reply(port, reply, board, timeout)
            finally:
                self._last_end = time.monotonic()

    def _drain_late(self, port) -> None:
        """Read away what a board that missed its timeout may still send (lock held)."""
        while time.monotonic() < self._late_until:
            try:
                late = port.read(256)
            except IO_ERRORS:
                return
            if late:
                self._emit("RX (late, ignored)", late)
        self._late_until, self._late_board = 0.0, None

    def _read_reply(self, port, spec: ReplySpec, board, timeout: float) -> bytes:
        buf = bytearray()
        received = bytearray()
        deadline = time.monotonic() + timeout
        last_error = None
        while True:
            try:
                chunk = port.read(max(1, spec.length - len(buf)))
            except IO_ERRORS as exc:
                self._close()
                raise PortError(f"reading from {self.url} failed: {exc}") from None
            if chunk:
                buf += chunk
                received += chunk
                frame, err = extract(buf, spec)
                last_error = err or last_error
                if frame is not None:
                    self._emit("RX", bytes(received))
                    return frame
            if time.monotonic() >= deadline:
                if received:
                    self._emit("RX", bytes(received))
                self._recover()
                self._late_until, self._late_board = deadline + timeout, board
                if last_error is not None:
                    raise type(last_error)(f"{spec.description}: corrupt reply "
                                           f"[{hexdump(received)}]: {last_error}")
                if received:
                    raise BoardNotResponding(f"{spec.description}: incomplete reply "
                                             f"[{hexdump(received)}] after {timeout:.3f} s",
                                             board)
                raise BoardNotResponding(f"{spec.description}: no reply within "
                                         f"{timeout:.3f} s", board)

    def _emit(self, direction: str, data: bytes) -> None:
        if self.trace is not None:
            self.trace(direction, data)

    def health(self) -> dict:
        return {"port": self.url, "baudrate": self.baudrate, "open": self._port is not None,
                "transactions": self.transactions, "reopens": self.reopens}


def line_time(nbytes: int, baudrate: int) -> float:
    """Seconds that ``nbytes`` take on the wire at 8N1 (10 bits a byte)."""
    return nbytes * 10 / baudrate


class BusDriver:
    """What the serial board drivers share: a bus, a list of boards, probing them."""

    kind = ""
    baudrate: int
    first_board: int
    bus: SerialBus
    boards: tuple[int, ...]

    @classmethod
    def from_settings(cls, port, settings, *, boards, door_open_when_set, trace=None,
                      pin_factory=None):
        """Settings of the bus: ``baudrate``, ``timeout`` (s, a status reply),
        ``unlock_timeout`` (s, an unlock reply), ``silence`` (s); and the driver's own (see
        its :meth:`options`)."""
        if not port:
            raise ConfigError(f"the {cls.kind} driver needs a port (a device path or a pyserial URL)")
        bus = SerialBus(port, int(settings.get("baudrate", cls.baudrate)),
                        timeout=float(settings.get("timeout", DEFAULT_TIMEOUT)),
                        unlock_timeout=float(settings.get("unlock_timeout", DEFAULT_UNLOCK_TIMEOUT)),
                        silence=float(settings.get("silence", DEFAULT_SILENCE)), trace=trace)
        return cls(bus, boards or (cls.first_board,), door_open_when_set=door_open_when_set,
                   **cls.options(settings))

    @classmethod
    def options(cls, settings: dict) -> dict:
        """The driver's own keyword arguments from the cabinet's settings."""
        return {}

    def all_off(self) -> dict[int, str | None]:
        """Serial boards energise a lock only during their own pulse: nothing stays on.

        So "off" means sending no unlock, and asking every board for its state, so that a
        dead board is reported at start-up rather than at the first check-in; one dead
        board never stops the others.
        """
        result = {}
        for board in self.boards:
            try:
                self.read_doors(board)
                result[board] = None
            except LockerError as exc:
                result[board] = str(exc)
        return result

    def health(self) -> dict:
        return {"driver": self.kind, "boards": list(self.boards), **self.bus.health()}

    def close(self) -> None:
        self.bus.close()
