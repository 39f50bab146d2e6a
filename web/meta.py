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
    """Database reachable, and which cabinets' agents were heard from in the last 10 s."""
    from sqlalchemy import select

    from attestation.models import AgentHeartbeat, Cabinet
    from attestation.timeutil import utcnow
    try:
        with db().read() as s:
            s.execute(text("SELECT 1"))
            rows = s.execute(select(Cabinet.name, AgentHeartbeat.at).outerjoin(
                AgentHeartbeat, AgentHeartbeat.cabinet_id == Cabinet.id)).all()
    except DBAPIError:
        return jsonify(ok=False, database=False, code="E-DB"), 503
    now = utcnow()
    cabinets = {name: at is not None and (now - at).total_seconds() < 10 for name, at in rows}
    return jsonify(ok=True, database=True, cabinets=cabinets)


@bp.get("/")
def root():
    from flask import redirect, url_for
    return redirect(url_for("board.index"))
