"""The check-in kiosk: a Flask app for the touchscreen at the venue entrance.

``create_app()`` follows Flask's application-factory pattern.  Settings come from the
mapping passed in, else from environment variables prefixed ``ATTESTATION_`` (e.g.
``ATTESTATION_KIOSK_TOKEN``); the database from ``DATABASE_URL``.
"""

from __future__ import annotations

import pathlib

from flask import Flask, g, request

from attestation.digital_id import DigitalDocumentsClient
from webcore import app as webapp
from webcore import errors, i18n
from webcore.limits import AttemptLimiter

from . import api, screen
from . import camera
from .scan_queue import ScanQueue
from .scanner import SerialScanner
from .sessions import Acknowledgements

TRANSLATIONS = pathlib.Path(__file__).with_name("translations")

DEFAULTS = {
    "DATABASE_URL": None,
    "KIOSK_TOKEN": None,            # this kiosk's device token (the page uses it)
    "KIOSK_IDLE_SECONDS": 60,       # back to the welcome screen after this long untouched
    "KIOSK_SCAN_HOLD_SECONDS": 20,  # a scan on the welcome screen waits this long for a language
    "KIOSK_RESULT_SECONDS": 15,     # a "done" screen returns to the welcome screen by itself
    "KIOSK_VOLUME": 70,             # sounds, 0 (mute) to 100
    "KIOSK_SESSION_MINUTES": 10,    # a kiosk session's lifetime
    "KIOSK_DOOR_WAIT_SECONDS": 90,  # then the page asks the person to call staff
    "KIOSK_PAGE_REMOTE": False,     # serve the page (and its token) to non-local clients
    "DIGITAL_ID_URL": None,
    "DIGITAL_ID_KEY": "",
    "DIGITAL_ID_TIMEOUT": 3.0,
    "SERIAL_SCANNER_PORT": None,    # e.g. /dev/ttyACM0 for a serial (non-keyboard) scanner
    "SERIAL_SCANNER_BAUD": 9600,
    "KIOSK_CAMERA": None,           # v4l2:/dev/video0 | picamera2 | replay:PATH (see kiosk.camera)
    "KIOSK_CAMERA_SIZE": "640x480",
    "KIOSK_CAMERA_FPS": 8,          # frames decoded a second, at most
    "KIOSK_CAMERA_EXPOSURE": "8",   # ms, or auto (see kiosk.camera_control)
    "KIOSK_CAMERA_FOCUS": "0.3",    # metres, or auto
    "KIOSK_CAMERA_FORMATS": ",".join(camera.DEFAULT_FORMATS),
    "KIOSK_CAMERA_QR_PATTERN": "",  # what the digital ID's QR matches (a regex); empty: any
    "MAX_CONTENT_LENGTH": 64 * 1024,  # the largest kiosk request is a few hundred bytes
    "KIOSK_IDENTIFY_LIMIT": 10,     # failed identifications per kiosk...
    "KIOSK_IDENTIFY_WINDOW": 60,    # ...within this many seconds, then "too many attempts"
}


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
    webapp.configure(app, DEFAULTS, config)
    webapp.init_database(app)
    if app.config["DIGITAL_ID_URL"]:
        app.extensions["digital_id"] = DigitalDocumentsClient(
            app.config["DIGITAL_ID_URL"], app.config["DIGITAL_ID_KEY"],
            float(app.config["DIGITAL_ID_TIMEOUT"]))
    queue = app.extensions["scan_queue"] = ScanQueue()
    if app.config["SERIAL_SCANNER_PORT"]:
        app.extensions["serial_scanner"] = SerialScanner(
            queue, app.config["SERIAL_SCANNER_PORT"], int(app.config["SERIAL_SCANNER_BAUD"]))
    if app.config["KIOSK_CAMERA"]:
        app.extensions["camera"] = camera.from_config(queue, app.config)
    app.extensions["identify_limiter"] = AttemptLimiter()
    app.extensions["acknowledgements"] = Acknowledgements(60.0 * app.config["KIOSK_SESSION_MINUTES"])
    i18n.init_app(app, TRANSLATIONS, lambda: g.get("language"))
    app.register_blueprint(api.bp)
    app.register_blueprint(screen.bp)
    errors.register(app, is_api=lambda: request.path.startswith("/api/"),
                    internal_reason="out_of_order")
    return app
