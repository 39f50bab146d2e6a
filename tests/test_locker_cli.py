"""kioskctl locker ...: the exact frames of DESIGN.md on the wire, and clear errors."""

import os
import signal
import subprocess
import sys

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from kioskctl import main
from locker_driver.simulator import BoardSimulator, PtyServer
from waiting import stop_process, wait_until


@pytest.fixture(params=["8a", "kerong"])
def sim(request):
    boards = (1, 2) if request.param == "8a" else (0, 1)
    s = BoardSimulator(request.param, boards=boards, locks=8)
    server = PtyServer(s)
    yield request.param, s, server.path
    server.stop()


def run(*args):
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    return result


def test_open_status_scan_verbose(sim):
    protocol, s, port = sim
    driver = "kerong" if protocol == "kerong" else "rs485-8a"
    board = 0 if protocol == "kerong" else 1
    r = run("locker", "open", "--driver", driver, "--port", port, "--lock", "1", "--verbose")
    assert r.exit_code == 0, r.output
    tx = "TX 02 00 31 03 36" if protocol == "kerong" else "TX 8A 01 01 11 9B"
    assert r.output.splitlines()[0] == tx
    assert "door is open" in r.output and s.is_open(board, 1)
    r = run("locker", "status", "--driver", driver, "--port", port, "--verbose")
    assert r.exit_code == 0
    assert ("TX 02 00 30 03 35" if protocol == "kerong" else "TX 80 01 00 33 B2") in r.output
    assert "open: 1" in r.output
    r = run("locker", "scan", "--driver", driver, "--port", port, "--last", "3")
    assert r.exit_code == 0 and r.output.strip().endswith(
        "0, 1" if protocol == "kerong" else "1, 2")


def test_one_lock_query_frame():
    s = BoardSimulator("8a", boards=(1,), locks=8)
    with PtyServer(s) as server:
        r = run("locker", "status", "--port", server.path, "--lock", "1", "-v")
    assert r.output.splitlines()[:2] == ["TX 80 01 01 33 B3", "RX 80 01 01 00 80"]
    assert "lock 1: closed" in r.output


@pytest.mark.parametrize("fault,message", [
    ("dead", "no reply"), ("bad_checksum", "corrupt reply"),
])
def test_board_errors_are_one_line(fault, message):
    s = BoardSimulator("8a", boards=(1,), locks=8)
    if fault == "dead":
        s.dead.add(1)
    else:
        s.bad_checksum = 5
    with PtyServer(s) as server:
        r = run("locker", "open", "--port", server.path, "--lock", "1")
    assert r.exit_code == 1 and message in r.output
    assert len([l for l in r.output.splitlines() if l.startswith("error:")]) == 1


def test_unopenable_port_and_bad_settings():
    r = run("locker", "status", "--port", "/dev/no-such-adapter")
    assert r.exit_code == 1 and "cannot open serial port" in r.output
    r = run("locker", "status", "--driver", "gpio", "--setting", "relay_pins=[4]")
    assert r.exit_code == 2 and "outside GPIO 9-27" in r.output
    r = run("locker", "scan", "--port", "/dev/null", "--driver", "gpio")
    assert r.exit_code == 2


def test_simulate_prints_a_path_drivers_can_open(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "kioskctl", "locker", "simulate",
                             "--protocol", "kerong", "--boards", "2", "--locks", "16"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        path = proc.stdout.readline().strip()
        # a name of its own, as udev gives an adapter, never the pty's reusable number
        assert os.readlink(path).startswith("/dev/pts/")
        r = run("locker", "scan", "--driver", "kerong", "--port", path, "--last", "3")
        assert r.output.strip() == "boards answering: 0, 1"
    finally:
        returncode = stop_process(proc, signal.SIGTERM)
    assert returncode == 0
    assert not os.path.lexists(path)  # gone with the simulator: nothing can open it any more


def test_simulator_refuses_production(monkeypatch):
    monkeypatch.setenv("ATTESTATION_ENV", "production")
    r = run("locker", "simulate")
    assert r.exit_code == 2 and "production" in r.output


def test_serve_agent_executes_queued_unlock(sqlite_url, tmp_path):
    """The real `kioskctl serve agent` process against a simulated cabinet."""
    from attestation import allocation
    from attestation.db import Database
    from attestation.models import Cell, LockCommand
    from factories import ACTOR, setup_venue

    s = BoardSimulator("8a", boards=(1,), locks=8)
    server = PtyServer(s)
    db = Database(sqlite_url)
    with db.write() as session:
        setup_venue(session, cells=4, port=server.path)
        cell = session.execute(select(Cell).where(Cell.number == 2)).scalar()
        cmd_id = allocation.queue_unlock(session, cell, "force", ACTOR, reason="test").id
    env = dict(os.environ, DATABASE_URL=sqlite_url)
    proc = subprocess.Popen([sys.executable, "-m", "kioskctl", "serve", "agent",
                             "--cabinet", "cab-1"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        def done():
            with db.read() as session:
                return session.get(LockCommand, cmd_id).status == "done"
        wait_until(done, interval=0.05)
        assert s.is_open(1, 2)
    finally:
        stop_process(proc)
        server.stop()
        db.dispose()
    r = subprocess.run([sys.executable, "-m", "kioskctl", "serve", "agent", "--cabinet",
                        "nope"], env=env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "no cabinet named 'nope'" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("protocol", ["8a", "kerong"])
def test_locker_open_waits_for_a_board_that_answers_after_its_pulse(protocol):
    s = BoardSimulator(protocol, boards=(1,) if protocol == "8a" else (0,), locks=8,
                       timing="real", unlock_reaction=0.6)
    with PtyServer(s) as server:
        driver = "kerong" if protocol == "kerong" else "rs485-8a"
        r = run("locker", "open", "--driver", driver, "--port", server.path, "--lock", "2")
    assert r.exit_code == 0, r.output
    assert "unlock accepted" in r.output and "door is open" in r.output
    assert len([q for q in s.requests if s.is_unlock(q)]) == 1
