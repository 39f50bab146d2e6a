"""Serial barcode/MRZ scanners (pyserial), for scanners that are not keyboard wedges.

A background thread reads the port; a scan ends at a pause or at CR/LF, except that an
MRZ's three lines arrive as one scan (lines are joined until the line break is followed
by a pause of ``gap`` seconds).  The page fetches new scans from ``/api/v1/kiosk/scans``.

Scans go to the kiosk's one :class:`~kiosk.scan_queue.ScanQueue`, shared with the camera.
"""

from __future__ import annotations

import threading
import time

import serial

from .scan_queue import ScanQueue


class SerialScanner:
    """Reads ``url`` (a pyserial URL) and pushes each scan into ``queue``."""

    def __init__(self, queue: ScanQueue, url: str, baudrate: int = 9600, gap: float = 0.15):
        self.queue = queue
        self.url = url
        self.baudrate = baudrate
        self.gap = gap
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
                        self.queue.push(buf.decode("utf-8", "replace"))
                        buf.clear()
            except (serial.SerialException, OSError) as exc:
                self.error = str(exc)
            finally:
                self.ready.clear()
                port.close()

    def stop(self) -> None:
        self._running = False
        self._thread.join(timeout=2)
