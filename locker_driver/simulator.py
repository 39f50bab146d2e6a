"""A lock-control board simulator that is a real serial peer.

:class:`BoardSimulator` speaks the "8A" or the Kerong protocol byte for byte, as N boards
of M locks, with doors that open when unlocked and close on request (or after a delay),
and switchable faults.  :class:`PtyServer` puts it behind a pseudo-terminal, so the real
pyserial drivers open a device path exactly as they would ``/dev/ttyUSB0``;
:class:`TcpServer` serves it on a loopback TCP port for ``socket://`` URLs.

It refuses to run when ``ATTESTATION_ENV=production``: a simulated cabinet must never
stand in for a real one at a venue.

Faults (attributes, switch them at any time):

``no_reply``      ignore the next N requests (-1: all of them)
``stray``         bytes sent before every reply (noise on the line)
``split``         send each reply in bursts with pauses between them
``bad_checksum``  corrupt the checksum of the next N replies
``dead``          board addresses that never answer
``jammed``        (board, lock) doors that stay shut when unlocked
``delay``         seconds the board takes before it answers (a slow or hanging board)
``lose_reply``    act on the next N requests (pulse the lock) but lose the reply
``late``          answer the next N requests ``late_by`` seconds late (after the driver gave up)
``inverted``      board addresses whose status bits read the other way round
``unwired``       (board, lock) doors whose sensor is not wired: the bit never changes
:meth:`force_open` a door opened with no command

Timing.  ``timing="instant"`` (the default, for codec tests) answers at once.
``timing="real"`` answers as a board does (:data:`REAL_TIMING`): an unlock is answered
after the lock's pulse, a status query after the board's own reaction time, and every
byte, both ways, takes its time on the wire at the protocol's baud rate.  Each value can
be set on its own (``unlock_reaction``, ``query_reaction`` in seconds, ``pace``).
"""

from __future__ import annotations

import os
import select
import socket
import threading
import time

from . import protocol_8a as p8a, protocol_kerong as pk
from .pty_device import PtyDevice
from .serial_bus import line_time

#: How real boards answer, per protocol: seconds from the end of the request to the first
#: byte of the reply.  8A: the unlock reply comes after the pulse, about 500 ms (as
#: Open-Locker's rs485-lock-board notes measure); Kerong KR-CU: we assume 300 ms (its
#: documents give no figure; set ``--unlock-reaction`` to what a real board shows).
#: Status queries: tens of milliseconds on both.
REAL_TIMING = {"8a": {"unlock_reaction": 0.5, "query_reaction": 0.02},
               "kerong": {"unlock_reaction": 0.3, "query_reaction": 0.02}}
BAUDRATES = {"8a": p8a.BAUDRATE, "kerong": pk.BAUDRATE}


def refuse_in_production() -> None:
    if os.environ.get("ATTESTATION_ENV", "").lower() == "production":
        raise RuntimeError("the board simulator cannot run with ATTESTATION_ENV=production")


class BoardSimulator:
    def __init__(self, protocol: str = "8a", boards=(1,), locks: int = 8, *,
                 open_is_set: bool = True, auto_close: float | None = None,
                 status_bytes: int = p8a.DEFAULT_STATUS_BYTES, split_pause: float = 0.003,
                 timing: str = "instant", unlock_reaction: float | None = None,
                 query_reaction: float | None = None, pace: bool | None = None,
                 on_frame=None, on_unlock=None):
        """``on_frame(seconds, request)``: called as each request frame arrives (its
        ``time.monotonic()``, the same clock in every process of the machine).
        ``on_unlock(board, lock)``: called as a lock is pulsed, before its reply goes out."""
        refuse_in_production()
        if protocol not in REAL_TIMING:
            raise ValueError("protocol is '8a' or 'kerong'")
        if timing not in ("instant", "real"):
            raise ValueError("timing is 'instant' or 'real'")
        real = timing == "real"
        preset = REAL_TIMING[protocol] if real else {"unlock_reaction": 0.0, "query_reaction": 0.0}
        self.unlock_reaction = preset["unlock_reaction"] if unlock_reaction is None else unlock_reaction
        self.query_reaction = preset["query_reaction"] if query_reaction is None else query_reaction
        self.pace = real if pace is None else pace
        self.baudrate = BAUDRATES[protocol]
        self.protocol = protocol
        self.boards = tuple(boards)
        self.locks = locks
        self.open_is_set = open_is_set
        self.auto_close = auto_close
        self.status_bytes = status_bytes
        self.split_pause = split_pause
        self.doors = {(b, l): False for b in self.boards for l in range(1, locks + 1)}
        self.items: set[tuple[int, int]] = set()
        self.no_reply = 0
        self.stray = b""
        self.split = False
        self.bad_checksum = 0
        self.dead: set[int] = set()
        self.jammed: set[tuple[int, int]] = set()
        self.delay = 0.0
        self.lose_reply = 0
        self.late = 0
        self.late_by = 2.0
        self.inverted: set[int] = set()
        self.unwired: set[tuple[int, int]] = set()
        self.unlocks: list[tuple[int, int, float]] = []
        self.requests: list[bytes] = []
        self.on_frame = on_frame
        self.on_unlock = on_unlock
        self._buf = bytearray()
        self._lock = threading.RLock()
        self._timers: list[threading.Timer] = []

    # -- the physical side ---------------------------------------------------------------
    def open_door(self, board: int, lock: int) -> None:
        with self._lock:
            self.doors[(board, lock)] = True

    def close_door(self, board: int, lock: int) -> None:
        with self._lock:
            self.doors[(board, lock)] = False

    force_open = open_door  # a door pulled open with no command: same physics, no unlock

    def is_open(self, board: int, lock: int) -> bool:
        return self.doors[(board, lock)]

    def _unlocked(self, board: int, lock: int) -> None:
        self.unlocks.append((board, lock, time.monotonic()))
        if self.on_unlock is not None:
            self.on_unlock(board, lock)
        if (board, lock) in self.jammed:
            return
        self.doors[(board, lock)] = True
        if self.auto_close is not None:
            timer = threading.Timer(self.auto_close, self.close_door, (board, lock))
            timer.daemon = True
            timer.start()
            self._timers.append(timer)

    def _bit(self, board: int, lock: int) -> bool:
        if (board, lock) in self.unwired:
            return False  # an open input: the same level whatever the door does
        bit = self.doors.get((board, lock), False) == self.open_is_set
        return bit != (board in self.inverted)

    # -- the wire side -------------------------------------------------------------------
    def feed(self, data: bytes) -> list[tuple[float, list[bytes]]]:
        """Bytes from the host in; for each reply, the seconds to wait before it and its bursts."""
        out = []
        with self._lock:
            self._buf += data
            while True:
                request = self._take_request()
                if request is None:
                    break
                self.requests.append(request)
                if self.on_frame is not None:
                    self.on_frame(time.monotonic(), request)
                reply = self._answer(request)
                if reply is None:
                    continue
                if self.lose_reply:
                    self.lose_reply -= 1
                    continue
                out.append((self._reaction(request), self._deliver(reply)))
        return out

    def is_unlock(self, request: bytes) -> bool:
        if self.protocol == "8a":
            return request[0] == p8a.UNLOCK_HEADER
        return request[2] == pk.CMD_UNLOCK

    def _reaction(self, request: bytes) -> float:
        """Seconds from the last byte of ``request`` to the first byte of its reply."""
        delay = self.unlock_reaction if self.is_unlock(request) else self.query_reaction
        if self.late:
            self.late -= 1
            delay += self.late_by
        if self.pace:
            delay += line_time(len(request), self.baudrate)  # the request's own wire time
        return delay + self.delay

    def _take_request(self) -> bytes | None:
        buf = self._buf
        while len(buf) >= 5:
            frame = bytes(buf[:5])
            if self.protocol == "8a":
                ok = frame[0] in (p8a.UNLOCK_HEADER, p8a.QUERY_HEADER) and p8a.bcc(frame[:4]) == frame[4]
            else:
                ok = frame[0] == pk.STX and frame[3] == pk.ETX and pk.checksum(frame[:4]) == frame[4]
            if ok:
                del buf[:5]
                return frame
            del buf[:1]  # line noise: resynchronise on the next byte
        return None

    def _answer(self, req: bytes) -> bytes | None:
        if self.no_reply:
            if self.no_reply > 0:
                self.no_reply -= 1
            return None
        if self.protocol == "8a":
            board = req[1]
            if board not in self.boards or board in self.dead:
                return None
            if req[0] == p8a.UNLOCK_HEADER and req[3] == p8a.FN_UNLOCK:
                lock = req[2]
                if (board, lock) not in self.doors:
                    return None
                self._unlocked(board, lock)
                return p8a.encode_single_reply(p8a.UNLOCK_HEADER, board, lock, self._bit(board, lock))
            if req[0] == p8a.QUERY_HEADER and req[3] == p8a.FN_QUERY:
                if req[2] == 0:
                    opened = {l for (b, l) in self.doors if b == board and self._bit(b, l)}
                    return p8a.encode_all_status(board, opened, self.status_bytes)
                if (board, req[2]) in self.doors:
                    return p8a.encode_single_reply(p8a.QUERY_HEADER, board, req[2],
                                                   self._bit(board, req[2]))
            return None
        board, channel = req[1] >> 4, req[1] & 0x0F
        if board not in self.boards or board in self.dead:
            return None
        if req[2] == pk.CMD_UNLOCK:
            if (board, channel + 1) not in self.doors:
                return None
            self._unlocked(board, channel + 1)
        elif req[2] != pk.CMD_STATUS:
            return None
        hooks = {l for (b, l) in self.doors if b == board and self._bit(b, l)}
        items = {l for (b, l) in self.items if b == board}
        return pk.encode_status(board, hooks, items)

    def _deliver(self, reply: bytes) -> list[bytes]:
        if self.bad_checksum:
            self.bad_checksum -= 1
            reply = reply[:-1] + bytes([reply[-1] ^ 0x5A])
        data = self.stray + reply
        if not self.split:
            return [data]
        return [data[i:i + 2] for i in range(0, len(data), 2)]

    def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()


class _Server:
    def _pump(self, read, write, alive) -> None:
        while alive():
            try:
                data = read()
            except OSError:
                return
            if data is None:
                continue
            if not data:
                return
            try:
                for delay, bursts in self.sim.feed(data):
                    time.sleep(delay)
                    for i, burst in enumerate(bursts):
                        if not alive():  # stopped: the rest of a backlog is never sent
                            return
                        if i:
                            time.sleep(self.sim.split_pause)
                        self._send(burst, write)
            except OSError:
                return

    def _send(self, burst: bytes, write) -> None:
        if not self.sim.pace:
            write(burst)
            return
        for i in range(len(burst)):  # one byte at a time, at the baud rate
            time.sleep(line_time(1, self.sim.baudrate))
            write(burst[i:i + 1])


class PtyServer(_Server):
    """Serve a simulator on a pseudo-terminal; ``path`` is what to give the driver.

    ``path`` is a symlink to the current pty (:class:`~.pty_device.PtyDevice`: ``link``
    if given, else a name of its own in a fresh directory), like a udev rule's stable
    name.  :meth:`unplug` and :meth:`replug` act like pulling the USB-RS485 adapter out
    and putting it back: the link goes, the old pty dies, a new one appears at the link.
    """

    def __init__(self, sim: BoardSimulator, link: str | None = None):
        self.sim = sim
        self._thread = None
        self._running = False
        self._device = PtyDevice(link, name="ttyRS485")
        self._start_pump()

    def _start_pump(self) -> None:
        self._running = True
        master = self._device.master
        self._thread = threading.Thread(target=self._pump, daemon=True, name="pty-sim",
                                        args=(lambda: self._read(master),
                                              lambda b: os.write(master, b),
                                              lambda: self._running and self._device.master == master))
        self._thread.start()

    @property
    def path(self) -> str:
        return self._device.path

    def _read(self, fd):
        ready, _, _ = select.select([fd], [], [], 0.1)
        return os.read(fd, 4096) if ready else None

    def unplug(self) -> None:
        self._running = False
        self._device.unplug(close=False)  # the name goes at once, as udev removes it
        if self._thread:
            self._thread.join(timeout=2)
        if self._thread is None or not self._thread.is_alive():
            # Closed only once the pump has stopped: a descriptor closed under a pump still
            # pacing out a reply gets its number reused by the next file opened (a database
            # socket, say), and the rest of the reply lands there.  A pump that does not
            # stop keeps its descriptors: a leak in a test, never a corruption.
            self._device.close_fds()

    def replug(self) -> None:
        self._device.plug()
        self._start_pump()

    def stop(self) -> None:
        self.unplug()
        self.sim.stop()
        if not self._device.plugged:
            self._device.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class TcpServer(_Server):
    """Serve a simulator on 127.0.0.1 for ``socket://127.0.0.1:PORT`` URLs, one client at a time."""

    def __init__(self, sim: BoardSimulator, port: int = 0, host: str = "127.0.0.1"):
        self.sim = sim
        self._sock = socket.create_server((host, port))
        self.port = self._sock.getsockname()[1]
        self.url = f"socket://{host}:{self.port}"
        self._running = True
        threading.Thread(target=self._accept, daemon=True, name="tcp-sim").start()

    def _accept(self) -> None:
        while self._running:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            conn.settimeout(0.1)

            def read(c=conn):
                try:
                    return c.recv(4096)
                except socket.timeout:
                    return None
            self._pump(read, conn.sendall, lambda: self._running)
            conn.close()

    def stop(self) -> None:
        self._running = False
        self._sock.close()
        self.sim.stop()
