"""Recording the commission present at a sitting: who the protocol and the acts name."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _

from attestation import commission, loaders
from attestation.errors import DomainError
from attestation.models import Sitting
from attestation.vocabulary import CommissionPosition

from .auth import actor, requires
from .common import db, done, failed, field, load

bp = Blueprint("commission", __name__, url_prefix="/panel")


@bp.route("/sittings/<int:sitting_id>/commission", methods=["GET", "POST"])
@requires("sitting.manage")
def edit(sitting_id):
    back = url_for("commission.edit", sitting_id=sitting_id)
    if request.method == "POST":
        try:
            with db().write() as s:
                commission.record(s, load(s, Sitting, sitting_id), chair=field("chair"),
                                  secretary=field("secretary"),
                                  others=field("members").splitlines(), actor=actor())
        except DomainError as exc:
            return failed(exc, back)
        return done(_("The commission of the sitting is recorded."),
                    url_for("board.sitting", sitting_id=sitting_id))
    with db().read() as s:
        sitting = load(s, Sitting, sitting_id, *loaders.SITTING)
    names = commission.members(sitting)
    first = {position: name for position, name in reversed(names)}
    return render_template("commission.html", sitting=sitting,
                           chair=first.get(CommissionPosition.CHAIR, ""),
                           secretary=first.get(CommissionPosition.SECRETARY, ""),
                           members="\n".join(n for p, n in names if p == CommissionPosition.MEMBER))
