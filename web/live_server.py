"""The panel as an ASGI app: Flask in a thread pool, live streams on the event loop.

Every request goes to the Flask app (through a2wsgi's thread pool), so who may see
what is decided in one place.  When a live view answers with the topic marker of
:func:`web.live.stream_response`, the connection is kept here instead: a queue on the
:class:`Hub`, fed by the :class:`web.live.ChangeFeed` thread.  500 open boards are 500
sockets and queues, and one message per change is written to each.
"""

from __future__ import annotations

import asyncio
import random
import threading

from a2wsgi import WSGIMiddleware

from webcore.app import EXTENSION

from . import live

#: Headers of the marker response that must not reach the browser.
_DROPPED = {live.TOPIC_HEADER.lower().encode(), b"content-length"}


class Hub:
    """Open streams by topic; ``publish`` from any thread through ``publish_threadsafe``."""

    def __init__(self):
        self._streams: dict[str, set[asyncio.Queue]] = {}
        self._lock = threading.Lock()
        self.loop: asyncio.AbstractEventLoop | None = None

    def topics(self) -> list[str]:
        with self._lock:
            return [name for name, queues in self._streams.items() if queues]

    def publish(self, name: str, message: bytes) -> None:
        with self._lock:
            queues = list(self._streams.get(name, ()))
        for queue in queues:
            queue.put_nowait(message)

    def publish_threadsafe(self, name: str, message: bytes) -> None:
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.publish, name, message)

    def close_all(self) -> None:
        """End every stream (the server is stopping; browsers reconnect to the next one)."""
        for name in self.topics():
            self.publish(name, b"")

    def count(self) -> int:
        with self._lock:
            return sum(len(queues) for queues in self._streams.values())

    async def serve(self, name: str, receive, send, *, lifetime: float, keepalive: float) -> None:
        """Write this topic's messages to one client until it leaves or ``lifetime`` ends
        (the browser reconnects, and its user is checked again).

        The waits are plain ``queue.get()``: the keep-alive and the end of the lifetime
        arrive through the queue too (timers), so a message costs no task per stream."""
        queue: asyncio.Queue = asyncio.Queue()
        with self._lock:
            self._streams.setdefault(name, set()).add(queue)
        loop = asyncio.get_running_loop()
        gone = asyncio.ensure_future(_disconnected(receive))
        gone.add_done_callback(lambda _: queue.put_nowait(None))
        end = loop.call_later(lifetime, queue.put_nowait, b"")
        beat = _Beat(loop, queue, keepalive)
        try:
            await send({"type": "http.response.body", "body": live.RETRY, "more_body": True})
            while message := await queue.get():
                await send({"type": "http.response.body", "body": message, "more_body": True})
            if message is not None:  # the lifetime ended, not the client
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            with self._lock:
                self._streams[name].discard(queue)
            gone.cancel()
            end.cancel()
            beat.cancel()


class _Beat:
    """A comment line every ``interval`` seconds, so proxies and browsers keep the stream."""

    def __init__(self, loop, queue: asyncio.Queue, interval: float):
        self.loop, self.queue, self.interval = loop, queue, interval
        self.handle = loop.call_later(interval, self._tick)

    def _tick(self) -> None:
        self.queue.put_nowait(live.KEEPALIVE)
        self.handle = self.loop.call_later(self.interval, self._tick)

    def cancel(self) -> None:
        self.handle.cancel()


async def _disconnected(receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def create_asgi(flask_app, *, workers: int = 16, lifetime: float = 300.0,
                keepalive: float = 15.0):
    """The panel's ASGI app.  ``workers``: threads for ordinary requests; ``lifetime``
    (s, ±10 % so that boards opened together do not all reconnect together) of a stream."""
    wsgi = WSGIMiddleware(flask_app, workers=workers)
    hub = Hub()
    feed = live.ChangeFeed(flask_app.extensions[EXTENSION], flask_app.extensions["board_cache"],
                           hub.topics, hub.publish_threadsafe)

    async def app(scope, receive, send):
        if scope["type"] != "http" or not scope["path"].endswith("/events"):
            return await wsgi(scope, receive, send)
        held: dict[str, str] = {}

        async def hold(message):
            if message["type"] == "http.response.start":
                headers = dict(message["headers"])
                name = headers.get(live.TOPIC_HEADER.lower().encode())
                if name:
                    held["topic"] = name.decode()
                    message = dict(message, headers=[(k, v) for k, v in message["headers"]
                                                     if k not in _DROPPED])
            elif "topic" in held:
                return  # the marker's own body: the stream follows instead
            await send(message)

        await wsgi(scope, receive, hold)
        if "topic" in held:
            hub.loop = asyncio.get_running_loop()
            feed.start()
            await hub.loop.run_in_executor(wsgi.executor, feed.watch, held["topic"])
            await hub.serve(held["topic"], receive, send,
                            lifetime=lifetime * random.uniform(0.9, 1.1), keepalive=keepalive)

    app.hub, app.feed = hub, feed
    return app
