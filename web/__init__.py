"""The commission's web panel: a Flask app for the secretary, the commission and the operator.

``create_app()`` is the application factory; settings come from the mapping passed in or
from ``ATTESTATION_*`` environment variables (``ATTESTATION_SECRET_KEY`` above all).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

import pathlib

from flask import Flask, g, render_template, request, session
from werkzeug.routing import IntegerConverter

from webcore import app as webapp
from webcore import errors, i18n

from . import (acts, actions, admin, archive, attestation_file, audit_view, auth, board, cabinets,
               commission, corrections, end_of_day, meta, protocol, roster)
from .board_data import BoardCache

TRANSLATIONS = pathlib.Path(__file__).with_name("translations")

DEFAULTS = {
    "DATABASE_URL": None,
    "SECRET_KEY": None,
    "PANEL_IDLE_MINUTES": 30,
    "PANEL_INSECURE_COOKIES": False,   # True only for plain-HTTP test rigs
    "LOGIN_LIMIT": 5,                  # failed logins per address or user name...
    "LOGIN_WINDOW": 300,               # ...within this many seconds
    "DEADLINE_WARNING_DAYS": 14,
    "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
    "PANEL_PREPARE_ARCHIVE": True,     # lay out a closed sitting's documents at once (web.archive)
}


class _DatabaseId(IntegerConverter):
    """Route ids fit the database's integer columns: a larger number is simply not found."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
    webapp.configure(app, DEFAULTS, config)
    if not app.config["SECRET_KEY"]:
        logging.getLogger(__name__).warning(
            "ATTESTATION_SECRET_KEY is not set: sessions will not survive a restart")
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=not app.config["PANEL_INSECURE_COOKIES"],
        SESSION_COOKIE_NAME="panel_session",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(minutes=app.config["PANEL_IDLE_MINUTES"]))
    app.url_map.converters["int"] = _DatabaseId

    webapp.init_database(app)
    app.extensions["board_cache"] = BoardCache()
    i18n.init_app(app, TRANSLATIONS, lambda: session.get("lang"))

    auth.init_app(app)
    archive.init_app(app)
    for module in (auth, board, actions, corrections, commission, acts, cabinets, protocol,
                   attestation_file, archive, roster, audit_view, admin, meta, end_of_day):
        app.register_blueprint(module.bp)
    app.after_request(_security_headers)
    errors.register(app, is_api=lambda: request.path.startswith("/panel/api/") or request.is_json,
                    html=lambda exc: (render_template("error.html", error=exc), exc.code))
    return app


def _security_headers(resp):
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("X-Frame-Options", "DENY")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    resp.headers.setdefault("Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; object-src 'none'")
    if request.path.startswith("/panel/") and g.get("user") is not None:
        resp.headers.setdefault("Cache-Control", "no-store")
    return resp
