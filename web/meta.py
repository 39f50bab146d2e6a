"""The panel's public endpoints: the OpenAPI document and a liveness check without data."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, url_for
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from attestation import cabinet_state
from attestation.models import Sitting
from attestation.vocabulary import SittingStatus
from webcore.openapi import full_spec

from .board import backup_state
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
            sitting_open = s.execute(select(Sitting.id).where(
                Sitting.status == SittingStatus.OPEN).limit(1)).first() is not None
    except DBAPIError:
        return jsonify(ok=False, database=False, code="E-DB"), 503
    records = backup_state(sitting_open)
    return jsonify(ok=True, database=True, cabinets=cabinets, backup={
        "age_seconds": int(records.age.total_seconds()) if records.age else None,
        "free_disk": round(records.free_fraction, 3), "warnings": list(records.warnings)})


@bp.get("/")
def root():
    return redirect(url_for("board.index"))
