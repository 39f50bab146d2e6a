"""Waiting for an event in a test, the one way the suite does it.

A test never sleeps for "long enough": it polls the condition it needs until a deadline.
The deadline is only what a failure costs, so it is generous (the suite runs beside other
work on a loaded 2-core machine, where a board's reply or a page's paint can take seconds);
a passing test waits only as long as the event takes.
"""

from __future__ import annotations

import signal
import subprocess
import time
from typing import Callable, TypeVar

T = TypeVar("T")

#: Seconds before a wait is a failure, unless a test says otherwise.
DEADLINE = 30.0


def wait_until(predicate: Callable[[], T], timeout: float = DEADLINE, *, interval: float = 0.01,
               before: Callable[[], object] | None = None, what: str = "the condition") -> T:
    """Call ``before`` (if given) then ``predicate`` every ``interval`` seconds until the
    predicate is truthy; return its value.  AssertionError once ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if before is not None:
            before()
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} not reached in {timeout:g} s")
        time.sleep(interval)


def run_until(agent, predicate: Callable[[], T], timeout: float = DEADLINE) -> T:
    """Step a cabinet agent by hand until ``predicate`` holds (the agent's own loop does
    the same steps; here the test decides when)."""
    return wait_until(predicate, timeout, before=agent.step, what="the agent's result")


def stop_process(proc: subprocess.Popen, sig: int = signal.SIGINT, timeout: float = DEADLINE) -> int:
    """Stop a service the test started as a person or systemd would (``sig``: Ctrl-C by
    default) and return its exit code.  One that does not stop in time is killed (never
    left running behind the rest of the suite) and the test fails."""
    proc.send_signal(sig)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError(f"{proc.args!r} did not stop within {timeout:g} s of signal {sig}")
