"""Shared helpers for the Playwright browser tests (Debian's Chromium, no browser download)."""

from __future__ import annotations

import contextlib
import os
import pathlib
import shutil
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = pathlib.Path(__file__).resolve().parent.parent / "test-artifacts"
# On a loaded CI machine an assertion on a page waits as long as an action does, not
# Playwright's 5 s: a live board's update can come later than that beside other suites.
expect.set_options(timeout=15_000)

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]


def require_chromium():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if os.environ.get("REQUIRE_POSTGRES") == "1":  # i.e. under `make test`
            pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")


class ServerThread:
    """A WSGI app on 127.0.0.1 in a thread (a real HTTP server for the browser)."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()


class PanelServer:
    """The panel as production serves it (uvicorn, live streams on the event loop) on
    127.0.0.1 in a thread: ``.url``, ``.app`` (its hub and feed), ``.stop()``."""

    def __init__(self, flask_app, **asgi_kwargs):
        import socket
        import time
        from serving import asgi_server
        from web.live_server import create_asgi
        self.app = create_asgi(flask_app, **asgi_kwargs)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = asgi_server.server(self.app, "127.0.0.1", 0, graceful=0.5,
                                         on_shutdown=self.app.hub.close_all)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.01)

    def stop(self):
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.app.feed.stop.set()
        self.sock.close()


#: Milliseconds a document the panel lays out (a PDF, a sitting's archive) may take to come:
#: a sitting of forty's archive took 25 s with both cores busy, near Playwright's 30 s default.
DOCUMENT_TIMEOUT_MS = 120_000


def fetch_document(page, url):
    """GET ``url`` in the page's signed-in session (a PDF or an archive) and return the
    response; waits as long as the layout takes, not Playwright's 30 s."""
    return page.request.get(url, timeout=DOCUMENT_TIMEOUT_MS)


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def shot(page, *parts) -> pathlib.Path:
    path = ARTIFACTS.joinpath(*parts).with_suffix(".png")
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


@contextlib.contextmanager
def kiosk_rig(playwright, sqlite_url, *, cells, candidates, config=lambda site: {}):
    """A kiosk app over HTTP on a simulated cabinet at a board's pace, its cabinet agent
    running, and Chromium: ``dict(db, sim, site, app, url, browser)``.

    ``config(site)``: the kiosk's settings beyond its database and token.
    """
    from agent import AgentTiming, CabinetAgent
    from attestation.db import Database
    from kiosk import create_app
    from kiosk_site import build_site
    from locker_driver.simulator import BoardSimulator, PtyServer

    db = Database(sqlite_url)
    sim = BoardSimulator("8a", boards=(1,), locks=8, timing="real")  # a board's own pace
    pty = PtyServer(sim)
    site = build_site(db, pty.path, cells=cells, candidates=candidates, kiosks=1)
    # A result screen's own return (15 s) would race a test's next tap on a loaded machine;
    # test_kiosk_browser.py tests that return with a short one.
    app = create_app({"DATABASE_URL": sqlite_url, "KIOSK_TOKEN": site.tokens[0],
                      "KIOSK_RESULT_SECONDS": 600, **config(site)})
    server = ServerThread(app)
    agent = CabinetAgent(db, "cab-1", timing=AgentTiming(poll_interval=0.05, jam_timeout=3))
    stop = threading.Event()
    agent_thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
    agent_thread.start()
    browser = launch(playwright)
    try:
        yield dict(db=db, sim=sim, site=site, app=app, url=server.url, browser=browser)
    finally:
        browser.close()
        stop.set()
        agent_thread.join(timeout=5)
        server.stop()
        pty.stop()
        for name in ("serial_scanner", "camera"):
            if name in app.extensions:
                app.extensions[name].stop()
        app.extensions["attestation_db"].dispose()
        db.dispose()
