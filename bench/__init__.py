"""Benchmarks (not tests): the figures of the README.

The check-in path as production runs it (every service its own process) is
:mod:`bench.production` (``kioskctl bench production``).  Here: ``bench load`` (check-ins,
then every device returned, in one process: it drives the whole day's flow), ``bench
panel`` (the live board with many open), ``bench services`` (start-up and memory of each
service, the panel included) and ``bench commit`` (the price of durable commits).

:func:`run_kiosk_bench` builds a throwaway venue in an *empty* database, runs the kiosk
app under waitress, the cabinet agent and the board simulator on a pty in this process,
and drives K concurrent kiosks over HTTP; ``bench load`` starts from it.
"""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import json
import multiprocessing
import os
import queue
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

from sqlalchemy import func, select
from waitress import create_server, serve

from kiosk import create_app
from locker_driver.simulator import BoardSimulator, PtyServer
from web import create_app as create_panel

from agent import CabinetAgent
from attestation import accounts, admission, allocation, audit, checkin, iin, transitions, venues
from attestation import db as dbmod
from attestation.models import Assignment, Candidate, RosterEntry, Venue
from attestation.timeutil import local_today, utcnow

ACTOR = audit.Actor("bench", "bench")


def _pct(values: list[float], q: float) -> float:
    """The q-quantile of sorted seconds, in milliseconds."""
    return values[min(len(values) - 1, int(len(values) * q))] * 1000 if values else float("nan")
LOCKS_PER_BOARD = 24


def _stop_rig(stop, agent_thread, pty, database, tmp) -> None:
    stop.set()
    agent_thread.join(timeout=5)
    pty.stop()
    database.dispose()
    if tmp is not None:
        tmp.cleanup()


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


def _database(url: str | None):
    """The database to measure: ``url``, or a temporary SQLite file (and its directory)."""
    tmp = None
    if url is None:
        tmp = tempfile.TemporaryDirectory()
        url = f"sqlite:///{tmp.name}/bench.db"
    dbmod.upgrade(url)
    return tmp, url, dbmod.Database(url)


def run_kiosk_bench(url: str | None, checkins: int, kiosks: int, out=print, keep: bool = False,
                    timing: str = "instant") -> dict:
    tmp, url, database = _database(url)
    boards = range(1, 1 + (checkins + LOCKS_PER_BOARD - 1) // LOCKS_PER_BOARD)
    sim = BoardSimulator("8a", boards=boards, locks=LOCKS_PER_BOARD, timing=timing)
    pty = PtyServer(sim)
    iins, tokens, where = _setup(database, pty.path, checkins, kiosks)
    unlock_seen: dict[tuple[int, int], float] = {}
    original = sim._unlocked

    def record(board, lock):
        unlock_seen[(board, lock)] = time.perf_counter()
        original(board, lock)
    sim._unlocked = record

    app = create_app({"DATABASE_URL": url, "KIOSK_TOKEN": tokens[0]})
    server = create_server(app, host="127.0.0.1", port=0, threads=max(8, kiosks * 2))
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{server.effective_port}"
    stop = threading.Event()
    agent = CabinetAgent(database, "bench-cab")  # the settings `kioskctl serve agent` runs with
    agent_thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
    agent_thread.start()
    while getattr(agent, "cabinet_id", None) is None:
        time.sleep(0.01)

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
    if keep:
        rig = (database, sim, stop, agent_thread, pty)
    else:
        _stop_rig(stop, agent_thread, pty, database, tmp)

    latencies = sorted(unlock_seen[where[n]] - t0 for n, t0 in started.items() if where[n] in unlock_seen)
    # The agent and the bus alone: from the check-in's answer to its unlock frame.
    queued = sorted(unlock_seen[where[n]] - t for n, t in answered.items() if where[n] in unlock_seen)
    api_done.sort()

    result = {
        "database": dbmod.make_engine(url).dialect.name, "kiosks": kiosks, "checkins": len(started),
        "errors": len(errors), "unlocks_missing": len(started) - len(latencies),
        "api_p50_ms": _pct(api_done, 0.5), "api_p99_ms": _pct(api_done, 0.99),
        "to_wire_p50_ms": _pct(latencies, 0.5), "to_wire_p99_ms": _pct(latencies, 0.99),
        "queued_p50_ms": _pct(queued, 0.5), "queued_p99_ms": _pct(queued, 0.99),
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
    if keep:
        result["_rig"] = rig
    return result


def _serve_panel(url: str, port: int, threads: int) -> None:
    app = create_panel({"DATABASE_URL": url, "SECRET_KEY": "bench", "PANEL_INSECURE_COOKIES": True})
    serve(app, host="127.0.0.1", port=port, threads=threads, connection_limit=1000,
          _quiet=True)


def run_panel_bench(url: str | None, candidates: int, boards: int, out=print) -> dict:
    """Board render time with a large sitting, and the delay of a change to N open boards.

    Each of ``boards`` clients holds the live-update stream open like a browser does, and
    on ``change`` fetches the board JSON; the delay is from the check-in's commit to the
    moment that client holds a board showing it.
    """
    tmp, url, database = _database(url)
    with database.write() as s:
        if s.execute(select(Venue)).first() is not None:
            raise SystemExit("bench panel needs an empty database: it creates its own venue")
        venue = venues.add_venue(s, "BENCH", "Бенчмарк", "Бенчмарк", "", ACTOR)
        sitting = venues.add_sitting(s, venue, local_today(), dt.time(9), None, ACTOR, status="open")
        cands = [Candidate(iin=iin.generate(dt.date(1960, 1, 1) + dt.timedelta(days=k * 7), "MF"[k % 2], k % 9000),
                           last_name=f"Сынақов{k}", first_name="Әлихан", organization="ЦСО")
                 for k in range(candidates)]
        s.add_all(cands)
        s.flush()
        s.add_all([RosterEntry(sitting_id=sitting.id, candidate_id=c.id) for c in cands])
        accounts.add_user(s, "bench", "secretary", "bench-password-1", "", ACTOR, venues=[venue])
        sitting_id = sitting.id
        target_ids = [c.id for c in cands[:5]]
    with database.read() as s:
        entries = s.execute(select(RosterEntry.id).where(RosterEntry.candidate_id.in_(target_ids))).scalars().all()

    # The panel runs in its own process, as in production: the 50 simulated browsers here
    # must not compete with it for this interpreter's lock.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = multiprocessing.get_context("spawn").Process(
        target=_serve_panel, args=(url, port, boards + 16), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(f"{base}/panel/healthz", timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/panel/login").read().decode()
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    opener.open(urllib.request.Request(f"{base}/panel/login", data=urllib.parse.urlencode(
        {"username": "bench", "password": "bench-password-1", "csrf_token": csrf}).encode()))
    board_url = f"{base}/panel/api/sittings/{sitting_id}/board"

    def timed(fn, n):
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return sorted(times)
    json_times = timed(lambda: opener.open(board_url).read(), 20)
    page_times = timed(lambda: opener.open(f"{base}/panel/sittings/{sitting_id}").read(), 20)

    results: dict[int, list[float]] = {}
    ready = threading.Barrier(boards + 1)
    committed: dict[int, float] = {}
    lock = threading.Lock()

    def client(k):
        req = urllib.request.Request(f"{base}/panel/api/sittings/{sitting_id}/events")
        stream = opener.open(req, timeout=120)
        stream.readline()  # "retry: ..." line
        ready.wait()
        seen = set()
        board = json.loads(opener.open(board_url).read())
        states = {r["id"]: r["state"] for r in board["rows"]}
        while len(seen) < len(entries):
            line = stream.readline().decode()
            if not line.startswith("event: change"):
                continue
            # What the page does: ask for the rows changed since the version it holds.
            got = json.loads(opener.open(f"{board_url}?since={urllib.parse.quote(board['version'])}").read())
            now = time.perf_counter()
            for r in (got["rows"] if got["full"] else got["changed"]):
                states[r["id"]] = r["state"]
            board["version"] = got["version"]
            for e in entries:
                if e not in seen and states.get(e) == "checked_in":
                    seen.add(e)
                    with lock:
                        results.setdefault(e, []).append(now - committed[e])
        stream.close()

    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(boards)]
    [t.start() for t in threads]
    ready.wait()
    time.sleep(0.5)
    for e in entries:
        with database.write() as s:
            transitions.apply(s, s.get(RosterEntry, e), "check_in", ACTOR)
        committed[e] = time.perf_counter()
        time.sleep(1.5)
    [t.join(timeout=60) for t in threads]
    server.terminate()
    server.join(timeout=10)
    database.dispose()
    if tmp is not None:
        tmp.cleanup()
    delays = sorted(d for ds in results.values() for d in ds)

    result = {"candidates": candidates, "boards": boards,
              "json_p50_ms": _pct(json_times, .5), "json_p99_ms": _pct(json_times, .99),
              "page_p50_ms": _pct(page_times, .5),
              "delay_p50_ms": _pct(delays, .5), "delay_p99_ms": _pct(delays, .99),
              "delay_max_ms": delays[-1] * 1000 if delays else float("nan"),
              "deliveries": len(delays), "expected": boards * len(entries)}
    out(f"{dbmod.make_engine(url).dialect.name}: sitting of {candidates} candidates, {boards} open boards")
    out(f"  board JSON: p50 {result['json_p50_ms']:.0f} ms, p99 {result['json_p99_ms']:.0f} ms; "
        f"board page: p50 {result['page_p50_ms']:.0f} ms")
    out(f"  check-in -> shown on every board: p50 {result['delay_p50_ms']:.0f} ms, "
        f"p99 {result['delay_p99_ms']:.0f} ms, max {result['delay_max_ms']:.0f} ms "
        f"({result['deliveries']}/{result['expected']} deliveries)")
    return result


def run_load_bench(url: str | None, checkins: int, kiosks: int, out=print) -> dict:
    """Check-ins by N kiosks, then every device returned (interview done, cell opened, door
    closed, cell free); reports both, and counts double assignments and errors (both must be 0)."""


    tmp = None
    if url is None:
        tmp = tempfile.TemporaryDirectory()
        url = f"sqlite:///{tmp.name}/load.db"
    result = run_kiosk_bench(url, checkins, kiosks, out=out, keep=True)
    database, sim, agent_stop, agent_thread, pty = result.pop("_rig")
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
    _stop_rig(agent_stop, agent_thread, pty, database, tmp)
    returns.sort()
    result.update(returns=len(returns), returns_missing=len(pending), return_errors=errors,
                  double_assignments=doubles, return_p50_ms=_pct(returns, .5), return_p99_ms=_pct(returns, .99))
    out(f"  returns: {len(returns)} cells freed, {len(pending)} missing, {errors} errors; "
        f"request -> cell free p50 {result['return_p50_ms']:.0f} ms, p99 {result['return_p99_ms']:.0f} ms")
    out(f"  double assignments: {doubles}")
    return result


def run_services_bench(url: str | None, out=print) -> dict:
    """Start-up time (to systemd's READY=1) and resident memory of each service."""

    tmp = tempfile.TemporaryDirectory()
    url = url or f"sqlite:///{tmp.name}/services.db"
    dbmod.upgrade(url)
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
        sock_path = f"{tmp.name}/notify-{name}"
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
    tmp.cleanup()
    return results


def run_commit_bench(checkins: int, directory: str | None = None, out=print) -> dict:
    """The price of durable commits on SQLite: the same check-ins with ``synchronous=NORMAL``
    and ``FULL``, one after another, on a file in ``directory`` (the card, not tmpfs)."""
    results = {}
    for mode in ("NORMAL", "FULL"):
        tmp = tempfile.TemporaryDirectory(dir=directory)
        url = f"sqlite:///{tmp.name}/commit.db"
        dbmod.upgrade(url)
        saved, dbmod.SQLITE_SYNCHRONOUS = dbmod.SQLITE_SYNCHRONOUS, mode
        try:
            database = dbmod.Database(url)
            with database.write() as s:
                venue = venues.add_venue(s, "BENCH", "Бенчмарк", "Бенчмарк", "", ACTOR)
                venues.add_sitting(s, venue, local_today(), dt.time(9), None, ACTOR, status="open")
                cab = venues.add_cabinet(s, venue, "bench-cab", "rs485-8a", "loop://", {}, True, ACTOR)
                for k in range(checkins):
                    venues.add_cell(s, cab, k + 1, 1 + k // LOCKS_PER_BOARD, 1 + k % LOCKS_PER_BOARD,
                                    True, ACTOR)
                cands = [Candidate(iin=iin.generate(dt.date(1960, 1, 1) + dt.timedelta(days=k), "MF"[k % 2], k % 9000),
                                   last_name=f"Сынақов{k}", first_name="Әлихан") for k in range(checkins)]
                s.add_all(cands)
                s.flush()
                entries = [RosterEntry(sitting_id=1, candidate_id=c.id) for c in cands]
                s.add_all(entries)
                s.flush()
                ids, venue_id = [e.id for e in entries], venue.id
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
            tmp.cleanup()
        times.sort()
        results[mode] = {"per_s": checkins / total, "p50_ms": _pct(times, 0.5), "p99_ms": _pct(times, 0.99)}
        out(f"synchronous={mode}: {checkins} check-ins, {results[mode]['per_s']:.1f}/s, "
            f"p50 {results[mode]['p50_ms']:.2f} ms, p99 {results[mode]['p99_ms']:.2f} ms")
    return results
