"""The panel's public endpoints: the OpenAPI document and a liveness check without data."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from .common import db
from .openapi import full_spec

bp = Blueprint("panel", __name__)


@bp.get("/api/v1/openapi.json")
def openapi():
    return jsonify(full_spec())


@bp.get("/panel/healthz")
def healthz():
    try:
        with db().read() as s:
            s.execute(text("SELECT 1"))
    except DBAPIError:
        return jsonify(ok=False, database=False, code="E-DB"), 503
    return jsonify(ok=True, database=True)


@bp.get("/")
def root():
    from flask import redirect, url_for
    return redirect(url_for("board.index"))
