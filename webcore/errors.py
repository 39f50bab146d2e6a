"""Error handlers of both apps: bad values are 400, an unreachable database 503, never a traceback."""

from __future__ import annotations

from typing import Callable

from flask import Flask, jsonify
from sqlalchemy.exc import DataError, DBAPIError
from werkzeug.exceptions import HTTPException


def error_json(reason: str, status: int, **fields):
    return jsonify(status="error", reason=reason, **fields), status


def register(app: Flask, *, is_api: Callable[[], bool],
             html: Callable[[HTTPException], object] | None = None,
             internal_reason: str = "internal") -> None:
    """Answer errors as JSON where ``is_api()`` says the client wants it, else ``html(exc)``.

    ``internal_reason`` is the reason code of an unexpected error (the kiosk page shows
    its "out of order" screen for it).
    """

    @app.errorhandler(DataError)
    def bad_value(exc):
        # A value the database cannot hold (too long, out of range): the input's fault.
        return error_json("bad_request", 400, detail="a value is too long or out of range")

    @app.errorhandler(DBAPIError)
    def database_down(exc):
        app.logger.warning("database unavailable: %s", getattr(exc, "orig", exc))
        return error_json("out_of_order", 503, code="E-DB")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if is_api():
            return error_json(exc.name.lower().replace(" ", "_"), exc.code, detail=exc.description)
        return html(exc) if html is not None else exc

    @app.errorhandler(Exception)
    def unexpected(exc):
        app.logger.exception("unexpected error")
        return error_json(internal_reason, 500, code="E-INT")
