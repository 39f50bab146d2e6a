"""Serial barcode/MRZ scanners (pyserial), for scanners that are not keyboard wedges.

A background thread reads the port; a scan ends at a pause or at CR/LF, except that an
MRZ's three lines arrive as one scan (lines are joined until the line break is followed
by a pause of ``gap`` seconds).  The page fetches new scans from ``/api/v1/kiosk/scans``.

A scan belongs to the person at the kiosk when it was read: it is handed out only to a
page that was already waiting (``since`` with the sequence number the page started from),
only for ``max_age`` seconds, and :meth:`clear` drops whatever is queued when a person's
session ends.
"""

from __future__ import annotations

import threading
import time

import serial


class SerialScanner:
    def __init__(self, url: str, baudrate: int = 9600, gap: float = 0.15, keep: int = 50):
        self.url = url
        self.baudrate = baudrate
        self.gap = gap
        self.keep = keep
        self._items: list[tuple[int, str, float]] = []  # (seq, text, monotonic time read)
        self._seq = 0
        self._cond = threading.Condition()
        self._running = True
        self.error: str | None = None
        #: Set while the port is open (opening it flushes what arrived before).
        self.ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="serial-scanner")
        self._thread.start()

    def _run(self) -> None:
        while self._running:
            try:
                port = serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=self.gap)
            except (serial.SerialException, OSError, ValueError) as exc:
                self.error = str(exc)
                time.sleep(1.0)
                continue
            self.error = None
            self.ready.set()
            buf = bytearray()
            try:
                while self._running:
                    chunk = port.read(256)
                    if chunk:
                        buf += chunk
                        continue
                    if buf:  # a pause after data: one complete scan
                        self._push(buf.decode("utf-8", "replace"))
                        buf.clear()
            except (serial.SerialException, OSError) as exc:
                self.error = str(exc)
            finally:
                self.ready.clear()
                port.close()

    def _push(self, raw: str) -> None:
        text = raw.replace("\r\n", "\n").replace("\r", "\n").strip("\n ")
        if not text:
            return
        with self._cond:
            self._seq += 1
            self._items.append((self._seq, text, time.monotonic()))
            del self._items[:-self.keep]
            self._cond.notify_all()

    @property
    def last(self) -> int:
        """The sequence number of the latest scan: where a page that just loaded starts."""
        with self._cond:
            return self._seq

    def since(self, after: int, wait: float = 0.0, max_age: float | None = None
              ) -> list[tuple[int, str]]:
        """Scans after sequence number ``after`` and younger than ``max_age`` seconds,
        waiting up to ``wait`` seconds for one."""
        deadline = time.monotonic() + wait
        with self._cond:
            while True:
                now = time.monotonic()
                items = [(n, t) for n, t, at in self._items
                         if n > after and (max_age is None or now - at <= max_age)]
                remaining = deadline - now
                if items or remaining <= 0:
                    return items
                self._cond.wait(remaining)

    def clear(self) -> None:
        """Forget every queued scan (a person's session ended); numbering goes on."""
        with self._cond:
            self._items.clear()

    def stop(self) -> None:
        self._running = False
        self._thread.join(timeout=2)
