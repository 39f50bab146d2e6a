"""Hardware in the loop: a real USB-RS485 adapter and lock board, at the venue or on the bench.

Skipped unless a board is attached and named:

    ATTESTATION_HW_PORT=/dev/ttyRS485 ATTESTATION_HW_DRIVER=rs485-8a \\
        [ATTESTATION_HW_BOARD=1] [ATTESTATION_HW_LOCK=1] .venv/bin/python -m pytest tests/test_hardware.py -s

It scans the bus, opens ONE lock (make sure that cell is empty), reads the doors, and
prints the measured reply times, which are what the cabinet's ``timeout`` and
``unlock_timeout`` settings must exceed.
"""

import os
import statistics
import time

import pytest

from locker_driver.registry import driver_class, make_driver

PORT = os.environ.get("ATTESTATION_HW_PORT")
KIND = os.environ.get("ATTESTATION_HW_DRIVER", "rs485-8a")

pytestmark = pytest.mark.skipif(
    not PORT, reason="no lock board attached: set ATTESTATION_HW_PORT (and ATTESTATION_HW_DRIVER) "
                     "to run against real hardware")


@pytest.fixture(scope="module")
def board():
    cls = driver_class(KIND)
    number = int(os.environ.get("ATTESTATION_HW_BOARD", cls.first_board))
    with make_driver(KIND, PORT, boards=(number,)) as driver:
        yield driver, number


def test_scan_finds_the_board(board):
    driver, number = board
    assert driver.all_off() == {number: None}


def test_status_reply_time(board):
    driver, number = board
    times = []
    for _ in range(20):
        t0 = time.perf_counter()
        driver.read_doors(number)
        times.append(time.perf_counter() - t0)
    print(f"\n{KIND} board {number}: status transaction p50 {statistics.median(times) * 1000:.1f} ms, "
          f"max {max(times) * 1000:.1f} ms (timeout {driver.bus.timeout * 1000:.0f} ms)")
    assert max(times) < driver.bus.timeout


def test_one_unlock_opens_its_door(board):
    driver, number = board
    lock = int(os.environ.get("ATTESTATION_HW_LOCK", "1"))
    t0 = time.perf_counter()
    driver.open_lock(number, lock)
    took = time.perf_counter() - t0
    time.sleep(0.3)
    opened = driver.read_door(number, lock)
    print(f"\n{KIND} board {number} lock {lock}: unlock transaction {took * 1000:.0f} ms "
          f"(unlock_timeout {driver.bus.unlock_timeout * 1000:.0f} ms); door reads "
          f"{'open' if opened else 'closed (no sensor, or polarity the other way)'}")
    assert took < driver.bus.unlock_timeout
