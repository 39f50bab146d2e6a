"""Sign-in, sessions, CSRF protection, the login rate limit and the role check.

* Passwords are Argon2id hashes (``attestation.accounts``).
* The session is Flask's signed cookie: HttpOnly, SameSite=Strict, Secure unless
  ``PANEL_INSECURE_COOKIES`` is set (plain-HTTP test rigs only); it ends after
  ``PANEL_IDLE_MINUTES`` without a request.
* Every POST carries a CSRF token bound to the session: a form field ``csrf_token`` or,
  for JSON, the header ``X-CSRF-Token``.
* Failed logins are limited per client address and per user name (``LOGIN_LIMIT`` in
  ``LOGIN_WINDOW`` seconds).
* ``Authorization`` headers are ignored: a kiosk's device token grants nothing here.
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import secrets
import time

from flask import (Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template,
                   request, session, url_for)
from flask_babel import gettext as _
from sqlalchemy import select

from attestation import accounts, audit, scoping
from attestation.models import User

from webcore.limits import AttemptLimiter

from .common import local_path
from .roles import allowed
from .texts import ROLE_NAMES

bp = Blueprint("auth", __name__, url_prefix="/panel")

#: endpoint -> permission, filled by @requires; the role-matrix test walks it.
ENDPOINT_PERMISSIONS: dict[str, str] = {}
PUBLIC_ENDPOINTS = {"auth.login", "auth.logout", "auth.set_language", "static", "panel.openapi",
                    "panel.healthz", "panel.root"}


def init_app(app) -> None:
    app.extensions["login_limiter"] = AttemptLimiter()
    app.before_request(_load_user)
    app.before_request(_check_csrf)
    app.context_processor(lambda: {"csrf_token": csrf_token, "current_user": g.get("user"),
                                   "can": lambda p: allowed(getattr(g.get("user"), "role", None), p),
                                   "role_name": lambda role: str(ROLE_NAMES.get(role, role))})


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json" or \
        request.path.startswith("/panel/api/")


def _check_csrf():
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
    expected = session.get("csrf")
    if not expected or not hmac.compare_digest(str(sent), str(expected)):
        if _wants_json():
            return jsonify(status="error", reason="csrf", detail="missing or wrong CSRF token"), 400
        abort(400, description=_("The form has expired. Reload the page and try again."))
    return None


def _load_user():
    g.user = None
    g.scope = frozenset()
    uid = session.get("uid")
    if uid is None:
        return
    idle = current_app.config["PANEL_IDLE_MINUTES"] * 60
    if time.time() - session.get("seen", 0) > idle:
        session.clear()
        g.session_expired = True
        return
    db = current_app.extensions["attestation_db"]
    with db.read() as s:
        found = accounts.find_session(s, session.get("sid"))
        # Read at every request, so a venue taken away counts from the next one.
        scope = scoping.scope_of(s, found.user) if found else frozenset()
    verdict = accounts.session_verdict(found, dt.timedelta(seconds=idle)) if found else None
    if found is not None and verdict != accounts.LIVE:  # a write only when something changes
        with db.write() as s:
            accounts.settle_session(s, found.id, verdict)
    user = found.user if verdict in (accounts.LIVE, accounts.TOUCH) else None
    g.session_expired = verdict == accounts.IDLE
    if user is None or user.id != uid or session.get("pw") != user.password_hash[-16:]:
        session.clear()
        return
    session["seen"] = time.time()
    g.user = user
    g.scope = scope


def actor() -> audit.Actor:
    return audit.Actor(f"user:{g.user.username}", f"panel:{request.remote_addr}")


def requires(permission: str):
    """Route decorator: signed in, and the role holds ``permission``."""
    def deco(view):
        ENDPOINT_PERMISSIONS[f"{view.__module__.rsplit('.', 1)[-1]}.{view.__name__}"] = permission

        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if g.get("user") is None:
                if _wants_json():
                    return jsonify(status="error", reason="unauthorized"), 401
                return redirect(url_for("auth.login", next=request.full_path))
            if not allowed(g.user.role, permission):
                if _wants_json():
                    return jsonify(status="error", reason="forbidden"), 403
                abort(403)
            return view(*args, **kwargs)
        wrapper.permission = permission
        return wrapper
    return deco


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if g.get("session_expired"):
            flash(_("Your session ended after a period of inactivity. Sign in again."), "info")
        return render_template("login.html")
    name = request.form.get("username", "").strip()
    keys = (f"ip:{request.remote_addr}", f"user:{name.lower()}")
    limiter = current_app.extensions["login_limiter"]
    cfg = current_app.config
    if not limiter.attempt(keys, cfg["LOGIN_LIMIT"], cfg["LOGIN_WINDOW"]):
        return render_template("login.html", error=_(
            "Too many failed attempts. Wait a few minutes and try again.")), 429
    db = current_app.extensions["attestation_db"]
    with db.read() as s:
        user = s.execute(select(User).where(User.username == name)).scalar()
    if not accounts.check_password(user, request.form.get("password", "")):
        return render_template("login.html", error=_("Wrong user name or password.")), 401
    limiter.clear(keys)
    lang = session.get("lang")
    session.clear()
    with db.write() as s:
        # A new server-side session at every sign-in: a session id is never carried over.
        sid = accounts.start_session(s, user)
        audit.append(s, audit.Actor(f"user:{user.username}", f"panel:{request.remote_addr}"),
                     "user.login", "user", user.id)
    session.permanent = True
    session.update(uid=user.id, sid=sid, seen=time.time(), pw=user.password_hash[-16:],
                   csrf=secrets.token_urlsafe(32))
    if lang:
        session["lang"] = lang
    return redirect(local_path(request.args.get("next"), url_for("board.index")))


@bp.post("/logout")
def logout():
    """Ends the session on the server too: a copy of the cookie is worth nothing after it."""
    with current_app.extensions["attestation_db"].write() as s:
        accounts.end_session(s, session.get("sid"))
    session.clear()
    return redirect(url_for("auth.login"))


@bp.get("/language/<lang>")
def set_language(lang):
    if lang in ("ru", "kk"):
        session["lang"] = lang
    return redirect(local_path(request.referrer, url_for("board.index")))
