"""The commission's web panel: a Flask app for the secretary, the commission and the operator.

``create_app()`` is the application factory; settings come from the mapping passed in or
from ``ATTESTATION_*`` environment variables (``ATTESTATION_SECRET_KEY`` above all).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from flask import Flask, g, jsonify, request, session
from flask_babel import Babel
from sqlalchemy.exc import DataError, DBAPIError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from attestation.db import Database

DEFAULTS = {
    "DATABASE_URL": None,
    "SECRET_KEY": None,
    "PANEL_IDLE_MINUTES": 30,
    "PANEL_INSECURE_COOKIES": False,   # True only for plain-HTTP test rigs
    "LOGIN_LIMIT": 5,                  # failed logins per address or user name...
    "LOGIN_WINDOW": 300,               # ...within this many seconds
    "DEADLINE_WARNING_DAYS": 14,
    "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
}


class _DatabaseId(IntegerConverter):
    """Route ids fit the database's integer columns: a larger number is simply not found."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("ATTESTATION")
    if config:
        app.config.update(config)
    if not app.config["SECRET_KEY"]:
        logging.getLogger(__name__).warning(
            "ATTESTATION_SECRET_KEY is not set: sessions will not survive a restart")
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=not app.config["PANEL_INSECURE_COOKIES"],
        SESSION_COOKIE_NAME="panel_session",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(minutes=app.config["PANEL_IDLE_MINUTES"]))
    app.json.ensure_ascii = False
    app.url_map.converters["int"] = _DatabaseId

    db = Database(app.config["DATABASE_URL"])
    app.extensions["attestation_db"] = db
    from .live import VersionWatcher
    app.extensions["board_watcher"] = VersionWatcher(db)
    from .board_data import BoardCache
    app.extensions["board_cache"] = BoardCache()

    from kiosk.i18n import compiled_dir
    from pathlib import Path
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compiled_dir(Path(__file__).with_name("translations")))
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Asia/Almaty"
    Babel(app, locale_selector=lambda: session.get("lang") or
          request.accept_languages.best_match(["ru", "kk"]) or "ru")

    from . import (acts, actions, attestation_file, audit_view, auth, board, cabinets, meta,
                   protocol, roster)
    auth.init_app(app)
    for module in (auth, board, actions, acts, cabinets, protocol, attestation_file, roster,
                   audit_view, meta):
        app.register_blueprint(module.bp)

    @app.after_request
    def security_headers(resp):
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; object-src 'none'")
        if request.path.startswith("/panel/") and g.get("user") is not None:
            resp.headers.setdefault("Cache-Control", "no-store")
        return resp

    @app.errorhandler(DataError)
    def bad_value(exc):
        # A value the database cannot hold (too long, out of range): the input's fault.
        return jsonify(status="error", reason="bad_request", detail="a value is too long or out of range"), 400

    @app.errorhandler(DBAPIError)
    def database_down(exc):
        app.logger.warning("database unavailable: %s", getattr(exc, "orig", exc))
        return jsonify(status="error", reason="out_of_order", code="E-DB"), 503

    @app.errorhandler(HTTPException)
    def http_error(exc):
        if request.path.startswith("/panel/api/") or request.is_json:
            return jsonify(status="error", reason=exc.name.lower().replace(" ", "_"),
                           detail=exc.description), exc.code
        from flask import render_template
        return render_template("error.html", error=exc), exc.code

    @app.errorhandler(Exception)
    def unexpected(exc):
        app.logger.exception("unexpected error")
        return jsonify(status="error", reason="internal", code="E-INT"), 500

    return app
