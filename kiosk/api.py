"""The kiosk's JSON API (``/api/v1/kiosk``): what the kiosk page itself uses.

Every call carries the kiosk's device token (``Authorization: Bearer ...``, from
``kioskctl kiosk add``).  Outcomes:

* ``200 {"status": "ok", ...}``;
* ``200 {"status": "refused", "reason": <code>, "message": ..., "what_to_do": ...}`` with
  a code from :class:`attestation.vocabulary.Refusal`, texts in the request's language;
* ``400 {"status": "error", "reason": "bad_request", "detail": ...}`` for malformed JSON
  or wrong types; ``401`` without a valid token; ``503 ... "out_of_order"`` with a short
  code when the database is unreachable.  Never a 500 for anything a client sends.
"""

from __future__ import annotations


from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import force_locale, format_decimal
from sqlalchemy.exc import DBAPIError

from attestation import (accounts, allocation, audit, cabinet_state, checkin, identification,
                         iin as iin_mod)
from attestation.checkin import Refused
from attestation.models import Cabinet, Cell
from attestation.vocabulary import CommandPurpose, Language, Refusal, UnlockPhase, values
from attestation.timeutil import utcnow

from webcore.app import db
from webcore.json_body import BadRequest, json_body

from . import sessions
from .strings import NEEDS_STAFF, REFUSAL_TEXT, UI

bp = Blueprint("kiosk_api", __name__, url_prefix="/api/v1/kiosk")

def _lang() -> str:
    return g.get("language") or "ru"


def _actor() -> audit.Actor:
    return audit.Actor(f"kiosk:{g.kiosk.name}", f"kiosk:{g.kiosk.name}")


# -- plumbing ---------------------------------------------------------------------------

@bp.before_request
def authenticate():
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else None
    with db().connect() as connection:
        kiosk = accounts.kiosk_by_token(connection, token)
    if kiosk is None:
        return jsonify(status="error", reason="unauthorized",
                       detail="a valid kiosk token is required (Authorization: Bearer ...)"), 401
    g.kiosk = kiosk


@bp.errorhandler(BadRequest)
def bad_request(exc: BadRequest):
    with force_locale(_lang()):
        message = str(UI["error.bad_request"])
    return jsonify(status="error", reason="bad_request", message=message, detail=exc.detail), 400


def refused(exc: Refused):
    title, hint = REFUSAL_TEXT[exc.code]
    with force_locale(_lang()):
        return jsonify(status="refused", reason=exc.code, message=str(title),
                       what_to_do=str(hint), needs_staff=exc.code in NEEDS_STAFF)


# -- identification and check-in ----------------------------------------------------------

def _stages(sitting, lang: str) -> list[dict]:
    with force_locale(lang):
        return [{"name": st[f"name_{lang}"], "minutes": st["minutes"],
                 "duration": str(UI["stages.minutes"]).format(
                     minutes=format_decimal(st["minutes"]))}
                for st in sitting.stages]


def _cell_json(cell: Cell, cabinet: Cabinet) -> dict:
    return {"cabinet": cabinet.name, "number": cell.number}


@bp.post("/identify")
def identify():
    data = json_body({"credential": (str, True, None), "language": (str, True, values(Language)),
                      "source": (str, False, ("keypad", "scanner"))})
    g.language = data["language"]
    kiosk = g.kiosk
    client = current_app.extensions.get("digital_id")
    # Guessing IINs is limited per kiosk: a refused identification counts, a good one not.
    limiter, keys = current_app.extensions["identify_limiter"], (f"kiosk:{kiosk.id}",)
    if not limiter.attempt(keys, current_app.config["KIOSK_IDENTIFY_LIMIT"],
                           current_app.config["KIOSK_IDENTIFY_WINDOW"]):
        return refused(Refused(Refusal.TOO_MANY_ATTEMPTS))
    try:
        with db().read() as s:
            found = identification.identify(s, kiosk.venue_id, data["credential"],
                                            data.get("source", "keypad"), client)
            entry, person, sitting = found.entry, found.entry.candidate, found.entry.sitting
            current = allocation.active_assignment(s, entry.id)
            existing = _cell_json(current.cell, current.cell.cabinet) if current else None
            stages = _stages(sitting, g.language)
    except Refused as exc:
        return refused(exc)
    limiter.forgive(keys)
    with db().write() as s:
        token = sessions.create(s, kiosk, entry, g.language, found.method,
                                current_app.config["KIOSK_SESSION_MINUTES"])
        s.flush()
        audit.append(s, _actor(), "kiosk.identified", "roster_entry", entry.id,
                     after={"method": found.method, "language": g.language},
                     sitting_id=entry.sitting_id)
    current_app.extensions["acknowledgements"].opened(token, kiosk.id, g.language)
    with force_locale(g.language):
        total = str(UI["stages.total"]).format(
            minutes=format_decimal(sum(st["minutes"] for st in stages)))
    return jsonify(
        status="ok", session=token, identified_by=found.method, language=g.language,
        candidate={"name": f"{person.last_name} {person.first_name}",
                   "iin": iin_mod.mask(person.iin),
                   "identity_to_check": found.method == "iin"},
        stages=stages, stages_total=total, existing_cell=existing)


@bp.post("/acknowledge")
def acknowledge():
    """Note the moment the stage plan or the device rules were acknowledged (written with
    the check-in: see :class:`kiosk.sessions.Acknowledgements`)."""
    data = json_body({"session": (str, True, None), "what": (str, True, ("stages", "rules"))})
    acknowledgements = current_app.extensions["acknowledgements"]
    g.language = acknowledgements.language_of(data["session"], g.kiosk.id)
    if g.language is None:
        with db().read() as s:
            try:
                g.language = sessions.get(s, g.kiosk, data["session"]).language
            except Refused as exc:
                g.language = None
                return refused(exc)
    acknowledgements.note(data["session"], data["what"], utcnow())
    return jsonify(status="ok")


def _check_in(s, kiosk, token: str, confirmed: dict[str, bool], noted: dict, actor):
    """The check-in and the moments of its acknowledgements, in one transaction."""
    ks = sessions.get(s, kiosk, token, lock=True)
    g.language = ks.language
    now = utcnow()
    moments = {what: (getattr(ks, f"{what}_acknowledged_at") or noted.get(what) or now)
               if confirmed[what] else None for what in ("stages", "rules")}
    for what, moment in moments.items():
        if moment is not None:
            setattr(ks, f"{what}_acknowledged_at", moment)
    return checkin.check_in(s, checkin.CheckInRequest(
        entry_id=ks.roster_entry_id, venue_id=kiosk.venue_id, cabinet_id=kiosk.cabinet_id,
        identified_by=ks.identified_by, language=ks.language,
        stages_acknowledged_at=moments["stages"], rules_acknowledged_at=moments["rules"], actor=actor))


@bp.post("/checkin")
def do_checkin():
    data = json_body({"session": (str, True, None), "acknowledged_stages": (bool, True, None),
                      "acknowledged_rules": (bool, True, None)})
    acknowledgements = current_app.extensions["acknowledgements"]
    try:
        result = db().run_write(_check_in, g.kiosk, data["session"],
                                {"stages": data["acknowledged_stages"], "rules": data["acknowledged_rules"]},
                                acknowledgements.of(data["session"]), _actor())
    except Refused as exc:
        return refused(exc)
    acknowledgements.forget(data["session"])
    return jsonify(status="ok", repeat=result.repeat,
                   cell={"cabinet": result.cabinet, "number": result.cell_number})


def checkin_phase(s, entry_id: int) -> dict:
    """Where the person's check-in stands, for the page to follow the door."""
    assignment = allocation.active_assignment(s, entry_id)
    if assignment is None:
        return {"phase": UnlockPhase.NONE}
    cell = assignment.cell
    command = cabinet_state.latest_command(s, assignment, CommandPurpose.CHECKIN)
    return {"cell": _cell_json(cell, cell.cabinet), "door": cell.door,
            "has_sensor": cell.has_sensor, "phase": cabinet_state.unlock_phase(command, cell)}


@bp.get("/checkin/<token>")
def checkin_state(token):
    with db().read() as s:
        try:
            ks = sessions.get(s, g.kiosk, token)
        except Refused as exc:
            return refused(exc)
        g.language = ks.language
        state = checkin_phase(s, ks.roster_entry_id)
    if state["phase"] == UnlockPhase.LOCK_FAULT:
        title, hint = REFUSAL_TEXT[Refusal.LOCK_FAULT]
        with force_locale(g.language):
            state |= {"message": str(title), "what_to_do": str(hint)}
    return jsonify(status="ok", **state)


@bp.post("/reset")
def reset():
    """The person left (idle timeout, "start over", a result shown): their session, if any,
    is closed for good, and scans queued by a serial scanner or the camera are dropped with it."""
    data = json_body({"session": (str, False, None)})
    ended = False
    if data.get("session"):
        current_app.extensions["acknowledgements"].forget(data["session"])
        with db().write() as s:
            ended = sessions.end(s, g.kiosk, data["session"])
    current_app.extensions["scan_queue"].clear()
    return jsonify(status="ok", ended=ended)


# -- health and scanners ----------------------------------------------------------------

def scan_sources() -> list[str]:
    """The scanners that feed the scan queue (a keyboard wedge types into the page instead)."""
    return [name for name in ("serial_scanner", "camera") if name in current_app.extensions]


def health_of(kiosk) -> dict:
    """Is the database reachable, has this kiosk's cabinet agent been heard from lately,
    and is the configured camera there (E-CAM: the digital ID could not be read)?"""
    camera = current_app.extensions.get("camera")
    if camera is not None and camera.error:
        return {"ok": False, "database": None, "cabinet": None, "camera": False, "code": "E-CAM"}
    try:
        with db().read() as s:
            cabinet_ok = cabinet_state.cabinet_reachable(s, kiosk.venue_id, kiosk.cabinet_id)
    except DBAPIError:
        return {"ok": False, "database": False, "cabinet": None, "code": "E-DB"}
    return {"ok": cabinet_ok, "database": True, "cabinet": cabinet_ok,
            "code": None if cabinet_ok else "E-CAB"}


@bp.get("/health")
def health():
    return jsonify(status="ok", **health_of(g.kiosk))


@bp.get("/scans")
def scans():
    """Codes read by a serial (non-keyboard) scanner or the camera, for the page to treat
    as scans.

    A page that just loaded asks without ``after`` and gets no scan, only ``last`` to ask
    from: nothing read before it loaded is ever handed to it.  A scan older than
    ``KIOSK_SCAN_HOLD_SECONDS`` is not handed out at all.

    ``advice``: the camera's hint to the person (``{"seq", "hint"}``, one of
    :data:`kiosk.camera.HINTS` or null); a page that passes ``advice=SEQ`` is also
    answered as soon as the hint numbered otherwise comes.
    """
    queue = current_app.extensions["scan_queue"]
    try:
        after = int(request.args["after"]) if "after" in request.args else None
        advice_after = int(request.args["advice"]) if "advice" in request.args else None
        wait = min(max(float(request.args.get("wait", "0")), 0.0), 25.0)
    except ValueError:
        raise BadRequest("'after' and 'advice' are integers and 'wait' a number of seconds") from None
    if not scan_sources():
        return jsonify(status="ok", enabled=False, scans=[], last=after or 0)
    if after is None:
        return jsonify(status="ok", enabled=True, scans=[], last=queue.last, advice=_advice(queue))
    items = queue.since(after, wait, max_age=float(current_app.config["KIOSK_SCAN_HOLD_SECONDS"]),
                        advice_after=advice_after)
    return jsonify(status="ok", enabled=True, last=items[-1][0] if items else after,
                   scans=[{"seq": n, "credential": c} for n, c in items], advice=_advice(queue))


def _advice(queue) -> dict:
    seq, hint = queue.advice
    return {"seq": seq, "hint": hint}
