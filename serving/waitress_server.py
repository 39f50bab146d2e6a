"""Running a WSGI app under waitress (a production server) with systemd's notifications.

READY=1 is sent once the socket is bound; WATCHDOG=1 only while the server answers an
HTTP request on its own socket, so a wedged process is restarted by systemd.
"""

from __future__ import annotations

from waitress import create_server

from . import sdnotify


def run(app, host: str, port: int, threads: int = 8, probe_path: str = "/healthz") -> None:
    # waitress refuses a body larger than the app would read (its default is 1 GiB).
    max_body = app.config.get("MAX_CONTENT_LENGTH") or 1024 * 1024
    server = create_server(app, host=host, port=port, threads=threads, ident="attestation",
                           connection_limit=max(100, threads * 8), max_request_body_size=max_body)
    sdnotify.ready(host, server.effective_port, probe_path)
    try:
        server.run()
    finally:
        server.close()
