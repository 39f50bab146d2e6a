"""kioskctl cabinet commission: the technician's walk finds every wiring fault in the simulator."""

import io
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from attestation.models import AuditEntry, Cabinet, Cell
from kioskctl import main
from locker_driver.simulator import BoardSimulator, PtyServer

from factories import setup_venue


@pytest.fixture
def rig(db, db_url):
    sim = BoardSimulator("8a", boards=(1,), locks=8)  # doors shut only by the technician
    server = PtyServer(sim)
    with db.write() as s:
        setup_venue(s, cells=5, candidates=0, port=server.path)
    yield db, db_url, sim
    server.stop()


class Technician(io.RawIOBase):
    """The person at the cabinet, as the walk's standard input: each answer is read only
    when the walk asks for it, and an answer to "close door N" shuts the open doors first.
    So a door is open from its pulse until the walk asks for it to be shut, whatever the
    machine's load, and no test waits on a clock."""

    def __init__(self, sim, answers):
        self.sim, self.answers = sim, list(answers)  # (line, shut the doors first)

    def readable(self):
        return True

    def readinto(self, buffer):
        if not len(buffer) or not self.answers:
            return 0
        line, shut = self.answers.pop(0)
        if shut:
            for (board, lock), opened in list(self.sim.doors.items()):
                if opened:
                    self.sim.close_door(board, lock)
        data = (line + "\n").encode()
        buffer[:len(data)] = data
        return len(data)


def walk(db_url, tmp_path, sim, answers, *extra, turn_polarity=None):
    """Run the walk; ``answers``: per cell, the door the technician saw open (0: none)."""
    lines = [("", False)]  # "close every door, press Enter"
    if turn_polarity is not None:
        lines.append((turn_polarity, False))
    for opened in answers:
        lines.append((str(opened), False))
        if opened:
            lines.append(("", True))  # "close door N, press Enter"
    lines += [(line, False) for line in extra]
    result = CliRunner().invoke(main, ["--database-url", db_url, "cabinet", "commission", "cab-1",
                                       "--settle", "1.0", "--report-dir", str(tmp_path)],
                                input=Technician(sim, lines))
    assert "Traceback" not in result.output
    report = json.loads(next(tmp_path.glob("commissioning-cab-1-*.json")).read_text())
    return result, {c["number"]: c["result"] for c in report["cells"]}, report


def test_a_well_wired_cabinet_passes(rig, tmp_path):
    db, url, sim = rig
    result, cells, _ = walk(url, tmp_path, sim, [1, 2, 3, 4, 5])
    assert result.exit_code == 0, result.output
    assert set(cells.values()) == {"ok"} and "5 of 5 cells passed" in result.output
    assert len([r for r in sim.requests if sim.is_unlock(r)]) == 5  # one pulse per cell
    with db.read() as s:
        assert "cabinet.commissioned" in s.execute(select(AuditEntry.action)).scalars().all()


def test_swapped_wiring_dead_lock_and_unwired_sensor_are_found_and_taken_out(rig, tmp_path):
    db, url, sim = rig
    sim.jammed.add((1, 4))    # cell 4's lock does not move
    sim.unwired.add((1, 3))   # cell 3's sensor is not wired
    # cells 1 and 2 are wired to each other's lock: the technician sees the other door open
    result, cells, report = walk(url, tmp_path, sim, [2, 1, 3, 0, 5], "y")
    assert result.exit_code == 1
    assert cells == {1: "wrong_door", 2: "wrong_door", 3: "sensor_unwired", 4: "dead_lock", 5: "ok"}
    assert report["taken_out_of_service"] == [1, 2, 3, 4]
    with db.read() as s:
        status = dict(s.execute(select(Cell.number, Cell.status)).all())
    assert status == {1: "out_of_service", 2: "out_of_service", 3: "out_of_service",
                      4: "out_of_service", 5: "in_service"}


def test_inverted_polarity_is_found_and_fixed(rig, tmp_path):
    db, url, sim = rig
    sim.inverted.add(1)  # the sensors read the other way round from the setting
    result, cells, report = walk(url, tmp_path, sim, [1, 2, 3, 4, 5], turn_polarity="y")
    lines = result.output
    assert "wired the other way round" in lines
    assert set(cells.values()) == {"ok"}, cells
    with db.read() as s:
        assert s.execute(select(Cabinet.door_open_when_set)).scalar() is False
        assert "cabinet.polarity" in s.execute(select(AuditEntry.action)).scalars().all()


def test_auto_finds_what_needs_no_person(rig, tmp_path):
    db, url, sim = rig
    sim.jammed.add((1, 2))
    sim.dead.add(9)  # not this cabinet's board: ignored
    result = CliRunner().invoke(main, ["--database-url", url, "cabinet", "commission", "cab-1", "--auto",
                                       "--settle", "0.3", "--report-dir", str(tmp_path)])
    assert result.exit_code == 1, result.output
    report = json.loads(next(tmp_path.glob("commissioning-cab-1-*.json")).read_text())
    assert {c["number"]: c["result"] for c in report["cells"]} == {
        1: "ok", 2: "no_change", 3: "ok", 4: "ok", 5: "ok"}
