"""Sittings and their live board; opening and closing a sitting; searching candidates."""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

import backup
from attestation import iin as iin_mod, loaders, scoping, venues
from attestation.collation import name_key
from attestation.errors import DomainError
from attestation.models import Candidate, RosterEntry, Sitting
from attestation.states import FINAL
from attestation.timeutil import local_today
from attestation.vocabulary import SittingStatus


from . import archive, end_of_day, live
from .auth import actor, requires
from .roles import allowed
from .common import confirmation, confirmed, db, done, failed, field, load
from .texts import BACKUP_WARNINGS, CORRECTION_KINDS, DOOR, IDENTIFIED_BY, LANGUAGES, STATES

bp = Blueprint("board", __name__, url_prefix="/panel")


@bp.get("/")
@requires("board.view")
def index():
    with db().read() as s:
        sittings = s.execute(select(Sitting).options(*loaders.SITTING)
                             .where(scoping.venue_filter(g.scope, Sitting.venue_id))
                             .order_by(Sitting.date.desc(), Sitting.start_time)).scalars().all()
    records = backup_state(any(st.status == SittingStatus.OPEN for st in sittings)) \
        if allowed(g.user.role, "sitting.manage") else None
    return render_template("index.html", sittings=sittings, today=local_today(), records=records,
                           backup_warnings=BACKUP_WARNINGS)


def backup_state(sitting_open: bool) -> backup.Status:
    """How safe the records are: the last good backup's age and the free disk space."""
    database = db()
    file = backup.copies.sqlite_path(database.url) if database.is_sqlite else None
    return backup.status(backup.copies.backup_dir(), file, sitting_open=sitting_open)


@bp.get("/sittings/<int:sitting_id>")
@requires("board.view")
def sitting(sitting_id):
    with db().read() as s:
        st = load(s, Sitting, sitting_id, *loaders.SITTING)
    texts = {"states": {k: str(v) for k, v in STATES.items()},
             "identified_by": {k: str(v) for k, v in IDENTIFIED_BY.items()},
             "languages": {k: str(v) for k, v in LANGUAGES.items()},
             "doors": {k: str(v) for k, v in DOOR.items()}}
    return render_template("board.html", sitting=st, texts=texts,
                           corrections={k: str(v) for k, v in CORRECTION_KINDS.items()})


@bp.get("/api/sittings/<int:sitting_id>/board")
@requires("board.view")
def board_json(sitting_id):
    with db().read() as s:
        load(s, Sitting, sitting_id, *loaders.SITTING)
    cache = current_app.extensions["board_cache"]
    return jsonify(status="ok", **cache.answer(db(), sitting_id, request.args.get("since")))


@bp.get("/api/sittings/<int:sitting_id>/events")
@requires("board.view")
def events(sitting_id):
    with db().read() as s:
        load(s, Sitting, sitting_id)
    return live.stream_response(live.SITTING, sitting_id)


@bp.post("/sittings/<int:sitting_id>/status")
@requires("sitting.manage")
def set_status(sitting_id):
    status = field("status")
    back = url_for("board.sitting", sitting_id=sitting_id)
    if status == SittingStatus.CLOSED and not confirmed():
        with db().read() as s:
            no_commission = not load(s, Sitting, sitting_id).commission
            pending = [f"{e.candidate.full_name}: {STATES[e.state]}" for e in sorted(
                s.execute(select(RosterEntry).where(RosterEntry.sitting_id == sitting_id)
                          .options(*loaders.ENTRY)).scalars(), key=lambda e: name_key(e.candidate))
                if e.state not in FINAL]
            held = end_of_day.day(s, sitting_id)["holding"]
        warnings = [_("The commission at the sitting is not recorded: the protocol will name "
                      "nobody to sign it.")] if no_commission else []
        if held:
            warnings.append(_("Devices still locked in a cell: %(count)s (%(who)s). Return them from "
                              "the end-of-day page first.", count=len(held),
                              who=", ".join(f"№{h['cell']} {h['entry'].candidate.full_name}" for h in held)))
        return confirmation(_("Close the sitting? Check-in ends; late arrivals are told registration has ended."),
                            back, warnings + [_("Still without a final result: %(count)s", count=len(pending))]
                            + pending,
                            _("Close the sitting"))
    try:
        with db().write() as s:
            venues.set_sitting_status(s, load(s, Sitting, sitting_id, *loaders.SITTING), str(status), actor())
    except DomainError as exc:
        return failed(exc, back)
    if status == SittingStatus.CLOSED:
        archive.prepare(sitting_id)
    return done(_("Check-in is open.") if status == "open" else _("The sitting is closed."), back)


@bp.post("/sittings/<int:sitting_id>/reopen")
@requires("sitting.reopen")
def reopen(sitting_id):
    back = url_for("board.sitting", sitting_id=sitting_id)
    try:
        with db().write() as s:
            venues.reopen_sitting(s, load(s, Sitting, sitting_id), field("reason"), actor())
    except DomainError as exc:
        return failed(exc, back)
    return done(_("The sitting is open again; the reason is in the audit log."), back)


#: A name search needs this many letters; an IIN is searched only whole (12 digits), so
#: that digits typed one by one do not list everyone whose IIN starts with them.
SEARCH_MIN_LETTERS = 3
SEARCH_LIMIT = 50


@bp.get("/search")
@requires("candidate.search")
def search():
    """Today's candidates at the user's venues, by name or whole IIN; IINs shown masked."""
    q = request.args.get("q", "").strip()
    results, too_short = [], bool(q) and not _searchable(q)
    if q and not too_short:
        needle = q.casefold()
        with db().read() as s:
            rows = s.execute(select(Candidate, RosterEntry, Sitting).select_from(Candidate)
                             .join(RosterEntry, RosterEntry.candidate_id == Candidate.id)
                             .join(Sitting, Sitting.id == RosterEntry.sitting_id)
                             .where(Sitting.date == local_today(),
                                    scoping.venue_filter(g.scope, Sitting.venue_id))).all()
        rows.sort(key=lambda row: name_key(row[0]))
        # Filtered here, not by SQL LIKE: SQLite folds the case of ASCII letters only.
        results = [(c, e, st) for c, e, st in rows
                   if c.iin == q or needle in c.full_name.casefold()][:SEARCH_LIMIT]
    return render_template("search.html", q=q, results=results, states=STATES,
                           too_short=too_short, mask=iin_mod.mask)


def _searchable(q: str) -> bool:
    return (q.isdigit() and len(q) == 12) or (not q.isdigit() and len(q) >= SEARCH_MIN_LETTERS)
