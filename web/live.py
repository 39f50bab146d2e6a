"""Live updates for the board: one watcher thread per process, Server-Sent Events to browsers.

The watcher reads the board's version (see :func:`board_data.version`) every
``interval`` seconds and wakes every waiting event stream when it changes; each stream
then sends ``event: change`` and the page fetches the board again.  Streams end after
``lifetime`` seconds (the browser's EventSource reconnects by itself), so a server's
threads are never held for ever.
"""

from __future__ import annotations

import threading
import time

from flask import Response, stream_with_context

from .board_data import version


class VersionWatcher:
    def __init__(self, db, interval: float = 0.2):
        self.db = db
        self.interval = interval
        self.current = ""
        self._cond = threading.Condition()
        self._started = False
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if not self._started:
                self._started = True
                threading.Thread(target=self._run, daemon=True, name="board-watcher").start()

    def _run(self) -> None:
        while True:
            try:
                with self.db.read() as s:
                    v = version(s)
            except Exception:  # the database may be briefly away; keep watching
                v = self.current
            if v != self.current:
                with self._cond:
                    self.current = v
                    self._cond.notify_all()
            time.sleep(self.interval)

    def wait_change(self, seen: str, timeout: float) -> str:
        self.start()
        with self._cond:
            self._cond.wait_for(lambda: self.current != seen, timeout=timeout)
            return self.current


def stream_response(watcher: VersionWatcher) -> Response:
    """The change stream as a response (for the board and the cabinet view alike)."""
    return Response(stream_with_context(event_stream(watcher)), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def event_stream(watcher: VersionWatcher, lifetime: float = 120.0, keepalive: float = 15.0):
    deadline = time.monotonic() + lifetime
    seen = watcher.current
    yield "retry: 1000\n\n"
    while time.monotonic() < deadline:
        new = watcher.wait_change(seen, timeout=keepalive)
        if new != seen:
            seen = new
            yield f"event: change\ndata: {new}\n\n"
        else:
            yield ": keep-alive\n\n"
