"""Commissioning a cabinet: the walk a technician does once after wiring it.

For each cell the lock is pulsed and the technician says which door opened; the door
sensor is watched open and then closed again when the technician shuts the door.  From
that the walk finds, per cell:

``ok``               the right door opened and its sensor followed it;
``wrong_door``       another door opened: the cell is wired to another lock (or numbered wrongly);
``dead_lock``        no door opened (the board may still have accepted the pulse);
``sensor_unwired``   the door opened and closed but its sensor never changed;
``sensor_stuck``     the sensor read "open" all along (a single inverted or shorted input);
``board_silent``     the board did not answer.

Before the walk, with every door shut, the sensors are read once: if every sensor that
answers reads "open", the cabinet's polarity setting is the wrong way round, and the
walk offers to turn it (a cabinet setting, audited).  Failed cells can be taken out of
service.  The report goes to a file and to the audit log.

``auto=True`` needs no person: it pulses each lock and watches only the sensor, so it
finds dead locks, silent boards and unwired sensors together ("no_change": one or the
other) but not a wrong door.

Stop the cabinet's agent first: one process owns a bus.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import time
from typing import Callable

from sqlalchemy import select

from attestation import audit, venues
from attestation.db import Database
from attestation.models import Cabinet, Cell
from attestation.timeutil import local, utcnow
from attestation.vocabulary import CellStatus
from locker_driver import LockerError
from locker_driver.registry import make_driver

OK = "ok"
FAULTS = ("wrong_door", "dead_lock", "sensor_unwired", "sensor_stuck", "board_silent", "no_change")


@dataclasses.dataclass
class CellResult:
    number: int
    board: int
    lock: int
    result: str
    detail: str = ""


class Prompts:
    """How the walk talks to the technician (click prompts on a terminal; scripted in tests)."""

    def __init__(self, say: Callable[[str], None], ask_number: Callable[[str, int], int],
                 confirm: Callable[[str, bool], bool], pause: Callable[[str], None]):
        self.say, self.ask_number, self.confirm, self.pause = say, ask_number, confirm, pause


def commission(db: Database, cabinet_name: str, prompts: Prompts, actor: audit.Actor, *,
               auto: bool = False, settle: float = 1.5, report_dir: pathlib.Path = pathlib.Path("."),
               driver=None) -> tuple[list[CellResult], pathlib.Path]:
    """Walk every cell of the cabinet; returns the results and the report's path."""
    with db.read() as s:
        cab = venues.cabinet_by_name(s, cabinet_name)
        cells = s.execute(select(Cell).where(Cell.cabinet_id == cab.id).order_by(Cell.number)).scalars().all()
    boards = sorted({c.board for c in cells})
    polarity = cab.door_open_when_set

    def open_driver(open_when_set):
        return driver or make_driver(cab.driver, cab.port, cab.settings, boards=boards,
                                     door_open_when_set=open_when_set)

    d = open_driver(polarity)
    try:
        if not auto:
            prompts.pause("Close every door of the cabinet, then press Enter")
        if _every_sensor_reads_open(d, cells):
            prompts.say("Every closed door reads \"open\": the sensors are wired the other way "
                        "round from the cabinet's polarity setting.")
            if not auto and prompts.confirm("Turn the polarity setting?", True):
                with db.write() as s:
                    venues.set_door_polarity(s, s.get(Cabinet, cab.id), not polarity, actor)
                polarity = not polarity
                if driver is None:
                    d.close()
                    d = open_driver(polarity)
                else:
                    d.door_open_when_set = polarity
        results = [_walk_cell(d, c, prompts, auto, settle) for c in cells]
    finally:
        if driver is None:
            d.close()

    failed = [r for r in results if r.result != OK]
    for r in failed:
        prompts.say(f"cell {r.number} (board {r.board}, lock {r.lock}): {r.result} {r.detail}".rstrip())
    taken_out = []
    if failed and not auto and prompts.confirm(f"Take the {len(failed)} failed cell(s) out of service?", True):
        with db.write() as s:
            for r in failed:
                cell = s.execute(select(Cell).where(Cell.cabinet_id == cab.id,
                                                    Cell.number == r.number)).scalar_one()
                if cell.status == CellStatus.IN_SERVICE:
                    venues.set_cell_status(s, cell, CellStatus.OUT_OF_SERVICE,
                                           f"commissioning: {r.result}", actor)
                    taken_out.append(r.number)
    path = _report(db, cab, results, polarity, taken_out, auto, actor, report_dir)
    prompts.say(f"{len(results) - len(failed)} of {len(results)} cells passed; report: {path}")
    return results, path


def _every_sensor_reads_open(d, cells) -> bool:
    readings = []
    for board in sorted({c.board for c in cells if c.has_sensor}):
        try:
            states = d.read_doors(board)
        except LockerError:
            continue
        readings += [states.get(c.lock) for c in cells if c.board == board and c.has_sensor]
    return bool(readings) and all(readings)


def _walk_cell(d, cell: Cell, prompts: Prompts, auto: bool, settle: float) -> CellResult:
    result = CellResult(cell.number, cell.board, cell.lock, OK)

    def door():
        return d.read_doors(cell.board).get(cell.lock) if cell.has_sensor else None

    try:
        before = door()
        if before:
            result.result, result.detail = "sensor_stuck", "reads open with the door shut"
        d.open_lock(cell.board, cell.lock)
    except LockerError as exc:
        result.result, result.detail = "board_silent", str(exc)
        return result
    if auto:
        seen_open = _wait_for(door, True, settle)
        if cell.has_sensor and not seen_open and result.result == OK:
            result.result, result.detail = "no_change", "dead lock or unwired sensor: check by hand"
        return result
    opened = prompts.ask_number(f"Cell {cell.number}: which door opened? (0 = none)", cell.number)
    after_open = _wait_for(door, True, settle)
    if opened == 0:
        if result.result == OK:
            result.result = "dead_lock"
        return result
    if opened != cell.number:
        result.result, result.detail = "wrong_door", f"door {opened} opened"
    prompts.pause(f"Close door {opened} and press Enter")
    after_close = _wait_for(door, False, settle)
    if cell.has_sensor and result.result == OK:
        if not after_open and not after_close:
            result.result, result.detail = "sensor_unwired", "the sensor never changed"
        elif after_open and after_close:
            result.result, result.detail = "sensor_stuck", "reads open with the door shut"
    return result


def _wait_for(door, want: bool, settle: float) -> bool:
    """The sensor's reading once it shows ``want``, or after ``settle`` seconds (door bounce)."""
    deadline = time.monotonic() + settle
    while True:
        reading = bool(door())
        if reading == want or time.monotonic() >= deadline:
            return reading
        time.sleep(0.05)


def _report(db, cab, results, polarity, taken_out, auto, actor, report_dir) -> pathlib.Path:
    now = utcnow()
    report = {"cabinet": cab.name, "driver": cab.driver, "port": cab.port,
              "at": local(now).isoformat(timespec="seconds"), "auto": auto,
              "door_open_when_set": polarity, "taken_out_of_service": taken_out,
              "cells": [dataclasses.asdict(r) for r in results]}
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / f"commissioning-{cab.name}-{local(now):%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    with db.write() as s:
        audit.append(s, actor, "cabinet.commissioned", "cabinet", cab.id,
                     after={"passed": sum(r.result == OK for r in results), "cells": len(results),
                            "failed": {str(r.number): r.result for r in results if r.result != OK},
                            "auto": auto, "report": path.name})
    return path


__all__ = ["commission", "CellResult", "Prompts", "OK", "FAULTS"]
