"""Administration without SQL: users and kiosk devices (admin), one's own password (everyone).

An administrator sees the users and kiosks of their venues (a regional administrator:
all).  Every change is audited by :mod:`attestation.accounts` and counts from the next
request: a disabled user's sessions end at once, a revoked kiosk's next call gets 401.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from attestation import accounts, scoping
from attestation.errors import DomainError, InvalidInput
from attestation.models import KioskDevice, User, UserVenue, Venue
from attestation.vocabulary import Role, values
from webcore.loaders import get_or_404

from .auth import actor, requires
from .common import confirmation, confirmed, db, done, failed, field, load
from .texts import ROLE_NAMES

bp = Blueprint("admin", __name__, url_prefix="/panel")


def _venues_of(s) -> dict[int, dict[int, str]]:
    """user id -> {venue id: venue code} of the venues listed for each user."""
    out: dict[int, dict[int, str]] = {}
    for user_id, venue_id, code in s.execute(select(UserVenue.user_id, Venue.id, Venue.code).join(Venue)):
        out.setdefault(user_id, {})[venue_id] = code
    return out


def load_user(s, user_id: int) -> User:
    """The user an admin may manage, or 404 (another venue's users are not found)."""
    user = get_or_404(s, User, user_id)
    if not scoping.user_within(g.scope, user, _venues_of(s).get(user.id, {})):
        abort(404)
    return user


@bp.get("/users")
@requires("users.manage")
def users():
    with db().read() as s:
        venues_of = _venues_of(s)
        rows = [(u, sorted(venues_of.get(u.id, {}).values())) for u in accounts.users(s)
                if scoping.user_within(g.scope, u, venues_of.get(u.id, {}))]
        venues = s.execute(select(Venue).where(scoping.venue_filter(g.scope, Venue.id))
                           .order_by(Venue.code)).scalars().all()
    return render_template("users.html", rows=rows, venues=venues, roles=values(Role), role_names=ROLE_NAMES)


@bp.post("/users")
@requires("users.manage")
def add_user():
    back = url_for("admin.users")
    try:
        with db().write() as s:
            chosen = [load(s, Venue, int(v)) for v in request.form.getlist("venue") if v.isdigit()]
            accounts.add_user(s, field("username").strip(), field("role"), field("password"),
                              field("full_name").strip(), actor(), venues=chosen)
    except DomainError as exc:
        return failed(exc, back)
    return done(_("The user is added."), back)


def _user_change(user_id, change, message, question=None):
    back = url_for("admin.users")
    if question is not None and not confirmed():
        with db().read() as s:
            user = load_user(s, user_id)
        return confirmation(question(user), back, button=_("Yes, do it"))
    try:
        with db().write() as s:
            change(s, load_user(s, user_id))
    except DomainError as exc:
        return failed(exc, back)
    return done(message, back)


@bp.post("/users/<int:user_id>/role")
@requires("users.manage")
def set_role(user_id):
    return _user_change(user_id, lambda s, u: accounts.set_role(s, u, field("role"), actor()),
                        _("The role is changed; it counts from the user's next click."))


@bp.post("/users/<int:user_id>/disable")
@requires("users.manage")
def disable(user_id):
    return _user_change(user_id, lambda s, u: accounts.set_active(s, u, False, actor()),
                        _("The user is disabled and signed out."),
                        lambda u: _("Disable %(name)s? They are signed out at once.", name=u.username))


@bp.post("/users/<int:user_id>/enable")
@requires("users.manage")
def enable(user_id):
    return _user_change(user_id, lambda s, u: accounts.set_active(s, u, True, actor()),
                        _("The user may sign in again."))


@bp.post("/users/<int:user_id>/password")
@requires("users.manage")
def reset_password(user_id):
    return _user_change(user_id, lambda s, u: accounts.change_password(s, u, field("password"), actor()),
                        _("The password is set; the user's sessions ended."))


@bp.route("/account", methods=["GET", "POST"])
@requires("account.own")
def account():
    if request.method == "GET":
        return render_template("account.html")
    back = url_for("admin.account")
    try:
        with db().write() as s:
            me = s.get(User, g.user.id)
            if not accounts.check_password(me, field("current")):
                raise InvalidInput("the current password is wrong", code="wrong_password")
            if field("password") != field("repeat"):
                raise InvalidInput("the new passwords differ", code="passwords_differ")
            accounts.change_password(s, me, field("password"), actor())
    except DomainError as exc:
        return failed(exc, back)
    session.clear()
    done(_("Your password is changed. Sign in with the new one."), back)
    return redirect(url_for("auth.login"))


# -- kiosks ------------------------------------------------------------------------------

def _kiosk_rows(s):
    return [(k, s.get(Venue, k.venue_id)) for k in accounts.kiosks(s) if scoping.within(g.scope, k.venue_id)]


@bp.get("/kiosks")
@requires("kiosks.manage")
def kiosks():
    with db().read() as s:
        rows = _kiosk_rows(s)
    return render_template("kiosks.html", rows=rows, token=None)


def _kiosk_change(kiosk_id, question, change):
    """Ask first; then ``change(session, device)`` (its result: a new token, or None)."""
    with db().write() as s:
        device = load(s, KioskDevice, kiosk_id)
        if not confirmed():
            return None, confirmation(question % {"name": device.name}, url_for("admin.kiosks"))
        return (device.name, change(s, device)), None


@bp.post("/kiosks/<int:kiosk_id>/revoke")
@requires("kiosks.manage")
def revoke(kiosk_id):
    _result, ask = _kiosk_change(kiosk_id, _("Revoke the token of kiosk %(name)s? It stops working at once."),
                                 lambda s, d: accounts.revoke_kiosk(s, d, actor()))
    return ask or done(_("The kiosk's token is revoked."), url_for("admin.kiosks"))


@bp.post("/kiosks/<int:kiosk_id>/rotate")
@requires("kiosks.manage")
def rotate(kiosk_id):
    result, ask = _kiosk_change(
        kiosk_id, _("Issue a new token for kiosk %(name)s? The old one stops working at once."),
        lambda s, d: accounts.rotate_kiosk(s, d, actor()))
    if ask:
        return ask
    with db().read() as s:
        rows = _kiosk_rows(s)
    return render_template("kiosks.html", rows=rows, token=result[1], token_for=result[0])
