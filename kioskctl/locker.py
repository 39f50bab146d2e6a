"""``kioskctl locker ...``: the technician's diagnostics, the board simulator, the benchmark."""

from __future__ import annotations

import signal
import threading
import time

import click

from attestation.vocabulary import DriverKind
from locker_driver import ConfigError, LockerError
from locker_driver import protocol_8a as p8a
from locker_driver.registry import BY_PROTOCOL, DRIVERS, driver_class, make_driver
from locker_driver.framing import hexdump
from locker_driver.serial_bus import line_time
from locker_driver.simulator import BoardSimulator, PtyServer, TcpServer

from .base import Group, main, parse_settings


@main.group(cls=Group)
def locker():
    """Talk to a cabinet's lock boards directly (install and diagnose), or simulate one."""


FIRST_BOARDS = ", ".join(f"{kind} {cls.first_board}" for kind, cls in DRIVERS.items())


def _add_options(fn, options):
    for option in reversed(options):
        fn = option(fn)
    return fn


def driver_options(fn):
    return _add_options(fn, [
        click.option("--driver", type=click.Choice(list(DRIVERS)),
                     default=DriverKind.RS485_8A.value, show_default=True),
        click.option("--port", default="", help="Serial device (/dev/ttyUSB0) or pyserial URL."),
        click.option("--door-open-when", type=click.Choice(["set", "clear"]), default=None,
                     help="Sensor polarity (default: the driver's own; GPIO reed switches: clear)."),
        click.option("--setting", "settings", multiple=True,
                     help="Driver setting key=value, e.g. relay_pins=[17,27] pulse_ms=300."),
        click.option("--verbose", "-v", is_flag=True, help="Print every frame sent and received."),
    ])


def _open(driver, port, door_open_when, settings, verbose, boards=None):
    trace = None
    if verbose:
        def trace(direction, data):
            click.echo(f"{direction} {hexdump(data)}")
    polarity = None if door_open_when is None else door_open_when == "set"
    return make_driver(driver, port, parse_settings(settings), boards=boards,
                       door_open_when_set=polarity, trace=trace)


def _board_driver(driver, port, door_open_when, settings, verbose, board):
    """The board asked for (default: the driver's first) and a driver for just that board."""
    board = driver_class(driver).first_board if board is None else board
    return board, _open(driver, port, door_open_when, settings, verbose, (board,))


@locker.command("open")
@driver_options
@click.option("--board", type=int, default=None, help=f"Board address (default: {FIRST_BOARDS}).")
@click.option("--lock", type=int, required=True, help="Lock number, from 1.")
def locker_open(driver, port, door_open_when, settings, verbose, board, lock):
    """Pulse one lock, then report whether its door opened."""
    board, opened = _board_driver(driver, port, door_open_when, settings, verbose, board)
    with opened as d:
        d.open_lock(board, lock)
        click.echo(f"board {board} lock {lock}: unlock accepted")
        time.sleep(0.3)
        try:
            state = d.read_door(board, lock)
        except ConfigError:
            click.echo("door state unknown (no sensor)")
            return
        click.echo(f"door is {'open' if state else 'still closed (jammed or no sensor?)'}")


@locker.command("status")
@driver_options
@click.option("--board", type=int, default=None, help=f"Board address (default: {FIRST_BOARDS}).")
@click.option("--lock", type=int, default=None, help="Only this lock.")
def locker_status(driver, port, door_open_when, settings, verbose, board, lock):
    """Show door states of one board (or one lock)."""
    board, opened = _board_driver(driver, port, door_open_when, settings, verbose, board)
    with opened as d:
        if lock is not None:
            click.echo(f"board {board} lock {lock}: {'open' if d.read_door(board, lock) else 'closed'}")
            return
        states = d.read_doors(board)
        opened = [str(k) for k, v in states.items() if v]
        click.echo(f"board {board}: {len(states)} locks, open: {', '.join(opened) or 'none'}")


@locker.command("scan")
@driver_options
@click.option("--first", type=int, default=0, show_default=True)
@click.option("--last", type=int, default=None, help="Default: the driver's usual highest address " + ", ".join(
                  f"({k} {c.scan_last})" for k, c in BY_PROTOCOL.items()) + ".")
def locker_scan(driver, port, door_open_when, settings, verbose, first, last):
    """List the board addresses that answer on the bus."""
    cls = driver_class(driver)
    if cls.baudrate is None:
        raise ConfigError("scan is for RS485 buses; a GPIO cabinet has no addresses")
    last = cls.scan_last if last is None else last
    merged = ("timeout=0.06",) + tuple(settings)
    found = []
    with _open(driver, port, door_open_when, merged, verbose, tuple(range(first, last + 1))) as d:
        for board, error in d.all_off().items():
            if error is None:
                found.append(board)
            elif "no reply" not in error:
                click.echo(f"board {board}: {error}", err=True)
    if not found:
        raise LockerError(f"no board answered at addresses {first}-{last} on {port}")
    click.echo("boards answering: " + ", ".join(str(b) for b in found))


def timing_options(default: str):
    """The simulator's timing options, ``--timing`` defaulting to ``default``."""
    return lambda fn: _add_options(fn, [
        click.option("--timing", type=click.Choice(["real", "instant"]), default=default,
                     show_default=True,
                     help="Answer as a real board does (unlock after its pulse, bytes at the "
                          "baud rate), or at once."),
        click.option("--unlock-reaction", type=float, default=None,
                     help="Seconds from an unlock frame to its reply (real: 8a 0.5, kerong 0.3)."),
        click.option("--query-reaction", type=float, default=None,
                     help="Seconds from a status query to its reply (real: 0.02)."),
    ])


@locker.command("simulate")
@click.option("--protocol", type=click.Choice(list(BY_PROTOCOL)), default="8a", show_default=True)
@click.option("--boards", type=int, default=1, show_default=True)
@click.option("--locks", type=int, default=8, show_default=True)
@click.option("--first-board", type=int, default=None, help=f"Default: {FIRST_BOARDS}.")
@click.option("--link", default=None, help="The name of the symlink to the pty (default: a fresh one under /tmp, printed).")
@click.option("--tcp", type=int, default=None, help="Serve on 127.0.0.1:PORT instead of a pty.")
@click.option("--auto-close", type=float, default=None,
              help="Close a door this many seconds after it opened.")
@click.option("--door-open-when", type=click.Choice(["set", "clear"]), default="set",
              show_default=True, help="How the simulated sensors are wired.")
@click.option("--frame-log", type=click.Path(dir_okay=False), default=None,
              help="Append a line per request frame: monotonic seconds, U (unlock) or Q "
                   "(query), the frame in hex (what the benchmarks time).")
@timing_options("real")
def locker_simulate(protocol, boards, locks, first_board, link, tcp, auto_close, door_open_when,
                    frame_log, timing, unlock_reaction, query_reaction):
    """Run a simulated cabinet and print the device path (or URL) to connect to."""

    start = BY_PROTOCOL[protocol].first_board if first_board is None else first_board
    log = open(frame_log, "a", buffering=1) if frame_log else None

    def on_frame(at, request):  # (sim is assigned before the first frame can arrive)
        log.write(f"{at:.6f} {'U' if sim.is_unlock(request) else 'Q'} {request.hex()}\n")
    try:
        sim = BoardSimulator(protocol, boards=range(start, start + boards), locks=locks,
                             auto_close=auto_close, open_is_set=door_open_when == "set",
                             timing=timing, unlock_reaction=unlock_reaction,
                             query_reaction=query_reaction, on_frame=on_frame if log else None)
    except RuntimeError as exc:
        raise ConfigError(str(exc)) from None
    server = TcpServer(sim, tcp) if tcp is not None else PtyServer(sim, link=link)
    where = server.url if tcp is not None else server.path
    click.echo(f"simulating {boards} {protocol} board(s) of {locks} locks at {where}", err=True)
    click.echo(where)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


@locker.command("bench")
@click.option("--protocol", type=click.Choice(list(BY_PROTOCOL)), default="8a", show_default=True)
@click.option("--count", type=int, default=300, show_default=True)
@timing_options("instant")
def locker_bench(protocol, count, timing, unlock_reaction, query_reaction):
    """Time whole unlock and full-board status transactions against the simulator on a pty.

    Prints p50/p99 next to the line time of the bytes at the protocol's baud rate: the
    physical limit of a real bus.  ``--timing real`` adds the board's own reaction.
    """

    from bench.stats import percentile_ms  # here: the bench package loads the apps
    cls = BY_PROTOCOL[protocol]
    board, kind, baud = cls.first_board, cls.kind, cls.baudrate
    sim = BoardSimulator(protocol, boards=(board,), locks=16 if protocol == "kerong" else 8,
                         timing=timing, unlock_reaction=unlock_reaction,
                         query_reaction=query_reaction)
    # request + reply bytes of each transaction, and the bus's 5 ms of silence
    unlock_bytes = 5 + (9 if protocol == "kerong" else 5)
    status_bytes = 5 + (9 if protocol == "kerong" else 4 + p8a.DEFAULT_STATUS_BYTES)
    with PtyServer(sim) as server, make_driver(kind, server.path, boards=(board,)) as d:
        for name, fn, nbytes in (("unlock", lambda: d.open_lock(board, 1), unlock_bytes),
                                 ("status", lambda: d.read_doors(board), status_bytes)):
            times = []
            for _ in range(count):
                t0 = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t0)
                sim.close_door(board, 1)
            p50, p99 = percentile_ms(times, 0.5), percentile_ms(times, 0.99)
            wire = line_time(nbytes, baud) * 1000
            click.echo(f"{protocol} {timing} {name:6s}: p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  "
                       f"(includes >= {d.bus.silence * 1000:.0f} ms bus silence; "
                       f"wire time of {nbytes} bytes at {baud} baud: {wire:.2f} ms)")
