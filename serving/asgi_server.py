"""Running an ASGI app under uvicorn (the panel: its live streams wait on an event loop,
not in threads) with systemd's notifications, as :mod:`serving.waitress_server` does.

READY=1 is sent once the socket listens; WATCHDOG=1 only while the server answers an
HTTP request on its own socket.  On SIGTERM open streams get ``graceful`` seconds.
"""

from __future__ import annotations

import uvicorn

from . import sdnotify


class _Server(uvicorn.Server):
    probe_path = "/healthz"
    on_shutdown = None

    async def shutdown(self, sockets=None) -> None:
        if self.on_shutdown is not None:
            self.on_shutdown()  # end long-lived responses, or the graceful wait cancels them
        await super().shutdown(sockets=sockets)

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            port = self.servers[0].sockets[0].getsockname()[1]  # the real one when asked for 0
            sdnotify.ready(self.config.host, port, self.probe_path)


def server(app, host: str, port: int, *, probe_path: str = "/healthz", connections: int = 2000,
           graceful: float = 2.0, on_shutdown=None) -> uvicorn.Server:
    """``connections``: open sockets at most (an open board holds one); beyond, 503.
    ``.run()`` it, or ``.run(sockets=[sock])`` on a bound socket (tests: port 0), and
    set ``should_exit`` to stop it from another thread.  ``on_shutdown()`` runs on the
    event loop when it stops (the panel ends its live streams there)."""
    config = uvicorn.Config(app, host=host, port=port, lifespan="off", access_log=False,
                            log_level="warning", limit_concurrency=connections,
                            timeout_graceful_shutdown=graceful, server_header=False)
    srv = _Server(config)
    srv.probe_path, srv.on_shutdown = probe_path, on_shutdown
    return srv


def run(app, host: str, port: int, **kwargs) -> None:
    server(app, host, port, **kwargs).run()
