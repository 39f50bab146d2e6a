"""The kiosk's one queue of scans, fed by the serial scanner and the camera alike.

A scan belongs to the person at the kiosk when it was read: it is handed out only to a
page that was already waiting (``since`` with the sequence number the page started from),
only for ``max_age`` seconds, and :meth:`ScanQueue.clear` drops whatever is queued when a
person's session ends.  (A keyboard-wedge scanner types into the page and never passes
through here.)
"""

from __future__ import annotations

import threading
import time


class ScanQueue:
    def __init__(self, keep: int = 50):
        self.keep = keep
        self._items: list[tuple[int, str, float]] = []  # (seq, text, monotonic time read)
        self._seq = 0
        self._cond = threading.Condition()
        self._advice: tuple[int, str | None] = (0, None)  # (its number, the camera's hint)

    def push(self, raw: str) -> None:
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

    def advise(self, hint: str | None) -> None:
        """The camera's advice to the person in front of it (:data:`kiosk.camera.HINTS`;
        None: none now).  A page waiting in :meth:`since` is woken by a change."""
        with self._cond:
            if hint != self._advice[1]:
                self._advice = (self._advice[0] + 1, hint)
                self._cond.notify_all()

    @property
    def advice(self) -> tuple[int, str | None]:
        """(its number, the hint): a page passes the number back to wait for the next one."""
        with self._cond:
            return self._advice

    def since(self, after: int, wait: float = 0.0, max_age: float | None = None,
              advice_after: int | None = None) -> list[tuple[int, str]]:
        """Scans after sequence number ``after`` and younger than ``max_age`` seconds,
        waiting up to ``wait`` seconds for one (or, with ``advice_after``, for advice
        numbered otherwise)."""
        deadline = time.monotonic() + wait
        with self._cond:
            while True:
                now = time.monotonic()
                items = [(n, t) for n, t, at in self._items
                         if n > after and (max_age is None or now - at <= max_age)]
                remaining = deadline - now
                if items or remaining <= 0 or advice_after not in (None, self._advice[0]):
                    return items
                self._cond.wait(remaining)

    def clear(self) -> None:
        """Forget every queued scan and the advice (a person's session ended); numbering goes on."""
        with self._cond:
            self._items.clear()
        self.advise(None)
