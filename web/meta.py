"""The panel's public endpoints: the OpenAPI document and a liveness check without data."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, url_for
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from attestation import cabinet_state
from webcore.openapi import full_spec

from .common import db

bp = Blueprint("panel", __name__)


@bp.get("/api/v1/openapi.json")
def openapi():
    return jsonify(full_spec())


@bp.get("/panel/healthz")
def healthz():
    """Database reachable, and which cabinets' agents were heard from lately."""
    try:
        with db().read() as s:
            s.execute(text("SELECT 1"))
            cabinets = {cab.name: alive for cab, _beat, alive in cabinet_state.agents(s)}
    except DBAPIError:
        return jsonify(ok=False, database=False, code="E-DB"), 503
    return jsonify(ok=True, database=True, cabinets=cabinets)


@bp.get("/")
def root():
    return redirect(url_for("board.index"))
