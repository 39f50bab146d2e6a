"""Benchmarks (not tests): the figures of the README.

The check-in path as production runs it (every service its own process) is
:mod:`bench.production` (``kioskctl bench production``).  Here: ``bench load`` (check-ins,
then every device returned, in one process: it drives the whole day's flow), ``bench
services`` (start-up and memory of each
service, the panel included) and ``bench commit`` (the price of durable commits);
``bench panel``, the live board with many open, is :mod:`bench.live_board`.

:func:`run_kiosk_bench` builds a throwaway venue in an *empty* database, runs the kiosk
app under waitress, the cabinet agent and the board simulator on a pty in this process,
and drives K concurrent kiosks over HTTP; ``bench load`` starts from it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pathlib
import queue
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

from sqlalchemy import func, select
from waitress import create_server

from kiosk import create_app
from locker_driver.simulator import BoardSimulator, PtyServer

from agent import CabinetAgent
from attestation import accounts, admission, allocation, audit, checkin, iin, venues
from attestation import db as dbmod
from attestation.models import Assignment, Candidate, RosterEntry, Venue
from attestation.timeutil import local_today, utcnow

from .database import fresh_database
from .stats import percentile_ms

ACTOR = audit.Actor("bench", "bench")


LOCKS_PER_BOARD = 24


def _stop_rig(stop, agent_thread, pty, database) -> None:
    stop.set()
    agent_thread.join(timeout=5)
    pty.stop()
    database.dispose()


def _setup(database, port: str, n: int, kiosks: int):
    with database.write() as s:
        if s.execute(select(Venue)).first() is not None:
            raise SystemExit("bench kiosk needs an empty database: it creates its own venue")
        venue = venues.add_venue(s, "BENCH", "Бенчмарк", "Бенчмарк", "", ACTOR)
        sitting = venues.add_sitting(s, venue, local_today(), dt.time(9), None, ACTOR, status="open")
        cab = venues.add_cabinet(s, venue, "bench-cab", "rs485-8a", port, {}, True, ACTOR)
        where = {}
        for k in range(n):
            board, lock = 1 + k // LOCKS_PER_BOARD, 1 + k % LOCKS_PER_BOARD
            venues.add_cell(s, cab, k + 1, board, lock, True, ACTOR)
            where[k + 1] = (board, lock)
        iins = []
        for k in range(n):
            value = iin.generate(dt.date(1970, 1, 1) + dt.timedelta(days=k * 13), "MF"[k % 2], k % 9000)
            cand = Candidate(iin=value, last_name=f"Сынақ{k}", first_name="Әлия")
            s.add(cand)
            s.flush()
            s.add(RosterEntry(sitting_id=sitting.id, candidate_id=cand.id))
            iins.append(value)
        tokens = [accounts.add_kiosk(s, f"bench-{i}", venue, cab.id, ACTOR)[1] for i in range(kiosks)]
    return iins, tokens, where


def _post(base, token, path, body):
    req = urllib.request.Request(f"{base}/api/v1/kiosk/{path}", data=json.dumps(body).encode(),
                                 headers={"Authorization": f"Bearer {token}",
                                          "Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def run_kiosk_bench(url: str | None, checkins: int, kiosks: int, out=print,
                    timing: str = "instant") -> dict:
    """K kiosks checking people in over HTTP, on a fresh database (see fresh_database)."""
    with fresh_database(url) as (target, _tmp):
        result, (database, _sim, stop, agent_thread, pty) = _kiosk_bench(
            target, checkins, kiosks, out, timing)
        _stop_rig(stop, agent_thread, pty, database)
    return result


def _kiosk_bench(url: str, checkins: int, kiosks: int, out, timing: str):
    """The kiosk bench on the migrated, empty database ``url``; returns its figures and the
    rig, still running: ``(database, sim, stop, agent_thread, pty)``."""
    database = dbmod.Database(url)
    boards = range(1, 1 + (checkins + LOCKS_PER_BOARD - 1) // LOCKS_PER_BOARD)
    unlock_seen: dict[tuple[int, int], float] = {}

    def record(board, lock):
        unlock_seen[(board, lock)] = time.perf_counter()
    sim = BoardSimulator("8a", boards=boards, locks=LOCKS_PER_BOARD, timing=timing, on_unlock=record)
    pty = PtyServer(sim)
    iins, tokens, where = _setup(database, pty.path, checkins, kiosks)

    app = create_app({"DATABASE_URL": url, "KIOSK_TOKEN": tokens[0]})
    server = create_server(app, host="127.0.0.1", port=0, threads=max(8, kiosks * 2))
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{server.effective_port}"
    stop = threading.Event()
    agent = CabinetAgent(database, "bench-cab")  # the settings `kioskctl serve agent` runs with
    agent_thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
    agent_thread.start()
    agent.ready.wait(60)

    work: queue.Queue = queue.Queue()
    for value in iins:
        work.put(value)
    started: dict[int, float] = {}
    answered: dict[int, float] = {}
    api_done: list[float] = []
    errors: list[str] = []

    def kiosk(token):
        while True:
            try:
                value = work.get_nowait()
            except queue.Empty:
                return
            t0 = time.perf_counter()
            try:
                ident = _post(base, token, "identify", {"credential": value, "language": "kk",
                                                        "source": "scanner"})
                for what in ("stages", "rules"):
                    _post(base, token, "acknowledge", {"session": ident["session"], "what": what})
                result = _post(base, token, "checkin", {"session": ident["session"],
                                                        "acknowledged_stages": True,
                                                        "acknowledged_rules": True})
                started[result["cell"]["number"]] = t0
                answered[result["cell"]["number"]] = time.perf_counter()
                api_done.append(answered[result["cell"]["number"]] - t0)
                # Like the kiosk page, wait for this cell to open before the next person.
                target = where[result["cell"]["number"]]
                give_up = time.perf_counter() + 10
                while target not in unlock_seen and time.perf_counter() < give_up:
                    time.sleep(0.001)
            except Exception as exc:  # counted and reported, never hidden
                errors.append(repr(exc))

    wall = time.perf_counter()
    threads = [threading.Thread(target=kiosk, args=(tokens[i % len(tokens)],)) for i in range(kiosks)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    deadline = time.perf_counter() + 60
    while len(unlock_seen) < len(started) and time.perf_counter() < deadline:
        time.sleep(0.01)
    wall = time.perf_counter() - wall
    server.close()

    latencies = sorted(unlock_seen[where[n]] - t0 for n, t0 in started.items() if where[n] in unlock_seen)
    # The agent and the bus alone: from the check-in's answer to its unlock frame.
    queued = sorted(unlock_seen[where[n]] - t for n, t in answered.items() if where[n] in unlock_seen)
    api_done.sort()

    result = {
        "database": dbmod.make_engine(url).dialect.name, "kiosks": kiosks, "checkins": len(started),
        "errors": len(errors), "unlocks_missing": len(started) - len(latencies),
        "api_p50_ms": percentile_ms(api_done, 0.5), "api_p99_ms": percentile_ms(api_done, 0.99),
        "to_wire_p50_ms": percentile_ms(latencies, 0.5), "to_wire_p99_ms": percentile_ms(latencies, 0.99),
        "queued_p50_ms": percentile_ms(queued, 0.5), "queued_p99_ms": percentile_ms(queued, 0.99),
        "boards": len(boards), "timing": timing,
        "throughput_per_s": len(started) / wall if wall else 0.0,
    }
    out(f"{result['database']}: {result['checkins']} check-ins by {kiosks} kiosk(s), "
        f"{len(boards)} boards ({timing} replies), "
        f"{result['errors']} errors, {result['unlocks_missing']} unlocks missing")
    out(f"  identify -> check-in answered: p50 {result['api_p50_ms']:.1f} ms, p99 {result['api_p99_ms']:.1f} ms")
    out(f"  identify -> unlock frame on the wire: p50 {result['to_wire_p50_ms']:.1f} ms, "
        f"p99 {result['to_wire_p99_ms']:.1f} ms")
    out(f"  check-in answered -> unlock frame (agent and bus): p50 {result['queued_p50_ms']:.1f} ms, "
        f"p99 {result['queued_p99_ms']:.1f} ms")
    out(f"  throughput: {result['throughput_per_s']:.1f} check-ins/s")
    if errors:
        out("  first error: " + errors[0])
    return result, (database, sim, stop, agent_thread, pty)


def run_load_bench(url: str | None, checkins: int, kiosks: int, out=print) -> dict:
    """Check-ins by N kiosks, then every device returned (interview done, cell opened, door
    closed, cell free); reports both, and counts double assignments and errors (both must be 0)."""
    with fresh_database(url) as (target, _tmp):
        result, (database, sim, agent_stop, agent_thread, pty) = _kiosk_bench(
            target, checkins, kiosks, out, "instant")
        try:
            return _returns(result, database, sim, out)
        finally:
            _stop_rig(agent_stop, agent_thread, pty, database)


def _returns(result: dict, database, sim, out) -> dict:
    """Every device returned after the check-ins of ``result``: the figures added to it."""
    # The person takes the devices and shuts the door: two seconds.  (A door opened and
    # shut before the agent read it counts as jammed: during a burst a pulsed door is read
    # within the agent's confirm_within, plus the reading of the boards in flight.)
    sim.auto_close = 2.0
    actor = audit.Actor("bench:secretary", "bench")
    with database.read() as s:
        entries = s.execute(select(RosterEntry.id).where(RosterEntry.state == "checked_in")).scalars().all()
    returns, errors, requested = [], 0, {}
    for entry_id in entries:
        try:
            with database.write() as s:
                e = s.get(RosterEntry, entry_id)
                admission.admit(s, e, qualification_document="bench", identity_checked=True, actor=actor)
                admission.call_in(s, e, actor)
                admission.finish_interview(s, e, actor)
                allocation.request_return(s, e, actor)
            requested[entry_id] = time.perf_counter()
        except Exception:  # counted, never hidden
            errors += 1
    deadline = time.perf_counter() + 120
    pending = set(requested)
    while pending and time.perf_counter() < deadline:
        with database.read() as s:
            done = s.execute(select(Assignment.roster_entry_id).where(
                Assignment.roster_entry_id.in_(list(pending)), Assignment.released_at.is_not(None))).scalars().all()
        now = time.perf_counter()
        for entry_id in done:
            returns.append(now - requested[entry_id])
            pending.discard(entry_id)
        time.sleep(0.02)
    with database.read() as s:
        doubles = sum(len(s.execute(select(col).group_by(col).having(func.count() > 1).where(
            Assignment.released_at.is_(None))).all()) for col in (Assignment.cell_id, Assignment.roster_entry_id))
    returns.sort()
    result.update(returns=len(returns), returns_missing=len(pending), return_errors=errors,
                  double_assignments=doubles, return_p50_ms=percentile_ms(returns, .5), return_p99_ms=percentile_ms(returns, .99))
    out(f"  returns: {len(returns)} cells freed, {len(pending)} missing, {errors} errors; "
        f"request -> cell free p50 {result['return_p50_ms']:.0f} ms, p99 {result['return_p99_ms']:.0f} ms")
    out(f"  double assignments: {doubles}")
    return result


def run_services_bench(url: str | None, out=print) -> dict:
    """Start-up time (to systemd's READY=1) and resident memory of each service."""

    with fresh_database(url) as (target, tmp):
        return _services_bench(target, tmp, out)


def _services_bench(url: str, tmp: pathlib.Path, out) -> dict:
    database = dbmod.Database(url)
    pty = PtyServer(BoardSimulator("8a", boards=(1, 2), locks=8))
    iins, tokens, _ = _setup(database, pty.path, 16, 1)
    database.dispose()
    services = {
        "kiosk": ["serve", "kiosk", "--port", "0"],
        "panel": ["serve", "panel", "--host", "127.0.0.1", "--port", "0"],
        "agent": ["serve", "agent", "--cabinet", "bench-cab"],
    }
    results = {}
    for name, args in services.items():
        sock_path = str(tmp / f"notify-{name}")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(sock_path)
        sock.settimeout(60)
        env = dict(os.environ, DATABASE_URL=url, NOTIFY_SOCKET=sock_path,
                   ATTESTATION_KIOSK_TOKEN=tokens[0], ATTESTATION_SECRET_KEY="bench")
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "kioskctl", *args], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while b"READY=1" not in sock.recv(256):
                pass
            ready = time.perf_counter() - t0
            time.sleep(1.0)
            with open(f"/proc/{proc.pid}/status") as f:
                rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:")) / 1024
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            sock.close()
        results[name] = {"ready_s": ready, "rss_mib": rss}
        out(f"{name:6s}: ready in {ready:.2f} s, resident memory {rss:.0f} MiB")
    pty.stop()
    return results


def run_commit_bench(checkins: int, directory: str | None = None, out=print) -> dict:
    """The price of durable commits on SQLite: the same check-ins with ``synchronous=NORMAL``
    and ``FULL``, one after another, on a file in ``directory`` (the card, not tmpfs)."""
    results = {}
    for mode in ("NORMAL", "FULL"):
        with fresh_database(None, directory) as (url, _tmp):
            results[mode] = _commit_bench(url, mode, checkins)
        out(f"synchronous={mode}: {checkins} check-ins, {results[mode]['per_s']:.1f}/s, "
            f"p50 {results[mode]['p50_ms']:.2f} ms, p99 {results[mode]['p99_ms']:.2f} ms")
    return results


def _commit_bench(url: str, mode: str, checkins: int) -> dict:
    saved, dbmod.SQLITE_SYNCHRONOUS = dbmod.SQLITE_SYNCHRONOUS, mode
    try:
        database = dbmod.Database(url)
        _setup(database, "loop://", checkins, kiosks=0)
        with database.read() as s:
            venue_id = s.execute(select(Venue.id)).scalar_one()
            ids = s.execute(select(RosterEntry.id).order_by(RosterEntry.id)).scalars().all()
        times = []
        started = time.perf_counter()
        for entry_id in ids:
            t0, now = time.perf_counter(), utcnow()
            database.run_write(checkin.check_in, checkin.CheckInRequest(
                entry_id=entry_id, venue_id=venue_id, cabinet_id=None, identified_by="iin",
                language="kk", stages_acknowledged_at=now, rules_acknowledged_at=now, actor=ACTOR))
            times.append(time.perf_counter() - t0)
        total = time.perf_counter() - started
        database.dispose()
    finally:
        dbmod.SQLITE_SYNCHRONOUS = saved
    return {"per_s": checkins / total, "p50_ms": percentile_ms(times, 0.5),
            "p99_ms": percentile_ms(times, 0.99)}
