"""Faults survived: crashed processes, an unplugged adapter, a dead board, the database away."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import json

import pytest
from sqlalchemy import event, func, select, text

from attestation import allocation, audit
from agent import AgentTiming, CabinetAgent
from attestation.models import Assignment, Cell, LockCommand, RosterEntry
from kiosk import create_app as kiosk_app
from locker_driver.simulator import BoardSimulator, PtyServer

from factories import ACTOR
from kiosk_site import build_site
from waiting import run_until, wait_until

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"{url} never answered")


def api(base, token, path, body):
    req = urllib.request.Request(f"{base}/api/v1/kiosk/{path}", data=json.dumps(body).encode(),
                                 headers={"Authorization": f"Bearer {token}",
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def start_kiosk(db_url, token, port):
    env = dict(os.environ, DATABASE_URL=db_url, ATTESTATION_KIOSK_TOKEN=token)
    proc = subprocess.Popen([sys.executable, "-m", "kioskctl", "serve", "kiosk", "--port",
                             str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(f"http://127.0.0.1:{port}/healthz")
    return proc


def command_attempts(db, cmd_id):
    with db.read() as s:
        return s.get(LockCommand, cmd_id).attempts


def test_kiosk_killed_between_assignment_and_unlock(db, db_url):
    sim = BoardSimulator("8a", boards=(1,), locks=8)
    with PtyServer(sim) as pty:
        site = build_site(db, pty.path, cells=4, candidates=3, kiosks=1)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        kiosk = start_kiosk(db_url, site.tokens[0], port)
        person = site.people[0]["iin"]
        ident = api(base, site.tokens[0], "identify", {"credential": person, "language": "ru"})
        first = api(base, site.tokens[0], "checkin", {"session": ident["session"],
                                                      "acknowledged_stages": True, "acknowledged_rules": True})
        kiosk.send_signal(signal.SIGKILL)  # no agent ran: the unlock is still only queued
        kiosk.wait()
        kiosk = start_kiosk(db_url, site.tokens[0], port)
        try:
            again = api(base, site.tokens[0], "identify", {"credential": person, "language": "ru",
                                                           "source": "scanner"})
            assert again["existing_cell"] == first["cell"]
            repeat = api(base, site.tokens[0], "checkin", {"session": again["session"],
                                                           "acknowledged_stages": True, "acknowledged_rules": True})
            assert repeat["repeat"] is True and repeat["cell"] == first["cell"]
        finally:
            kiosk.send_signal(signal.SIGTERM)
            kiosk.wait(timeout=10)
        agent = CabinetAgent(db, "cab-1", timing=AgentTiming(poll_interval=0.02))
        agent.start()
        run_until(agent, lambda: sim.unlocks)
        for _ in range(20):
            agent.step()
        assert [(b, l) for b, l, _ in sim.unlocks] == [(1, first["cell"]["number"])]
        with db.read() as s:
            assert s.query(Assignment).count() == 1 and s.query(LockCommand).count() == 1


def test_agent_killed_mid_command_does_not_pulse_twice(db, db_url):
    sim = BoardSimulator("8a", boards=(1,), locks=8)
    sim.delay = 3.0  # the board answers slowly: the agent is killed while waiting
    with PtyServer(sim) as pty:
        build_site(db, pty.path, cells=4, candidates=1, kiosks=1)
        with db.write() as s:
            cab = s.execute(text("SELECT id FROM cabinet")).scalar()
            s.execute(text("UPDATE cabinet SET settings = :v WHERE id = :id"),
                      {"v": '{"timeout": 5.0}', "id": cab})
            cell = s.execute(select(Cell).where(Cell.number == 2)).scalar()
            cmd_id = allocation.queue_unlock(s, cell, "force", ACTOR, reason="test").id
        env = dict(os.environ, DATABASE_URL=db_url)
        proc = subprocess.Popen([sys.executable, "-m", "kioskctl", "serve", "agent", "--cabinet", "cab-1"],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with db.read() as s:
                if s.get(LockCommand, cmd_id).status == "sent" and sim.unlocks:
                    break
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert sim.unlocks and sim.is_open(1, 2)
        sim.delay = 0.0
        agent = CabinetAgent(db, "cab-1", timing=AgentTiming(poll_interval=0.02))
        agent.start()
        for _ in range(10):
            agent.step()
        with db.read() as s:
            cmd = s.get(LockCommand, cmd_id)
            assert cmd.status == "done" and cmd.door_opened_at is not None
        assert len(sim.unlocks) == 1  # the restarted agent did not pulse it again


def test_adapter_unplugged_and_plugged_back(db, tmp_path):
    sim = BoardSimulator("8a", boards=(1,), locks=8)
    pty = PtyServer(sim, link=str(tmp_path / "ttyRS485"))
    try:
        build_site(db, pty.path, cells=4, candidates=1, kiosks=1)
        agent = CabinetAgent(db, "cab-1", timing=AgentTiming(poll_interval=0.02, retry_delay=0.2), max_attempts=5)
        agent.start()
        pty.unplug()
        with db.write() as s:
            cell = s.execute(select(Cell).where(Cell.number == 3)).scalar()
            cmd_id = allocation.queue_unlock(s, cell, "force", ACTOR, reason="test").id
        run_until(agent, lambda: command_attempts(db, cmd_id) >= 1)
        with db.read() as s:
            assert "PortError" in s.get(LockCommand, cmd_id).error
        pty.replug()
        run_until(agent, lambda: sim.is_open(1, 3))
        run_until(agent, lambda: db_status(db, cmd_id) == "done")
    finally:
        pty.stop()


def db_status(db, cmd_id):
    with db.read() as s:
        return s.get(LockCommand, cmd_id).status


def test_dead_board_on_a_shared_bus(db):
    sim = BoardSimulator("8a", boards=(1, 2), locks=8)
    with PtyServer(sim) as pty:
        build_site(db, pty.path, cells=16, candidates=1, kiosks=1)
        sim.dead.add(2)
        agent = CabinetAgent(db, "cab-1", timing=AgentTiming(poll_interval=0.02, retry_delay=0), max_attempts=2)
        agent.start()
        assert agent.board_errors[1] is None and "no reply" in agent.board_errors[2]
        with db.write() as s:
            good = s.execute(select(Cell).where(Cell.number == 1)).scalar()
            bad = s.execute(select(Cell).where(Cell.number == 9)).scalar()
            ok_id = allocation.queue_unlock(s, good, "force", ACTOR, reason="t").id
            bad_id = allocation.queue_unlock(s, bad, "force", ACTOR, reason="t").id
        run_until(agent, lambda: db_status(db, bad_id) == "failed" and db_status(db, ok_id) == "done")
        assert sim.is_open(1, 1)


@pytest.fixture
def pg_server():
    directory, port = os.environ.get("PG_TEST_DIR"), os.environ.get("PG_TEST_PORT")
    if not directory:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("PG_TEST_DIR is not set")
        pytest.skip("needs the throwaway server of `make test` (PG_TEST_DIR)")
    script = os.path.join(ROOT, "tools", "pg-throwaway.sh")

    def ctl(cmd, check=True):
        subprocess.run([script, cmd, directory, port], check=check,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    yield ctl
    ctl("resume", check=False)  # whatever happened, leave the server running


@pytest.mark.serial
def test_postgres_restart_under_load(pg_server, pg_url):
    from attestation.db import Database
    db, db_url = Database(pg_url), pg_url
    sim = BoardSimulator("8a", boards=(1, 2), locks=8)
    with PtyServer(sim) as pty:
        site = build_site(db, pty.path, cells=16, candidates=16, kiosks=2)
        app = kiosk_app({"DATABASE_URL": db_url, "KIOSK_TOKEN": site.tokens[0]})
        client = app.test_client()
        auth = {"Authorization": f"Bearer {site.tokens[0]}"}
        outcomes, stop = [], threading.Event()

        def kiosk_loop():
            pending = [p["iin"] for p in site.people]
            while pending and not stop.is_set():
                iin = pending[0]
                r = client.post("/api/v1/kiosk/identify", headers=auth, json={"credential": iin, "language": "ru"})
                if r.status_code == 200 and r.get_json()["status"] == "ok":
                    c = client.post("/api/v1/kiosk/checkin", headers=auth, json={
                        "session": r.get_json()["session"], "acknowledged_stages": True, "acknowledged_rules": True})
                    outcomes.append(c.status_code)
                    if c.status_code == 200 and c.get_json()["status"] == "ok":
                        pending.pop(0)
                else:
                    outcomes.append(r.status_code)
                time.sleep(0.1)  # people arrive one after another, not all at once

        worker = threading.Thread(target=kiosk_loop)
        worker.start()
        wait_until(lambda: outcomes)  # the queue is moving
        pg_server("pause")
        try:
            health = client.get("/api/v1/kiosk/health", headers=auth)
            assert health.status_code == 503 and health.get_json()["code"] == "E-DB"
            wait_until(lambda: 503 in outcomes)  # a kiosk met the server away
        finally:
            pg_server("resume")
        worker.join(timeout=60)
        stop.set()
        assert 503 in outcomes  # the kiosk said "out of order" while the server was away
        assert client.get("/api/v1/kiosk/health", headers=auth).get_json()["database"] is True
        with db.read() as s:
            assert s.execute(select(func.count()).select_from(Assignment)).scalar() == 16
            assert s.execute(select(func.count()).select_from(RosterEntry)
                             .where(RosterEntry.state == "checked_in")).scalar() == 16
            doubled = s.execute(select(Assignment.roster_entry_id).group_by(Assignment.roster_entry_id)
                                .having(func.count() > 1)).all()
            assert doubled == [] and audit.verify(s).ok
        app.extensions["attestation_db"].dispose()
        db.dispose()


def test_sqlite_disk_full(sqlite_url):
    from attestation.db import Database
    db = Database(sqlite_url)
    sim = BoardSimulator("8a", boards=(1, 2, 3, 4), locks=24)
    with PtyServer(sim) as pty:
        site = build_site(db, pty.path, cells=96, candidates=90, kiosks=1)
        app = kiosk_app({"DATABASE_URL": sqlite_url, "KIOSK_TOKEN": site.tokens[0]})
        engine = app.extensions["attestation_db"].engine
        engine.dispose()
        with engine.connect() as conn:
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar()

        @event.listens_for(engine, "connect")
        def _full(dbapi_conn, _rec):  # the disk holds only what is there now
            dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")
        engine.dispose()  # no pooled connection without the limit
        client = app.test_client()
        auth = {"Authorization": f"Bearer {site.tokens[0]}"}
        codes = []
        for p in site.people:
            r = client.post("/api/v1/kiosk/identify", headers=auth, json={"credential": p["iin"], "language": "kk"})
            if r.status_code == 200:
                r = client.post("/api/v1/kiosk/checkin", headers=auth, json={
                    "session": r.get_json()["session"], "acknowledged_stages": True, "acknowledged_rules": True})
            codes.append(r.status_code)
            if r.status_code == 503:
                assert r.get_json() == {"status": "error", "reason": "out_of_order", "code": "E-DB"}
                break
        assert codes[-1] == 503, codes
        engine.dispose()
        with db.read() as s:
            assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            assert audit.verify(s).ok
            # nothing half-done: every checked-in person has a cell and an unlock
            for e in s.execute(select(RosterEntry).where(RosterEntry.state == "checked_in")).scalars():
                assert allocation.active_assignment(s, e.id) is not None
        app.extensions["attestation_db"].dispose()
        db.dispose()
