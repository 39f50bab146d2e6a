"""``kioskctl serve``: run the kiosk, the panel and the cabinet agent."""

from __future__ import annotations

import logging
import signal

import click

from attestation.errors import DomainError
from serving import profiling

from .base import Group, database, main


@main.group(cls=Group)
def serve():
    """Run the system's services.

    Each command imports only its own service (the agent never loads the kiosk's or the
    panel's web stack): memory and start-up time on the Pi."""
    profiling.install_from_env()  # only when a bench asks for it (ATTESTATION_PROFILE_FILE)


def _stop_on_signals() -> None:
    """systemd's stop (SIGTERM) and Ctrl-C both end a service cleanly (its finally blocks
    and exit handlers run).  Set here, not inherited: a shell's background job starts
    with SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)


@serve.command("agent")
@click.option("--cabinet", "cabinets", multiple=True, required=True,
              help="Name of a cabinet this Pi owns; repeat for several (one thread each).")
@click.option("--jam-timeout", type=float, default=5.0, show_default=True,
              help="Seconds a door may take to open after an unlock before it is a jam.")
@click.pass_context
def serve_agent(ctx, cabinets, jam_timeout):
    """Run the cabinet agent: execute queued unlocks, watch the doors."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from agent import AgentTiming, cabinet_agent
    _stop_on_signals()  # every lock output off and the port closed on the way out
    try:
        cabinet_agent.serve(database(ctx), list(cabinets), timing=AgentTiming(jam_timeout=jam_timeout))
    except LookupError as exc:
        raise DomainError(str(exc.args[0])) from None


@serve.command("kiosk")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Listen address (the page and its token are served to local clients only).")
@click.option("--port", type=int, default=8081, show_default=True)
@click.option("--threads", type=int, default=8, show_default=True)
@click.pass_context
def serve_kiosk(ctx, host, port, threads):
    """Run the kiosk app under waitress.  Settings: ATTESTATION_KIOSK_TOKEN and friends."""
    from kiosk import create_app as create_kiosk
    from serving import waitress_server
    app = create_kiosk({"DATABASE_URL": ctx.obj.get("url")})
    if not app.config.get("KIOSK_TOKEN"):
        raise DomainError("set ATTESTATION_KIOSK_TOKEN to this kiosk's token (kioskctl kiosk add)")
    _stop_on_signals()
    try:
        waitress_server.run(app, host, port, threads)
    except KeyboardInterrupt:
        pass


@serve.command("panel")
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--port", type=int, default=8082, show_default=True)
@click.option("--threads", type=int, default=16, show_default=True,
              help="Worker threads for requests; open boards' live streams need none.")
@click.pass_context
def serve_panel(ctx, host, port, threads):
    """Run the commission's panel under uvicorn.  Set ATTESTATION_SECRET_KEY."""
    from serving import asgi_server
    from web import create_app as create_panel
    from web.live_server import create_asgi
    app = create_asgi(create_panel({"DATABASE_URL": ctx.obj.get("url")}), workers=threads)
    # uvicorn ends on SIGTERM and Ctrl-C by itself, giving open streams 2 s.
    asgi_server.run(app, host, port, probe_path="/panel/healthz", on_shutdown=app.hub.close_all)
