"""Attempt limits that hold under concurrency (sign-in guesses, kiosk identification).

An attempt is counted *before* the slow or revealing work is done (:meth:`attempt`) and
forgiven when it turns out well (:meth:`forgive`, :meth:`clear`): however many requests
arrive at once, at most ``limit`` per ``window`` seconds get through.  Counts live in the
process (one panel or kiosk process per Pi); a restart forgets them.
"""

from __future__ import annotations

import threading
import time


class AttemptLimiter:
    def __init__(self):
        self._lock = threading.Lock()
        self._seen: dict[str, list[float]] = {}

    def attempt(self, keys, limit: int, window: float) -> bool:
        """Count one attempt for every key; False (nothing counted) when any key is at its limit."""
        now = time.monotonic()
        with self._lock:
            for key in keys:
                recent = [t for t in self._seen.get(key, []) if now - t < window]
                self._seen[key] = recent
                if len(recent) >= limit:
                    return False
            for key in keys:
                self._seen[key].append(now)
        return True

    def forgive(self, keys) -> None:
        """Take back the last attempt of every key (it went well)."""
        with self._lock:
            for key in keys:
                if self._seen.get(key):
                    self._seen[key].pop()

    def clear(self, keys) -> None:
        with self._lock:
            for key in keys:
                self._seen.pop(key, None)
