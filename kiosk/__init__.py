"""The check-in kiosk: a Flask app for the touchscreen at the venue entrance.

``create_app()`` follows Flask's application-factory pattern.  Settings come from the
mapping passed in, else from environment variables prefixed ``ATTESTATION_`` (e.g.
``ATTESTATION_KIOSK_TOKEN``); the database from ``DATABASE_URL``.
"""

from __future__ import annotations

from flask import Flask, jsonify, request
from sqlalchemy.exc import DataError, DBAPIError
from werkzeug.exceptions import HTTPException

from attestation.db import Database

DEFAULTS = {
    "DATABASE_URL": None,
    "KIOSK_TOKEN": None,            # this kiosk's device token (the page uses it)
    "KIOSK_IDLE_SECONDS": 60,       # back to the welcome screen after this long untouched
    "KIOSK_SESSION_MINUTES": 10,    # a kiosk session's lifetime
    "KIOSK_DOOR_WAIT_SECONDS": 90,  # then the page asks the person to call staff
    "KIOSK_PAGE_REMOTE": False,     # serve the page (and its token) to non-local clients
    "DIGITAL_ID_URL": None,
    "DIGITAL_ID_KEY": "",
    "DIGITAL_ID_TIMEOUT": 3.0,
    "SERIAL_SCANNER_PORT": None,    # e.g. /dev/ttyACM0 for a serial (non-keyboard) scanner
    "SERIAL_SCANNER_BAUD": 9600,
}


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("ATTESTATION")
    if config:
        app.config.update(config)
    app.json.ensure_ascii = False

    db = Database(app.config["DATABASE_URL"])
    app.extensions["attestation_db"] = db
    if app.config["DIGITAL_ID_URL"]:
        from attestation.digital_id import DigitalDocumentsClient
        app.extensions["digital_id"] = DigitalDocumentsClient(
            app.config["DIGITAL_ID_URL"], app.config["DIGITAL_ID_KEY"],
            float(app.config["DIGITAL_ID_TIMEOUT"]))
    if app.config["SERIAL_SCANNER_PORT"]:
        from .scanner import SerialScanner
        app.extensions["serial_scanner"] = SerialScanner(
            app.config["SERIAL_SCANNER_PORT"], int(app.config["SERIAL_SCANNER_BAUD"]))

    from . import api, i18n, screen
    i18n.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(screen.bp)
    _error_handlers(app)
    return app


def _error_handlers(app: Flask) -> None:
    @app.errorhandler(DataError)
    def bad_value(exc):
        return jsonify(status="error", reason="bad_request", detail="a value is too long or out of range"), 400

    @app.errorhandler(DBAPIError)
    def database_down(exc):
        app.logger.warning("database unavailable: %s", getattr(exc, "orig", exc))
        return jsonify(status="error", reason="out_of_order", code="E-DB"), 503

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if request.path.startswith("/api/"):
            reason = "bad_request" if exc.code == 400 else exc.name.lower().replace(" ", "_")
            return jsonify(status="error", reason=reason, detail=exc.description), exc.code
        return exc

    @app.errorhandler(Exception)
    def unexpected(exc):
        app.logger.exception("unexpected error")
        return jsonify(status="error", reason="out_of_order", code="E-INT"), 500
