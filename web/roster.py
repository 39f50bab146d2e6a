"""Importing a sitting's roster in the panel: the CLI's all-or-nothing rules, errors previewed."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from attestation import loaders, roster_import
from attestation.models import Sitting


from .auth import actor, requires
from .common import db, load
from .texts import roster_error_text

bp = Blueprint("roster", __name__, url_prefix="/panel")
bp.add_app_template_global(roster_error_text, "row_error")


@bp.route("/sittings/<int:sitting_id>/roster", methods=["GET", "POST"])
@requires("roster.import")
def import_roster(sitting_id):
    with db().read() as s:
        sitting = load(s, Sitting, sitting_id, *loaders.SITTING)
    if request.method == "GET":
        return render_template("roster.html", sitting=sitting)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_template("roster.html", sitting=sitting,
                               errors=[roster_import.RowError(0, _("Choose a file."))]), 400
    try:
        rows = roster_import.read_rows(upload.filename, upload.read())
        with db().write() as s:
            result = roster_import.import_rows(s, s.get(Sitting, sitting_id), rows, actor())
    except roster_import.RosterFileError as exc:
        return render_template("roster.html", sitting=sitting, errors=exc.errors), 400
    return render_template("roster.html", sitting=sitting, imported=result.added)
