"""The kiosk page for the touchscreen, its texts, and an unauthenticated liveness check."""

from __future__ import annotations

import ipaddress

from flask import Blueprint, abort, current_app, g, jsonify, render_template, request
from flask_babel import force_locale

from attestation import accounts
from webcore.app import db
from webcore.i18n import LANGUAGES
from webcore.openapi import full_spec

from . import api
from .strings import catalogue

bp = Blueprint("kiosk_screen", __name__)


def _local_client() -> bool:
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


@bp.get("/")
def page():
    """The touchscreen UI.  It carries the kiosk's token, so only the Pi itself gets it."""
    token = current_app.config.get("KIOSK_TOKEN")
    if not token:
        abort(503, "KIOSK_TOKEN is not configured")
    if not (_local_client() or current_app.config.get("KIOSK_PAGE_REMOTE")):
        abort(403)
    return render_template("kiosk.html", token=token,
                           idle_seconds=current_app.config["KIOSK_IDLE_SECONDS"],
                           door_wait_seconds=current_app.config["KIOSK_DOOR_WAIT_SECONDS"],
                           scan_hold_seconds=current_app.config["KIOSK_SCAN_HOLD_SECONDS"],
                           result_seconds=current_app.config["KIOSK_RESULT_SECONDS"],
                           volume=max(0, min(100, int(current_app.config["KIOSK_VOLUME"]))),
                           serial_scanner="serial_scanner" in current_app.extensions or
                           "camera" in current_app.extensions,
                           camera="camera" in current_app.extensions)


@bp.get("/strings/<lang>.json")
def strings(lang):
    if lang not in LANGUAGES:
        abort(404)
    g.language = lang
    with force_locale(lang):
        return jsonify(catalogue())


@bp.get("/api/v1/openapi.json")
def openapi():
    """One document for the kiosk API and the panel's JSON endpoints."""
    return jsonify(full_spec())


@bp.get("/healthz")
def healthz():
    """For systemd and monitoring: no token needed, no personal data given."""
    with db().read() as s:
        kiosk = accounts.kiosk_by_token(s, current_app.config.get("KIOSK_TOKEN"))
    if kiosk is None:
        return jsonify(ok=False, database=True, cabinet=None, code="E-KIOSK"), 503
    state = api.health_of(kiosk)
    return jsonify(state), 200 if state["ok"] else 503
