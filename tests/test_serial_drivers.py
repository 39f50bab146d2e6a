"""The real pyserial drivers against the board simulator over a pseudo-terminal."""

import os
import time

import pytest

from locker_driver import BoardNotResponding, ChecksumError, FrameError, PortError
from locker_driver.registry import make_driver
from locker_driver.simulator import BoardSimulator, PtyServer, TcpServer

PROTOCOLS = {"8a": ("rs485-8a", (1, 2, 3)), "kerong": ("kerong", (0, 1, 2))}
#: How long the tests let the simulator take to answer a query.  A real board answers in
#: about 10 ms, but on a loaded CI machine the simulator's thread can wait for a core far
#: longer than the driver's 0.25 s default (a run of three suites at once once did).  Only
#: a test that expects no reply pays it.
REPLY = {"timeout": 2.0}


@pytest.fixture(params=["8a", "kerong"])
def rig(request):
    kind, boards = PROTOCOLS[request.param]
    sim = BoardSimulator(request.param, boards=boards, locks=8)
    server = PtyServer(sim)
    frames = []
    driver = make_driver(kind, server.path, REPLY, boards=boards,
                         trace=lambda d, b: frames.append((d, b)))
    yield sim, driver, boards, frames
    driver.close()
    server.stop()


def test_unlock_opens_the_door(rig):
    sim, driver, boards, frames = rig
    b = boards[0]
    assert driver.read_doors(b)[3] is False
    driver.open_lock(b, 3)
    assert sim.is_open(b, 3) and driver.read_doors(b)[3] is True
    assert driver.read_door(b, 3) is True and driver.read_door(b, 4) is False
    sim.close_door(b, 3)
    assert driver.read_doors(b)[3] is False
    assert frames[0][0] == "TX" and frames[1][0] == "RX"


def test_no_reply_times_out_then_recovers(rig):
    sim, driver, boards, _ = rig
    sim.no_reply = 1
    with pytest.raises(BoardNotResponding) as err:
        driver.read_doors(boards[0])
    assert isinstance(err.value, TimeoutError) and err.value.board == boards[0]
    assert driver.bus.reopens == 1
    assert driver.read_doors(boards[0])[1] is False  # next transaction is clean


def test_stray_bytes_before_reply(rig):
    sim, driver, boards, _ = rig
    sim.stray = bytes([0x8A, 0x80, 0x02, 0x00, 0xFF, 0x33])  # header-looking noise
    driver.open_lock(boards[0], 2)
    assert driver.read_doors(boards[0])[2] is True


def test_reply_split_into_bursts(rig):
    sim, driver, boards, _ = rig
    sim.split = True
    driver.open_lock(boards[1], 5)
    assert driver.read_doors(boards[1])[5] is True


def test_bad_checksum_is_a_frame_error(rig):
    sim, driver, boards, _ = rig
    sim.bad_checksum = 1
    with pytest.raises(ChecksumError) as err:
        driver.read_doors(boards[0])
    assert isinstance(err.value, FrameError) and isinstance(err.value, ValueError)
    assert "corrupt reply" in str(err.value)
    assert driver.read_doors(boards[0])[1] is False


def test_dead_board_does_not_stop_the_others(rig):
    sim, driver, boards, _ = rig
    sim.dead.add(boards[1])
    report = driver.all_off()
    assert report[boards[0]] is None and report[boards[2]] is None
    assert "no reply" in report[boards[1]]
    with pytest.raises(BoardNotResponding):
        driver.open_lock(boards[1], 1)
    driver.open_lock(boards[2], 8)
    assert sim.is_open(boards[2], 8) and not sim.is_open(boards[1], 1)


def test_jammed_door_stays_shut(rig):
    sim, driver, boards, _ = rig
    sim.jammed.add((boards[0], 4))
    driver.open_lock(boards[0], 4)  # the board accepted the pulse...
    assert driver.read_doors(boards[0])[4] is False  # ...but the door did not open
    assert sim.unlocks[-1][:2] == (boards[0], 4)


def test_forced_open_is_visible(rig):
    sim, driver, boards, _ = rig
    sim.force_open(boards[0], 6)
    assert driver.read_doors(boards[0])[6] is True
    assert not sim.unlocks


def test_auto_close():
    """The door shuts by itself ``auto_close`` seconds after its unlock, not before.  The
    window is seconds wide, so a loaded machine's slow read still lands inside it."""
    sim = BoardSimulator("8a", boards=(1,), locks=8, auto_close=4.0)
    with PtyServer(sim) as server:
        driver = make_driver("rs485-8a", server.path, REPLY, boards=(1,))
        driver.open_lock(1, 1)
        assert driver.read_doors(1)[1] is True
        assert time.monotonic() - sim.unlocks[0][2] < 4.0  # the read above was in the window
        deadline = time.monotonic() + 30
        while driver.read_doors(1)[1] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert time.monotonic() - sim.unlocks[0][2] >= 4.0
        assert driver.read_doors(1)[1] is False
        driver.close()


def test_polarity_is_a_cabinet_setting():
    sim = BoardSimulator("8a", boards=(1,), locks=8, open_is_set=False)
    with PtyServer(sim) as server:
        wrong = make_driver("rs485-8a", server.path, REPLY, boards=(1,), door_open_when_set=True)
        assert wrong.read_doors(1)[1] is True  # every closed door reads as open
        wrong.close()
        right = make_driver("rs485-8a", server.path, REPLY, boards=(1,), door_open_when_set=False)
        assert right.read_doors(1)[1] is False
        right.open_lock(1, 1)
        assert right.read_door(1, 1) is True
        right.close()


def test_unplugged_adapter_comes_back(tmp_path):
    sim = BoardSimulator("8a", boards=(1,), locks=8)
    server = PtyServer(sim, link=str(tmp_path / "ttyRS485"))
    driver = make_driver("rs485-8a", server.path, REPLY, boards=(1,))
    try:
        driver.read_doors(1)
        assert os.readlink(server.path).startswith("/dev/pts/")
        server.unplug()
        # As udev does: the name goes with the adapter, so nothing reopens it onto a pty
        # the kernel has since given to somebody else.
        assert not os.path.lexists(server.path)
        with pytest.raises((PortError, BoardNotResponding)):
            driver.read_doors(1)
        with pytest.raises(PortError):
            driver.read_doors(1)  # the link is dead: cannot even open
        server.replug()
        driver.open_lock(1, 2)
        assert driver.read_doors(1)[2] is True
    finally:
        driver.close()
        server.stop()
    assert not os.path.lexists(server.path)


def test_a_simulator_is_reached_by_a_name_of_its_own_that_goes_with_it():
    with PtyServer(BoardSimulator("8a", boards=(1,), locks=8)) as first, \
            PtyServer(BoardSimulator("8a", boards=(1,), locks=8)) as second:
        assert first.path != second.path and not first.path.startswith("/dev/pts/")
        assert os.readlink(first.path) != os.readlink(second.path)
    assert not os.path.lexists(first.path) and not os.path.exists(os.path.dirname(first.path))


def test_port_that_cannot_open():
    driver = make_driver("rs485-8a", "/dev/nonexistent-rs485", boards=(1,))
    with pytest.raises(PortError) as err:
        driver.read_doors(1)
    assert isinstance(err.value, OSError) and "cannot open" in str(err.value)


def test_socket_url_to_tcp_simulator():
    sim = BoardSimulator("kerong", boards=(0,), locks=16)
    server = TcpServer(sim)
    driver = make_driver("kerong", server.url, REPLY, boards=(0,))
    try:
        driver.open_lock(0, 16)
        assert driver.read_doors(0)[16] is True and sim.is_open(0, 16)
    finally:
        driver.close()
        server.stop()


def test_kerong_board_that_does_not_answer_unlocks():
    sim = BoardSimulator("kerong", boards=(0,), locks=16)
    with PtyServer(sim) as server:
        driver = make_driver("kerong", server.path, {**REPLY, "unlock_reply": "none"}, boards=(0,))
        driver.open_lock(0, 1)
        assert driver.read_door(0, 1) is True
        driver.close()


def test_silence_between_transactions():
    sim = BoardSimulator("8a", boards=(1,), locks=8)
    stamps = []
    with PtyServer(sim) as server:
        driver = make_driver("rs485-8a", server.path, {**REPLY, "silence": 0.02}, boards=(1,),
                             trace=lambda d, b: stamps.append((d, time.monotonic())))
        for _ in range(4):
            driver.read_doors(1)
        driver.close()
    gaps = [tx - rx for (d1, rx), (d2, tx) in zip(stamps[1::2], stamps[2::2])]
    assert len(gaps) == 3 and min(gaps) >= 0.02


@pytest.mark.parametrize("protocol", ["8a", "kerong"])
def test_a_board_answering_an_unlock_after_its_pulse_is_opened_with_one_frame(protocol):
    """Real timing: 600 ms from the unlock frame to its reply, bytes paced at the baud rate."""
    kind, boards = PROTOCOLS[protocol]
    sim = BoardSimulator(protocol, boards=boards[:1], locks=8, timing="real", unlock_reaction=0.6)
    with PtyServer(sim) as server, make_driver(kind, server.path, REPLY, boards=boards[:1]) as driver:
        t0 = time.monotonic()
        driver.open_lock(boards[0], 2)
        took = time.monotonic() - t0
        assert driver.read_doors(boards[0])[2] is True
    assert took >= 0.6
    assert [r for r in sim.requests if sim.is_unlock(r)] == [sim.requests[0]]
    assert len(sim.unlocks) == 1


def test_a_late_reply_is_never_taken_for_the_next_answer(rig):
    sim, driver, boards, frames = rig
    b = boards[0]
    sim.late, sim.late_by = 1, 1.5 * REPLY["timeout"]  # the next reply comes after the timeout
    with pytest.raises(BoardNotResponding):
        driver.read_doors(b)  # the reply of this query says: every door closed
    sim.open_door(b, 5)
    assert driver.read_doors(b)[5] is True  # the fresh answer, not the late stale one
    assert any(d == "RX (late, ignored)" for d, _ in frames)


def test_inverted_status_bits_and_an_unwired_sensor(rig):
    sim, driver, boards, _ = rig
    b = boards[0]
    sim.inverted.add(b)
    doors = driver.read_doors(b)
    assert all(doors[lock] for lock in range(1, 9))  # every closed door reads "open"
    sim.inverted.clear()
    sim.unwired.add((b, 4))
    driver.open_lock(b, 4)
    assert sim.is_open(b, 4) and driver.read_doors(b)[4] is False  # the sensor never changes
