"""The benchmark shaped like production: every service its own process, as systemd starts it.

For each kiosk (one Pi at a venue) it starts three processes: a simulated cabinet
(``kioskctl locker simulate`` on a pty, writing the moment each request frame arrives),
its cabinet agent (``kioskctl serve agent``) and its kiosk app (``kioskctl serve
kiosk``), each told where systemd's notification socket is, so start-up is timed to
READY=1.  The load runs in this process, one client per kiosk over keep-alive HTTP, as
the kiosk page calls the API (identify, acknowledge the stages, the rules, check in);
a client takes the next person when the check-in answers.

Figures, per run: check-ins per second; API p50/p99 (the four calls of a check-in);
identify to the unlock frame on the simulator's wire, p50/p99 (``time.monotonic`` is
one clock for every process of the machine); double assignments and errors (both must
be 0); and per service process: resident memory, CPU time, bytes written to disk and
database write transactions, each per check-in; then the agent's CPU while idle.
``--burst N`` instead queues N unlocks on one bus at once and times the last frame.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import http.client
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import threading
import time

from sqlalchemy import func, select

from attestation import accounts, allocation, audit, iin, venues
from attestation import db as dbmod
from attestation.models import Assignment, Candidate, Cell, RosterEntry
from attestation.timeutil import local_today

from serving import profiling

from . import cpu_limit, profile_report
from .database import fresh_database
from .stats import percentile_ms

ACTOR = audit.Actor("bench", "bench")
LOCKS_PER_BOARD = 24
TICK = os.sysconf("SC_CLK_TCK")


# -- the processes -----------------------------------------------------------------------

@dataclasses.dataclass
class Service:
    name: str
    proc: subprocess.Popen
    stats_file: pathlib.Path
    ready_s: float = 0.0
    marks: dict = dataclasses.field(default_factory=dict)
    #: Where its profile is written (None: not profiled), see :mod:`serving.profiling`.
    profile: pathlib.Path | None = None

    def toggle_profile(self) -> None:
        if self.profile is not None:
            self.proc.send_signal(signal.SIGUSR1)

    def read_profile(self, checkins: int) -> dict | None:
        """The profile's figures per check-in, once the service has written it."""
        if self.profile is None:
            return None
        deadline = time.monotonic() + 60
        while not self.profile.exists():
            if time.monotonic() > deadline:
                raise SystemExit(f"{self.name} wrote no profile to {self.profile}")
            time.sleep(0.05)
        return profile_report.breakdown(self.profile, checkins)

    def sample(self) -> dict:
        """CPU seconds (all threads), bytes written to storage, resident memory (MiB)."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{self.proc.pid}/io") as f:
            io = dict(line.split(": ") for line in f.read().splitlines())
        with open(f"/proc/{self.proc.pid}/status") as f:
            status = dict(line.split(":", 1) for line in f.read().splitlines() if ":" in line)
        return {"cpu_s": (int(fields[11]) + int(fields[12])) / TICK,
                "written": int(io["write_bytes"]),
                "rss_mib": int(status["VmRSS"].split()[0]) / 1024,
                "peak_mib": int(status["VmHWM"].split()[0]) / 1024}

    def stop(self) -> dict:
        """Stop it as systemd does (SIGTERM) and read what it counted on the way out."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        try:
            return json.loads(self.stats_file.read_text())
        except (OSError, ValueError):
            return {}


def _start(name: str, args: list[str], env: dict, tmp: pathlib.Path, wait_ready: bool = True,
           limiter: cpu_limit.Limiter | None = None, profile: bool = False) -> Service:
    sock_path = tmp / f"notify-{name}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(sock_path))
    sock.settimeout(60)
    stats = tmp / f"stats-{name}.json"
    full_env = dict(os.environ, **env, NOTIFY_SOCKET=str(sock_path), ATTESTATION_STATS_FILE=str(stats))
    profile_file = tmp / f"profile-{name}.pstat" if profile else None
    if profile_file is not None:
        full_env[profiling.PROFILE_FILE_ENV] = str(profile_file)
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "kioskctl", *args], env=full_env,
                            stdout=subprocess.DEVNULL,
                            stderr=open(tmp / f"{name}.log", "wb"))
    service = Service(name, proc, stats, profile=profile_file)
    if limiter is not None:  # before it has done anything much: its start-up is a Pi's too
        limiter.limit(proc.pid, name)
    try:
        if wait_ready:
            while b"READY=1" not in sock.recv(256):
                pass
        service.ready_s = time.monotonic() - t0
    except socket.timeout:
        proc.kill()
        raise SystemExit(f"{name} did not start; see {tmp / (name + '.log')}") from None
    finally:
        sock.close()
    return service


def _start_cabinet(k: int, boards: int, timing: str, tmp: pathlib.Path) -> tuple[Service, pathlib.Path]:
    link, frames = tmp / f"cab-{k}", tmp / f"frames-{k}.log"
    # Doors shut a second after they open, as a person's would: an idle cabinet is a shut one.
    sim = _start(f"sim-{k}", ["locker", "simulate", "--boards", str(boards), "--locks", str(LOCKS_PER_BOARD),
                              "--timing", timing, "--link", str(link), "--frame-log", str(frames),
                              "--auto-close", "1.0"],
                 {}, tmp, wait_ready=False)
    deadline = time.monotonic() + 20
    while not link.exists():
        if time.monotonic() > deadline or sim.proc.poll() is not None:
            raise SystemExit(f"the board simulator did not start; see {tmp / f'sim-{k}.log'}")
        time.sleep(0.02)
    return sim, frames


class FrameLog:
    """Follows a simulator's frame log: when each lock's first unlock frame arrived, and
    how many status queries went out between consecutive unlocks."""

    def __init__(self, path: pathlib.Path):
        self.path = path
        self.unlocks: dict[tuple[int, int], float] = {}
        self.queries_between: list[int] = []
        self._queries = 0
        self._seen_unlock = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, daemon=True)
        self._thread.start()

    def _follow(self):
        while not self.path.exists():
            time.sleep(0.005)
        with open(self.path) as f:
            pending = ""
            while not self._stop.is_set():
                pending += f.readline()
                if not pending.endswith("\n"):  # nothing yet, or a line still being written
                    time.sleep(0.001)
                    continue
                line, pending = pending, ""
                at, kind, frame = line.split()
                if kind == "U":
                    raw = bytes.fromhex(frame)
                    self.unlocks.setdefault((raw[1], raw[2]), float(at))
                    if self._seen_unlock:
                        self.queries_between.append(self._queries)
                    self._seen_unlock, self._queries = True, 0
                else:
                    self._queries += 1

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=2)


# -- the database ------------------------------------------------------------------------

def _setup(database: dbmod.Database, kiosks: int, per_kiosk: int, cabinet_ports: list[str]):
    """A venue, an open sitting, one cabinet and one kiosk per Pi, and the people."""
    with database.write() as s:
        venue = venues.add_venue(s, "BENCH", "Бенчмарк", "Бенчмарк", "", ACTOR)
        sitting = venues.add_sitting(s, venue, local_today(), dt.time(9), None, ACTOR, status="open")
        tokens, people = [], []
        for k in range(kiosks):
            cab = venues.add_cabinet(s, venue, f"bench-cab-{k}", "rs485-8a", cabinet_ports[k], {}, True, ACTOR)
            for n in range(per_kiosk):
                venues.add_cell(s, cab, n + 1, 1 + n // LOCKS_PER_BOARD, 1 + n % LOCKS_PER_BOARD, True, ACTOR)
            tokens.append(accounts.add_kiosk(s, f"bench-{k}", venue, cab.id, ACTOR)[1])
            mine = []
            for n in range(per_kiosk):
                serial = k * per_kiosk + n
                value = iin.generate(dt.date(1960, 1, 1) + dt.timedelta(days=serial * 3), "MF"[serial % 2],
                                     serial % 9000)
                cand = Candidate(iin=value, last_name=f"Сынақов{serial}", first_name="Әлихан")
                s.add(cand)
                s.flush()
                s.add(RosterEntry(sitting_id=sitting.id, candidate_id=cand.id))
                mine.append(value)
            people.append(mine)
    return tokens, people


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- the load ----------------------------------------------------------------------------

class Client:
    """One kiosk page's calls, over one keep-alive connection."""

    def __init__(self, port: int, token: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def post(self, path: str, body: dict) -> dict:
        self.conn.request("POST", f"/api/v1/kiosk/{path}", json.dumps(body), self.headers)
        resp = self.conn.getresponse()
        data = json.loads(resp.read())
        if resp.status != 200 or data.get("status") != "ok":
            raise RuntimeError(f"{path}: HTTP {resp.status} {data.get('reason')}")
        return data

    def check_in(self, credential: str) -> dict:
        ident = self.post("identify", {"credential": credential, "language": "kk", "source": "scanner"})
        for what in ("stages", "rules"):
            self.post("acknowledge", {"session": ident["session"], "what": what})
        return self.post("checkin", {"session": ident["session"], "acknowledged_stages": True,
                                     "acknowledged_rules": True})


def _where(number: int) -> tuple[int, int]:
    return 1 + (number - 1) // LOCKS_PER_BOARD, 1 + (number - 1) % LOCKS_PER_BOARD


def run(url: str | None, kiosks: int, checkins: int, timing: str = "instant", idle: float = 10.0,
        out=print, pace: float | None = None, pi: bool = False, profile: bool = False) -> dict:
    """``pace``: each kiosk starts a person every ``pace`` seconds (an offered load, as at a
    venue) instead of the next one as soon as the check-in answers (the most it can do).
    ``pi``: every kiosk app and agent limited to a Raspberry Pi's core
    (:mod:`bench.cpu_limit`; :class:`~bench.cpu_limit.CpuLimitUnavailable` where it cannot be).
    ``profile``: each kiosk app and agent profiled over the load (:mod:`bench.profile_report`)."""
    with cpu_limit.pi_shaped(pi, out) as limiter:
        return _run(url, kiosks, checkins, timing, idle, out, pace, limiter, profile)


def _run(url, kiosks, checkins, timing, idle, out, pace, limiter, profile=False) -> dict:
    per_kiosk = -(-checkins // kiosks)
    boards = -(-per_kiosk // LOCKS_PER_BOARD)
    with fresh_database(url) as (db_url, tmp):
        cabinets = [_start_cabinet(k, boards, timing, tmp) for k in range(kiosks)]
        database = dbmod.Database(db_url)
        tokens, people = _setup(database, kiosks, per_kiosk, [str(tmp / f"cab-{k}") for k in range(kiosks)])
        env = {"DATABASE_URL": db_url}
        agents = [_start(f"agent-{k}", ["serve", "agent", "--cabinet", f"bench-cab-{k}"], env, tmp,
                         limiter=limiter, profile=profile) for k in range(kiosks)]
        ports = [_free_port() for _ in range(kiosks)]
        apps = [_start(f"kiosk-{k}", ["serve", "kiosk", "--port", str(ports[k])],
                       env | {"ATTESTATION_KIOSK_TOKEN": tokens[k]}, tmp, limiter=limiter, profile=profile)
                for k in range(kiosks)]
        logs = [FrameLog(frames) for _, frames in cabinets]
        services = apps + agents
        try:
            result = _load(kiosks, ports, tokens, people, logs, services, database, out, pace)
            result["profiles"] = {svc.name: svc.read_profile(max(1, result["checkins"] // kiosks))
                                  for svc in services if svc.profile is not None}
            result.update(database=database.engine.dialect.name, timing=timing, boards=boards, pace=pace,
                          pi=limiter is not None)
            time.sleep(2.0)  # the last doors shut, the agents see them
            idle_cpu = {}
            before = {a.name: a.sample()["cpu_s"] for a in agents}
            time.sleep(idle)
            for a in agents:
                idle_cpu[a.name] = (a.sample()["cpu_s"] - before[a.name]) / idle * 100
            result["agent_idle_cpu_pct"] = max(idle_cpu.values())
            with database.read() as s:
                result["double_assignments"] = sum(len(s.execute(
                    select(col).where(Assignment.released_at.is_(None)).group_by(col)
                    .having(func.count() > 1)).all()) for col in (Assignment.cell_id, Assignment.roster_entry_id))
            finals = {svc.name: svc.sample() for svc in services}
            for svc in services:
                svc.marks["stats"] = svc.stop()
        finally:
            for svc in services + [sim for sim, _ in cabinets]:
                if svc.proc.poll() is None:
                    svc.proc.terminate()
                    svc.proc.wait(timeout=20)
            for log in logs:
                log.stop()
            database.dispose()
    per_process = {}
    for svc in services:
        n = max(1, result["checkins"] // kiosks)  # this Pi's share
        a, b = svc.marks["before"], svc.marks["after"]
        per_process[svc.name] = {
            "ready_s": svc.ready_s, "rss_mib": finals[svc.name]["rss_mib"],
            "peak_mib": finals[svc.name]["peak_mib"],
            "cpu_ms_per_checkin": (b["cpu_s"] - a["cpu_s"]) * 1000 / n,
            "bytes_per_checkin": (b["written"] - a["written"]) / n,
            "writes_per_checkin": svc.marks["stats"].get("write_transactions", float("nan")) / n}
    result["processes"] = per_process
    _report(result, out)
    return result


def _load(kiosks, ports, tokens, people, logs, services, database, out, pace=None) -> dict:
    api: list[float] = []
    to_wire: list[tuple[int, int, float]] = []  # (kiosk, cell number, identify sent)
    errors: list[str] = []
    lock = threading.Lock()

    def kiosk(k):
        client = Client(ports[k], tokens[k])
        start = time.monotonic() + (pace or 0) * k / kiosks  # kiosks out of step, as people are
        for n, credential in enumerate(people[k]):
            if pace:
                time.sleep(max(0.0, start + n * pace - time.monotonic()))
            t0 = time.monotonic()
            try:
                result = client.check_in(credential)
            except Exception as exc:  # counted and reported, never hidden
                with lock:
                    errors.append(f"kiosk {k}: {exc!r}")
                client = Client(ports[k], tokens[k])
                continue
            with lock:
                api.append(time.monotonic() - t0)
                to_wire.append((k, result["cell"]["number"], t0))

    for svc in services:
        svc.marks["before"] = svc.sample()
        svc.toggle_profile()
    wall = time.monotonic()
    threads = [threading.Thread(target=kiosk, args=(k,)) for k in range(kiosks)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    wall = time.monotonic() - wall
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and any(_where(n) not in logs[k].unlocks for k, n, _ in to_wire):
        time.sleep(0.01)
    for svc in services:
        svc.marks["after"] = svc.sample()
        svc.toggle_profile()
    seen = [logs[k].unlocks[_where(n)] - t0 for k, n, t0 in to_wire if _where(n) in logs[k].unlocks]
    between = [q for log in logs for q in log.queries_between]
    return {"kiosks": kiosks, "checkins": len(to_wire), "errors": len(errors), "first_error": errors[:1],
            "unlocks_missing": len(to_wire) - len(seen), "throughput_per_s": len(to_wire) / wall,
            "api_p50_ms": percentile_ms(api, .5), "api_p99_ms": percentile_ms(api, .99),
            "to_wire_p50_ms": percentile_ms(seen, .5), "to_wire_p99_ms": percentile_ms(seen, .99),
            "queries_between_unlocks_max": max(between, default=0)}


def _report(r: dict, out) -> None:
    shape = ", Pi-shaped" if r.get("pi") else ""
    out(f"{r['database']}{shape}, {r['kiosks']} kiosk(s) + {r['kiosks']} agent(s) as processes, "
        f"{r['boards']} board(s) per cabinet ({r['timing']} replies): {r['checkins']} check-ins, "
        f"{r['errors']} errors, {r['unlocks_missing']} unlocks missing, "
        f"{r['double_assignments']} double assignments")
    if r["first_error"]:
        out(f"  first error: {r['first_error'][0]}")
    offered = f" (offered: one person per kiosk every {r['pace']:g} s)" if r.get("pace") else ""
    out(f"  throughput: {r['throughput_per_s']:.1f} check-ins/s{offered}")
    out(f"  API, the 4 calls of a check-in: p50 {r['api_p50_ms']:.1f} ms, p99 {r['api_p99_ms']:.1f} ms")
    out(f"  identify -> unlock frame on the wire: p50 {r['to_wire_p50_ms']:.1f} ms, "
        f"p99 {r['to_wire_p99_ms']:.1f} ms (status queries between two unlocks: at most "
        f"{r['queries_between_unlocks_max']})")
    out(f"  agent idle CPU ({r['boards']} boards): {r['agent_idle_cpu_pct']:.1f} % of one core")
    out("  process      ready   RSS  peak  CPU/check-in  disk/check-in  DB writes/check-in")
    for name, p in r["processes"].items():
        out(f"  {name:10s} {p['ready_s']:5.2f} s {p['rss_mib']:4.0f} {p['peak_mib']:5.0f} MiB "
            f"{p['cpu_ms_per_checkin']:8.2f} ms {p['bytes_per_checkin'] / 1024:10.1f} KiB "
            f"{p['writes_per_checkin']:10.2f}")
    for name, figures in r.get("profiles", {}).items():
        profile_report.report(name, figures, out)


def run_burst(url: str | None, unlocks: int, boards: int | None = None, out=print) -> dict:
    """``unlocks`` unlocks queued at once on one bus of ``boards`` boards (instant
    replies): the time from their commit to the last frame on the wire, against
    ``unlocks x (transaction + 5 ms)`` plus one poll cycle."""
    boards = max(boards or 0, -(-unlocks // LOCKS_PER_BOARD))
    with fresh_database(url) as (db_url, tmp):
        sim, frames = _start_cabinet(0, boards, "instant", tmp)
        database = dbmod.Database(db_url)
        _setup(database, 1, boards * LOCKS_PER_BOARD, [str(tmp / "cab-0")])
        agent = _start("agent-0", ["serve", "agent", "--cabinet", "bench-cab-0"], {"DATABASE_URL": db_url}, tmp)
        log = FrameLog(frames)
        try:
            time.sleep(1.0)  # the agent's start-up poll
            with database.write() as s:
                cells = s.execute(select(Cell).order_by(Cell.number).limit(unlocks)).scalars().all()
                for cell in cells:
                    allocation.queue_unlock(s, cell, "test", ACTOR, reason="burst")
            queued = time.monotonic()
            deadline = queued + 60
            while len(log.unlocks) < unlocks and time.monotonic() < deadline:
                time.sleep(0.002)
            last = max(log.unlocks.values(), default=float("nan"))
            first = min(log.unlocks.values(), default=float("nan"))
        finally:
            agent.stop()
            sim.proc.terminate()
            sim.proc.wait(timeout=10)
            log.stop()
            database.dispose()
    result = {"unlocks": unlocks, "seen": len(log.unlocks), "boards": boards,
              "last_after_queued_ms": (last - queued) * 1000, "spread_ms": (last - first) * 1000,
              "per_unlock_ms": (last - first) * 1000 / max(1, unlocks - 1),
              "queries_between_max": max(log.queries_between, default=0)}
    out(f"burst of {unlocks} unlocks on one bus of {boards} board(s), instant replies: "
        f"{result['seen']} frames seen")
    out(f"  last unlock frame {result['last_after_queued_ms']:.0f} ms after they were queued; "
        f"first to last {result['spread_ms']:.0f} ms ({result['per_unlock_ms']:.1f} ms per unlock); "
        f"status queries between two unlocks: at most {result['queries_between_max']}")
    return result
