"""The cabinet agent against the board simulator on a pty, on SQLite and PostgreSQL."""

import threading
import uuid

import pytest
from sqlalchemy import select

from attestation import allocation, audit, checkin
from agent import AgentTiming, CabinetAgent
from attestation.models import (Assignment, AuditEntry, Cell, DoorEvent, LockCommand,
                                RosterEntry)
from attestation.timeutil import utcnow
from locker_driver.simulator import BoardSimulator, PtyServer

from factories import ACTOR, setup_venue
from waiting import run_until, wait_until


@pytest.fixture
def cabinet(db):
    sim = BoardSimulator("8a", boards=(1,), locks=8)
    server = PtyServer(sim)
    with db.write() as s:
        venue, sitting, cab, entries = setup_venue(s, cells=4, candidates=4, port=server.path)
    yield db, sim, venue, [e.id for e in entries]
    server.stop()


def make_agent(db, max_attempts=3, faulty_after=2, **timing):
    timing = {"jam_timeout": 0.5, "retry_delay": 0.0, "poll_interval": 0.02, **timing}
    return CabinetAgent(db, "cab-1", timing=AgentTiming(**timing), max_attempts=max_attempts,
                        faulty_after=faulty_after)


def command(db, cmd_id):
    with db.read() as s:
        return s.get(LockCommand, cmd_id)


def do_check_in(db, venue, entry_id):
    now = utcnow()
    return db.run_write(checkin.check_in, checkin.CheckInRequest(
        entry_id, venue_id=venue.id, cabinet_id=None, identified_by="mrz", language="kk",
        stages_acknowledged_at=now, rules_acknowledged_at=now, actor=ACTOR))


def test_commands_queued_while_stopped_run_after_start(cabinet):
    db, sim, venue, ids = cabinet
    r1 = do_check_in(db, venue, ids[0])
    r2 = do_check_in(db, venue, ids[1])
    agent = make_agent(db)
    agent.start()
    run_until(agent, lambda: command(db, r2.command_id).status == "done")
    c1 = command(db, r1.command_id)
    assert c1.status == "done" and c1.door_opened_at and c1.attempts == 1
    assert sim.is_open(1, 1) and sim.is_open(1, 2)
    assert [(b, l) for b, l, _ in sim.unlocks] == [(1, 1), (1, 2)]
    with db.read() as s:
        assert s.execute(select(Cell.door).where(Cell.number == 1)).scalar() == "open"


def unlock_frames(sim):
    return [r for r in sim.requests if sim.is_unlock(r)]


def test_failed_unlock_is_recorded_then_cell_turns_faulty(cabinet):
    db, sim, venue, ids = cabinet
    sim.dead.add(1)
    with db.write() as s:
        cell = s.execute(select(Cell).where(Cell.number == 3)).scalar()
        a = allocation.queue_unlock(s, cell, "force", ACTOR, reason="test").id
        b = allocation.queue_unlock(s, cell, "force", ACTOR, reason="test").id
    agent = make_agent(db, max_attempts=2, faulty_after=2)
    agent.start()
    assert agent.board_errors[1] and "no reply" in agent.board_errors[1]
    run_until(agent, lambda: command(db, b).status == "failed")
    first = command(db, a)
    # The frame went out, so it is not sent again: one attempt, and the door was unknown.
    assert first.status == "failed" and first.attempts == 1
    assert "BoardNotResponding" in first.error and "door state unknown" in first.error
    assert len(unlock_frames(sim)) == 2  # one frame per command, never a second one
    with db.read() as s:
        cell = s.execute(select(Cell).where(Cell.number == 3)).scalar()
        assert cell.status == "faulty" and cell.consecutive_failures == 2
        assert f"unlock command {b}" in cell.status_reason
        actions = s.execute(select(AuditEntry.action)).scalars().all()
        assert "cell.faulty" in actions and "lock.retry" not in actions


def test_a_lost_reply_is_never_followed_by_a_second_frame_and_an_open_door_is_done(cabinet):
    db, sim, venue, ids = cabinet
    r = do_check_in(db, venue, ids[0])
    agent = make_agent(db)
    agent.start()
    sim.lose_reply = 1  # the board pulses the lock, its reply is lost on the line
    run_until(agent, lambda: command(db, r.command_id).status == "done")
    cmd = command(db, r.command_id)
    assert cmd.attempts == 1 and cmd.door_opened_at is not None
    assert len(unlock_frames(sim)) == 1 and len(sim.unlocks) == 1


def test_no_reply_and_a_closed_door_fail_without_a_second_frame(cabinet):
    db, sim, venue, ids = cabinet
    r = do_check_in(db, venue, ids[0])
    agent = make_agent(db)
    agent.start()
    sim.no_reply = 1  # the board never heard the unlock
    run_until(agent, lambda: command(db, r.command_id).status == "failed")
    cmd = command(db, r.command_id)
    assert cmd.attempts == 1 and "no reply, door closed" in cmd.error
    assert len(unlock_frames(sim)) == 1 and sim.unlocks == []


def test_an_unlock_that_never_reached_the_wire_is_retried(db):
    sim = BoardSimulator("8a", boards=(1,), locks=8)
    link = f"/tmp/attestation-test-{uuid.uuid4().hex[:8]}"
    server = PtyServer(sim, link=link)
    try:
        with db.write() as s:
            venue, sitting, cab, entries = setup_venue(s, cells=4, candidates=4, port=link)
        agent = make_agent(db, retry_delay=0.2)
        agent.start()
        server.unplug()
        agent.driver.close()  # the adapter is gone: the next open fails before any write
        r = do_check_in(db, venue, entries[0].id)
        run_until(agent, lambda: command(db, r.command_id).attempts >= 1)
        assert command(db, r.command_id).status == "requested"  # queued again, not failed
        server.replug()
        run_until(agent, lambda: command(db, r.command_id).status == "done")
        assert command(db, r.command_id).attempts == 2 and len(unlock_frames(sim)) == 1
    finally:
        server.stop()


@pytest.mark.parametrize("protocol, driver", [("8a", "rs485-8a"), ("kerong", "kerong")])
def test_a_board_answering_after_its_pulse_is_opened_with_one_frame(db, protocol, driver):
    """A real board answers an unlock after its pulse (600 ms here), bytes at the baud rate."""
    sim = BoardSimulator(protocol, boards=(1,), locks=8, timing="real", unlock_reaction=0.6)
    server = PtyServer(sim)
    try:
        with db.write() as s:
            venue, sitting, cab, entries = setup_venue(s, cells=4, candidates=4, port=server.path,
                                                       driver=driver)
        agent = make_agent(db)
        agent.start()
        r = do_check_in(db, venue, entries[0].id)
        run_until(agent, lambda: command(db, r.command_id).status == "done")
        assert command(db, r.command_id).attempts == 1 and len(unlock_frames(sim)) == 1
    finally:
        server.stop()


def test_an_unwired_sensor_never_blocks_the_unlock_and_is_reported(cabinet):
    db, sim, venue, ids = cabinet
    sim.unwired.add((1, 1))
    sim.force_open(1, 1)  # whatever the door reports, the unlock is sent
    r = do_check_in(db, venue, ids[0])
    agent = make_agent(db, jam_timeout=0.3)
    agent.start()
    run_until(agent, lambda: command(db, r.command_id).status == "failed")
    assert "sensor is not responding" in command(db, r.command_id).error
    assert sim.unlocks and sim.unlocks[0][:2] == (1, 1) and len(unlock_frames(sim)) == 1


def test_jam_detected(cabinet):
    db, sim, venue, ids = cabinet
    sim.jammed.add((1, 1))
    r = do_check_in(db, venue, ids[0])
    agent = make_agent(db, jam_timeout=0.3)
    agent.start()
    run_until(agent, lambda: command(db, r.command_id).status == "failed")
    assert "jammed" in command(db, r.command_id).error
    with db.read() as s:
        kinds = s.execute(select(DoorEvent.kind)).scalars().all()
    assert kinds == ["jammed"]
    assert len(sim.unlocks) == 1  # a jam is not retried: the pulse did go out


def test_forced_open_alarm(cabinet):
    db, sim, venue, ids = cabinet
    agent = make_agent(db)
    agent.start()
    sim.force_open(1, 4)

    def alarmed():
        with db.read() as s:
            return s.execute(select(DoorEvent).where(DoorEvent.kind == "forced_open")).scalar()
    run_until(agent, alarmed)
    with db.read() as s:
        assert "door.forced_open" in s.execute(select(AuditEntry.action)).scalars().all()


def test_no_command_runs_twice_after_a_crash(cabinet):
    db, sim, venue, ids = cabinet
    r1 = do_check_in(db, venue, ids[0])
    r2 = do_check_in(db, venue, ids[1])
    # The agent died after marking both "sent"; command 2's pulse went out, 1's did not.
    with db.write() as s:
        for cid in (r1.command_id, r2.command_id):
            c = s.get(LockCommand, cid)
            c.status, c.attempts, c.sent_at = "sent", 1, utcnow()
    sim.open_door(1, 2)
    agent = make_agent(db)
    agent.start()
    for _ in range(5):
        agent.step()
    assert command(db, r1.command_id).status == "failed"
    assert "interrupted" in command(db, r1.command_id).error
    assert command(db, r2.command_id).status == "done"
    assert sim.unlocks == []  # nothing was pulsed again


def test_return_devices_frees_the_cell_when_the_door_closes(cabinet):
    db, sim, venue, ids = cabinet
    r = do_check_in(db, venue, ids[0])
    agent = make_agent(db)
    agent.start()
    run_until(agent, lambda: command(db, r.command_id).status == "done")
    sim.close_door(1, 1)
    run_until(agent, lambda: command(db, r.command_id) and _door(db, 1) == "closed")
    with db.write() as s:
        entry = s.get(RosterEntry, ids[0])
        entry.state = "interviewed"
        ret = allocation.request_return(s, entry, ACTOR).id
    run_until(agent, lambda: command(db, ret).status == "done")
    with db.read() as s:
        assert s.execute(select(Assignment.released_at)).scalar() is None  # still open
    sim.close_door(1, 1)

    def released():
        with db.read() as s:
            return s.execute(select(Assignment.released_at)).scalar() is not None
    run_until(agent, released)
    assert do_check_in(db, venue, ids[1]).cell_number == 1


def _door(db, number):
    with db.read() as s:
        return s.execute(select(Cell.door).where(Cell.number == number)).scalar()


def test_run_loop_wakes_for_new_commands(cabinet):
    db, sim, venue, ids = cabinet
    agent = make_agent(db)
    stop = threading.Event()
    thread = threading.Thread(target=agent.run, args=(stop,))
    thread.start()
    try:
        assert agent.ready.wait(30)
        r = do_check_in(db, venue, ids[2])
        wait_until(lambda: command(db, r.command_id).status == "done")
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()
    with db.read() as s:
        assert audit.verify(s).ok


def test_a_committed_unlock_wakes_the_sqlite_agent_and_a_rolled_back_one_does_not(sqlite_url):
    """On SQLite the agent sleeps in select until the writer's datagram (attestation.wakeup)."""
    from attestation import wakeup
    from attestation.db import Database
    db = Database(sqlite_url)
    with db.write() as s:
        _, _, cab, _ = setup_venue(s, cells=2, candidates=0)
        cabinet_id = cab.id
    listener = wakeup.Listener(db.url, cabinet_id)
    try:
        with pytest.raises(RuntimeError):
            with db.write() as s:
                allocation.queue_unlock(s, s.get(Cell, 1), "test", ACTOR, reason="rolled back")
                raise RuntimeError("the transaction fails")
        assert not listener.wait(0.2)
        with db.write() as s:
            allocation.queue_unlock(s, s.get(Cell, 1), "test", ACTOR, reason="committed")
        assert listener.wait(30.0) and listener.drain()
        with pytest.raises(OSError):  # one agent per cabinet holds the address
            wakeup.Listener(db.url, cabinet_id)
    finally:
        listener.close()
        db.dispose()


def test_the_sqlite_agent_reads_its_queue_when_woken_not_at_every_commit(sqlite_url):
    """Every commit changes SQLite's data_version; with its wake-up socket the agent's signal
    answers "changed" at once for a queued unlock, and for any other commit only once it has
    gone unanswered for ``look`` seconds (a datagram lost costs no more than that)."""
    from attestation import changes
    from attestation.db import Database
    db = Database(sqlite_url)
    with db.write() as s:
        _, _, cab, _ = setup_venue(s, cells=2, candidates=0)
        cabinet_id = cab.id
    signal = changes.Signal(db, changes.LOCK_COMMANDS, wakeup_cabinet=cabinet_id)
    try:
        assert signal.listener is not None
        signal.look = 3600.0  # "overdue" never comes by itself in this test
        with db.write() as s:  # a commit that queues nothing: a door, a check-in's identify
            audit.append(s, ACTOR, "sitting.open", "sitting", 1)
        assert not signal.changed()
        with db.write() as s:
            allocation.queue_unlock(s, s.get(Cell, 1), "test", ACTOR, reason="woken")
        wait_until(signal.changed, what="the wake-up of a queued unlock")
        assert not signal.changed()  # answered once
        with db.write() as s:
            audit.append(s, ACTOR, "sitting.open", "sitting", 2)
        assert not signal.changed()
        signal.look = 0.0  # the commit without a datagram is now overdue: answered
        assert signal.changed()
        assert not signal.changed()
    finally:
        signal.close()
        db.dispose()
