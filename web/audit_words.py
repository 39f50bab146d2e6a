"""The audit log in words, in the reader's language: each action a sentence, its details
labelled values, the actor and the device named as people know them, the time local.

The raw entry (action code, subject, JSON) stays available behind "technical details";
nothing here changes what is stored.  Every action of
:data:`attestation.audit_actions.ACTIONS` has a sentence (a test checks).
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from attestation.models import (Cabinet, Candidate, Category, Cell, KioskDevice, Outcome, RosterEntry,
                                Sitting, User, Venue)
from attestation.timeutil import local

from .texts import (ABSENCE_REASONS, CELL_STATUS, IDENTIFIED_BY, LANGUAGES, ROLE_NAMES, STATES,
                    UNLOCK_PURPOSES, VIOLATION_KINDS)

ACTION_TEXTS = {
    "roster.check_in": _l("%(subject)s checked in"),
    "roster.admit": _l("%(subject)s admitted"),
    "roster.start_interview": _l("%(subject)s called in to the interview"),
    "roster.finish_interview": _l("%(subject)s: interview finished"),
    "roster.decide": _l("%(subject)s: decision taken"),
    "roster.remove": _l("%(subject)s removed from the attestation"),
    "roster.absent_valid": _l("%(subject)s: absent for a valid reason"),
    "roster.absent_invalid": _l("%(subject)s: absent without a valid reason"),
    "roster.imported": _l("Roster of the sitting %(subject)s imported"),
    "kiosk.identified": _l("%(subject)s identified at the kiosk"),
    "cell.assigned": _l("Cell %(cell)s given to %(person)s"),
    "cell.released": _l("Cell %(cell)s free again"),
    "cell.added": _l("Cell %(cell)s added"),
    "cell.status": _l("Cell %(cell)s: status changed"),
    "cell.faulty": _l("Cell %(cell)s taken out of service as faulty"),
    "lock.requested": _l("Unlock of cell %(cell)s requested"),
    "lock.retry": _l("Unlock of cell %(cell)s sent again"),
    "lock.done": _l("Cell %(cell)s unlocked"),
    "lock.failed": _l("Unlock of cell %(cell)s failed"),
    "door.opened": _l("Door of cell %(cell)s opened"),
    "door.closed": _l("Door of cell %(cell)s closed"),
    "door.jammed": _l("Door of cell %(cell)s did not open"),
    "door.forced_open": _l("Door of cell %(cell)s opened without an unlock (alarm)"),
    "absence.recorded": _l("Absence of %(person)s recorded"),
    "decision.recorded": _l("Decision on %(person)s recorded"),
    "violation.act": _l("Act of violation drawn up: %(person)s"),
    "correction.withdraw_absence": _l("%(subject)s: absence withdrawn"),
    "correction.withdraw_admission": _l("%(subject)s: admission withdrawn"),
    "correction.supersede_decision": _l("%(subject)s: decision superseded"),
    "correction.fix_details": _l("%(subject)s: details corrected"),
    "correction.add_candidate": _l("%(subject)s added to the roster by hand"),
    "sitting.added": _l("Sitting %(subject)s planned"),
    "sitting.planned": _l("Sitting %(subject)s planned again"),
    "sitting.open": _l("Check-in to the sitting %(subject)s opened"),
    "sitting.closed": _l("Sitting %(subject)s closed"),
    "sitting.reopened": _l("Sitting %(subject)s reopened"),
    "sitting.commission": _l("Commission of the sitting %(subject)s recorded"),
    "venue.added": _l("Venue %(subject)s added"),
    "cabinet.added": _l("Cabinet %(subject)s added"),
    "cabinet.polarity": _l("Door sensors of cabinet %(subject)s read the other way round"),
    "cabinet.commissioned": _l("Cabinet %(subject)s checked cell by cell"),
    "agent.started": _l("Agent of cabinet %(subject)s started"),
    "outcome.added": _l("Outcome %(subject)s added"),
    "category.added": _l("Category %(subject)s added"),
    "decision_list.disabled": _l("%(subject)s withdrawn from the list"),
    "user.added": _l("User %(subject)s added"),
    "user.venues": _l("Venues of %(subject)s changed"),
    "user.password_changed": _l("Password of %(subject)s changed"),
    "user.enabled": _l("%(subject)s may sign in again"),
    "user.disabled": _l("%(subject)s may no longer sign in"),
    "user.role_changed": _l("Role of %(subject)s changed"),
    "user.login": _l("%(subject)s signed in to the panel"),
    "kiosk.added": _l("Kiosk %(subject)s added"),
    "kiosk.revoked": _l("Kiosk %(subject)s switched off"),
    "kiosk.token_rotated": _l("Kiosk %(subject)s given a new token"),
}
#: What each detail of an entry is called (details without a label are technical only).
DETAIL_LABELS = {
    "state": _l("State"),
    "language": _l("Language"),
    "identified_by": _l("Identified by"),
    "method": _l("Identified by"),
    "identity_to_check": _l("ID to be checked by staff"),
    "reason": _l("Reason"),
    "document": _l("Supporting document"),
    "return_date": _l("Return to work"),
    "deadline": _l("Deadline"),
    "outcome": _l("Outcome"),
    "category": _l("Qualification category"),
    "note": _l("Note"),
    "number": _l("Act No."),
    "kind": _l("What happened"),
    "description": _l("Description"),
    "occurred_at": _l("time of the violation"),
    "witnesses": _l("Who saw it (witnesses)"),
    "cell": _l("Cell"),
    "purpose": _l("why"),
    "attempts": _l("attempts"),
    "error": _l("error"),
    "door_opened": _l("the door opened"),
    "status": _l("status"),
    "protocol": _l("protocol No."),
    "commission": _l("Commission"),
    "rows": _l("rows"),
    "new_candidates": _l("new candidates"),
    "username": _l("sign-in name"),
    "role": _l("Role"),
    "full_name": _l("Full name"),
    "venues": _l("Venues"),
    "sessions_ended": _l("sessions ended"),
    "name": _l("name"),
    "venue": _l("Venue"),
    "code": _l("code"),
    "name_kk": _l("name in Kazakh"),
    "name_ru": _l("name in Russian"),
    "date": _l("Date"),
    "start": _l("start"),
    "passed": _l("cells that passed"),
    "cells": _l("cells checked"),
    "failed": _l("cells that failed"),
    "alarm": _l("alarm"),
    "last_name": _l("Surname"),
    "first_name": _l("First name"),
    "middle_name": _l("Patronymic"),
    "organization": _l("Organisation"),
    "position": _l("Position"),
    "iin": _l("IIN"),
    "attested": _l("counts as attested"),
}
#: How the values of some details read (the rest are shown as they are).
VALUE_TEXTS = {"state": STATES, "language": LANGUAGES, "identified_by": IDENTIFIED_BY,
               "method": IDENTIFIED_BY, "reason": ABSENCE_REASONS, "kind": VIOLATION_KINDS,
               "purpose": UNLOCK_PURPOSES, "role": ROLE_NAMES, "status": CELL_STATUS}


def short_name(last: str, first: str) -> str:
    """"Ә. Әбенова": how the log names a person."""
    return f"{first[:1]}. {last}" if first else last


class Names:
    """Everything a page of entries names, loaded in a few queries (not one per entry)."""

    def __init__(self, session, entries):
        ids = {kind: set() for kind in ("roster_entry", "cell", "sitting", "user", "kiosk_device",
                                        "cabinet", "venue")}
        usernames = set()
        for e in entries:
            after = e.after or {}
            if e.subject_type in ids and str(e.subject_id).isdigit():
                ids[e.subject_type].add(int(e.subject_id))
            if isinstance(after.get("roster_entry_id"), int):
                ids["roster_entry"].add(after["roster_entry_id"])
            if isinstance(after.get("cell_id"), int):
                ids["cell"].add(after["cell_id"])
            if e.actor.startswith("user:"):
                usernames.add(e.actor[5:])
        self.people = {i: short_name(last, first) for i, last, first in session.execute(
            select(RosterEntry.id, Candidate.last_name, Candidate.first_name).join(Candidate)
            .where(RosterEntry.id.in_(ids["roster_entry"])))} if ids["roster_entry"] else {}
        self.cells = dict(session.execute(select(Cell.id, Cell.number)
                                          .where(Cell.id.in_(ids["cell"]))).all())
        self.sittings = {i: (d, code) for i, d, code in session.execute(
            select(Sitting.id, Sitting.date, Venue.code).join(Venue, Venue.id == Sitting.venue_id)
            .where(Sitting.id.in_(ids["sitting"])))} if ids["sitting"] else {}
        self.users = {u.username: u for u in session.execute(
            select(User).where(User.username.in_(usernames) | User.id.in_(ids["user"]))).scalars()}
        self.user_ids = {u.id: u for u in self.users.values()}
        self.kiosks = dict(session.execute(select(KioskDevice.id, KioskDevice.name)
                                           .where(KioskDevice.id.in_(ids["kiosk_device"]))).all())
        self.cabinets = dict(session.execute(select(Cabinet.id, Cabinet.name)
                                             .where(Cabinet.id.in_(ids["cabinet"]))).all())
        self.venues = dict(session.execute(select(Venue.id, Venue.code)
                                           .where(Venue.id.in_(ids["venue"]))).all())
        self.outcomes = {o.code: o for o in session.execute(select(Outcome)).scalars()}
        self.categories = {c.code: c for c in session.execute(select(Category)).scalars()}


def _id(value):
    return int(value) if str(value).isdigit() else None


def _named(obj, lang: str) -> str:
    return obj.name_kk if lang == "kk" else obj.name_ru


def context(entry, names: Names) -> dict:
    """The sentence's ``subject``, ``person`` and ``cell`` for one entry."""
    after, kind, ident = entry.after or {}, entry.subject_type, _id(entry.subject_id)
    person = names.people.get(ident if kind == "roster_entry" else after.get("roster_entry_id"), "")
    cell_id = ident if kind == "cell" else after.get("cell_id")
    number = names.cells.get(cell_id, after.get("cell"))
    cell = f"№{number}" if number is not None else ""
    if kind == "roster_entry":
        subject = person
    elif kind == "sitting" and ident in names.sittings:
        day, code = names.sittings[ident]
        subject = f"{day:%d.%m.%Y} {code}"
    elif kind == "user":
        user = names.user_ids.get(ident)
        subject = (user.full_name or user.username) if user else after.get("username", entry.subject_id)
    elif kind == "kiosk_device":
        subject = names.kiosks.get(ident, after.get("name", entry.subject_id))
    elif kind == "cabinet":
        subject = names.cabinets.get(ident, entry.subject_id)
    elif kind == "venue":
        subject = names.venues.get(ident, after.get("code", entry.subject_id))
    else:
        subject = entry.subject_id
    return {"subject": subject or "—", "person": person or "—", "cell": cell or "—"}


def sentence(entry, names: Names) -> str:
    text = ACTION_TEXTS.get(entry.action)
    return text % context(entry, names) if text is not None else entry.action


def _value(key: str, value, names: Names, lang: str) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if value is None or value == "":
        return "—"
    if key in VALUE_TEXTS and value in VALUE_TEXTS[key]:
        return str(VALUE_TEXTS[key][value])
    if key == "outcome" and value in names.outcomes:
        return _named(names.outcomes[value], lang)
    if key == "category" and value in names.categories:
        return _named(names.categories[value], lang)
    if key == "cell":
        return f"№{value}"
    if key == "commission" and isinstance(value, dict):
        people = [value.get("chair"), value.get("secretary"), *(value.get("members") or [])]
        return ", ".join(p for p in people if p)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        try:  # a date or a moment, as the log stores them (ISO)
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if len(value) == 10:
            return f"{moment:%d.%m.%Y}"
        return f"{local(moment):%d.%m.%Y %H:%M}" if moment.tzinfo else f"{moment:%d.%m.%Y %H:%M}"
    return str(value)


def details(entry, names: Names, lang: str) -> list[tuple[str, str]]:
    """The labelled details of an entry: what changed (before → after) and what was set."""
    before, after = entry.before or {}, entry.after or {}
    out = []
    for key, value in after.items():
        if key not in DETAIL_LABELS or (key == "cell" and entry.action in ACTION_TEXTS):
            continue
        if key not in before and (value is None or value == ""):
            continue  # nothing was set: nothing to say
        shown = _value(key, value, names, lang)
        if key in before and before[key] != value:
            shown = f"{_value(key, before[key], names, lang)} → {shown}"
        elif key in before:
            continue  # unchanged: nothing to say
        out.append((str(DETAIL_LABELS[key]), shown))
    return out


#: How actors and devices other than panel users read: ``kind:name`` as stored.
ACTOR_KINDS = {"kiosk": _l("kiosk %(name)s"), "agent": _l("agent of cabinet %(name)s"),
               "cli": _l("command line (%(name)s)")}
DEVICE_KINDS = {"panel": _l("panel, %(name)s"), "host": _l("computer %(name)s"),
                "kiosk": _l("kiosk %(name)s")}


def _kind_and_name(stored: str, kinds: dict) -> str:
    kind, _sep, name = stored.partition(":")
    return str(kinds[kind]) % {"name": name} if kind in kinds else stored


def who(entry, names: Names) -> str:
    kind, _sep, name = entry.actor.partition(":")
    user = names.users.get(name) if kind == "user" else None
    if user is not None:
        return f"{user.full_name or user.username}, {ROLE_NAMES.get(user.role, user.role)}"
    return _kind_and_name(entry.actor, ACTOR_KINDS)


def device(entry) -> str:
    return _kind_and_name(entry.device or "", DEVICE_KINDS)


def when(entry) -> str:
    return f"{local(entry.at):%d.%m.%Y %H:%M}"


def in_words(session, entries, lang: str) -> list[dict]:
    """Each entry as the log, the attestation file and the archive show it (call it in
    ``lang``'s locale: ``force_locale`` for a document)."""
    names = Names(session, entries)
    return [{"entry": e, "when": when(e), "who": who(e, names), "device": device(e),
             "what": sentence(e, names), "details": details(e, names, lang)} for e in entries]


def detail_line(item: dict) -> str:
    return " · ".join(f"{label}: {value}" for label, value in item["details"])
