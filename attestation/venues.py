"""Setting up venues, sittings, cabinets and cells (the technician's and secretary's data)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit, commission, loaders
from .errors import InvalidInput, check_text
from .models import Cabinet, Cell, Sitting, Venue
from .vocabulary import CellStatus, DriverKind, SittingStatus, values

#: Point 4 of the rule: an interview, then the commission's protocol decision.
DEFAULT_STAGES = [
    {"name_kk": "Әңгімелесу", "name_ru": "Собеседование", "minutes": 30},
    {"name_kk": "Комиссияның хаттамалық шешімі", "name_ru": "Протокольное решение комиссии",
     "minutes": 15},
]


def parse_stage(text: str) -> dict:
    """``"name in Kazakh|name in Russian|minutes"`` -> a stage of the plan."""
    parts = [p.strip() for p in text.split("|")]
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise InvalidInput(f"stage {text!r}: write it as 'name kk|name ru|minutes'",
                           code="invalid_stage")
    return {"name_kk": parts[0], "name_ru": parts[1], "minutes": _minutes(parts[2], text)}


def _minutes(value, where) -> int:
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        minutes = 0
    if not 1 <= minutes <= 480:
        raise InvalidInput(f"stage {where!r}: duration must be 1-480 minutes",
                           code="invalid_stage")
    return minutes


def validate_stages(stages: list) -> list:
    if not stages:
        raise InvalidInput("a sitting needs at least one stage", code="invalid_stage")
    out = []
    for stage in stages:
        if not isinstance(stage, dict) or not stage.get("name_kk") or not stage.get("name_ru"):
            raise InvalidInput("each stage needs name_kk, name_ru and minutes", code="invalid_stage")
        out.append({"name_kk": str(stage["name_kk"]), "name_ru": str(stage["name_ru"]),
                    "minutes": _minutes(stage.get("minutes"), stage.get("name_ru"))})
    return out


def venue_by_code(session: Session, code: str) -> Venue:
    return loaders.find(session, Venue, code=code)


def add_venue(session: Session, code: str, name_kk: str, name_ru: str, address: str,
              actor: audit.Actor) -> Venue:
    code = code.strip()
    if not code or not name_kk.strip() or not name_ru.strip():
        raise InvalidInput("a venue needs a code and its name in Kazakh and Russian")
    if session.execute(select(Venue).where(Venue.code == code)).scalar():
        raise InvalidInput(f"venue {code!r} already exists", code="duplicate")
    venue = Venue(code=code, name_kk=name_kk.strip(), name_ru=name_ru.strip(), address=address)
    session.add(venue)
    session.flush()
    audit.append(session, actor, "venue.added", "venue", venue.id,
                 after={"code": code, "name_kk": name_kk, "name_ru": name_ru})
    return venue


def add_sitting(session: Session, venue: Venue, date: dt.date, start: dt.time,
                stages: list | None, actor: audit.Actor, status: str = SittingStatus.PLANNED) -> Sitting:
    if status not in values(SittingStatus):
        raise InvalidInput(f"status must be one of {', '.join(SittingStatus)}")
    sitting = Sitting(venue_id=venue.id, date=date, start_time=start, status=status,
                      stages=validate_stages(stages if stages else DEFAULT_STAGES))
    session.add(sitting)
    session.flush()
    audit.append(session, actor, "sitting.added", "sitting", sitting.id, sitting_id=sitting.id,
                 after={"venue": venue.code, "date": date, "start": start,
                        "stages": sitting.stages, "status": status})
    return sitting


def set_sitting_status(session: Session, sitting: Sitting, status: str,
                       actor: audit.Actor) -> Sitting:
    allowed = {SittingStatus.PLANNED: {SittingStatus.OPEN}, SittingStatus.OPEN: {SittingStatus.CLOSED},
               SittingStatus.CLOSED: set()}
    if status not in allowed[sitting.status]:
        raise InvalidInput(f"a {sitting.status} sitting cannot become {status}" + (
            " (reopen it with a reason)" if sitting.status == SittingStatus.CLOSED else ""),
            code="illegal_sitting_status")
    before = sitting.status
    sitting.status = status
    if status == SittingStatus.CLOSED:
        commission.number_protocol(session, sitting)
    session.flush()
    audit.append(session, actor, f"sitting.{status}", "sitting", sitting.id,
                 sitting_id=sitting.id, before={"status": before},
                 after={"status": status} | ({"protocol": sitting.protocol_label}
                                             if status == SittingStatus.CLOSED else {}))
    return sitting


def reopen_sitting(session: Session, sitting: Sitting, reason: str, actor: audit.Actor) -> Sitting:
    """A closed sitting open again (a late arrival with a valid excuse, a closing by
    mistake): only with a stated reason, which the audit log keeps."""
    reason = check_text((reason or "").strip(), "the reason")
    if not reason:
        raise InvalidInput("state why the sitting is reopened", code="reason_required")
    if sitting.status != SittingStatus.CLOSED:
        raise InvalidInput(f"a {sitting.status} sitting is not closed", code="illegal_sitting_status")
    sitting.status = SittingStatus.OPEN
    session.flush()
    audit.append(session, actor, "sitting.reopened", "sitting", sitting.id, sitting_id=sitting.id,
                 before={"status": SittingStatus.CLOSED}, after={"status": SittingStatus.OPEN, "reason": reason})
    return sitting


def get_sitting(session: Session, sitting_id: int) -> Sitting:
    return loaders.get(session, Sitting, sitting_id)


def cabinet_by_name(session: Session, name: str) -> Cabinet:
    return loaders.find(session, Cabinet, name=name)


def add_cabinet(session: Session, venue: Venue, name: str, driver: str, port: str,
                settings: dict, door_open_when_set: bool, actor: audit.Actor) -> Cabinet:
    if driver not in values(DriverKind):
        raise InvalidInput(f"driver must be one of {', '.join(DriverKind)}", code="invalid_driver")
    if driver != DriverKind.GPIO and not port:
        raise InvalidInput("a serial cabinet needs --port (a device path or a pyserial URL)")
    if session.execute(select(Cabinet).where(Cabinet.name == name)).scalar():
        raise InvalidInput(f"cabinet {name!r} already exists", code="duplicate")
    cabinet = Cabinet(venue_id=venue.id, name=name, driver=driver, port=port,
                      settings=settings, door_open_when_set=door_open_when_set)
    session.add(cabinet)
    session.flush()
    audit.append(session, actor, "cabinet.added", "cabinet", cabinet.id,
                 after={"name": name, "driver": driver, "port": port, "settings": settings,
                        "door_open_when_set": door_open_when_set})
    return cabinet


def set_door_polarity(session: Session, cabinet: Cabinet, door_open_when_set: bool,
                      actor: audit.Actor) -> Cabinet:
    """Which sensor level means "door open" (found wrong by commissioning, say)."""
    before = cabinet.door_open_when_set
    cabinet.door_open_when_set = door_open_when_set
    session.flush()
    audit.append(session, actor, "cabinet.polarity", "cabinet", cabinet.id,
                 before={"door_open_when_set": before},
                 after={"door_open_when_set": door_open_when_set})
    return cabinet


def add_cell(session: Session, cabinet: Cabinet, number: int, board: int, lock: int,
             has_sensor: bool, actor: audit.Actor) -> Cell:
    if number < 1 or lock < 1 or board < 0:
        raise InvalidInput("cell number and lock start at 1, board at 0")
    clash = session.execute(select(Cell).where(
        Cell.cabinet_id == cabinet.id,
        (Cell.number == number) | ((Cell.board == board) & (Cell.lock == lock)))).scalar()
    if clash is not None:
        raise InvalidInput(f"cabinet {cabinet.name} already has cell {clash.number} "
                           f"(board {clash.board}, lock {clash.lock})", code="duplicate")
    cell = Cell(cabinet_id=cabinet.id, number=number, board=board, lock=lock,
                has_sensor=has_sensor)
    session.add(cell)
    session.flush()
    audit.append(session, actor, "cell.added", "cell", cell.id,
                 after={"cabinet": cabinet.name, "number": number, "board": board,
                        "lock": lock, "has_sensor": has_sensor})
    return cell


def set_cell_status(session: Session, cell: Cell, status: str, reason: str,
                    actor: audit.Actor) -> Cell:
    if status not in values(CellStatus):
        raise InvalidInput(f"cell status is one of {', '.join(CellStatus)}")
    if status != CellStatus.IN_SERVICE and not reason.strip():
        raise InvalidInput("say why the cell is taken out of service", code="reason_required")
    check_text(reason, "the reason")
    before = {"status": cell.status, "reason": cell.status_reason}
    cell.status, cell.status_reason = status, reason.strip()
    if status == CellStatus.IN_SERVICE:
        cell.consecutive_failures = 0
    session.flush()
    audit.append(session, actor, "cell.status", "cell", cell.id, before=before,
                 after={"status": status, "reason": cell.status_reason})
    return cell
